"""The widget's panel: adopts the shell the loader drew and keeps it in step with the state.

The loader builds the panel's parts (header, log, typing line, "Talk to a human", composer) so
it can open instantly; this module finds them by class name, replaces the loading notice with
the conversation and wires the controls to the app. It adds what only the app knows about: the
away box and, once the conversation is closed, the rating prompt (`csat`).
"""

import chat_dom
import csat
import drafts
import i18n
import js
import state
from jsffi import create_proxy

# mypy reads this as true; MicroPython (no `typing`) never runs the import below.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import widget_app

# Within this many pixels of the bottom, new messages keep the log scrolled to the end.
STICKY_PX = 80


class WidgetView:
    """`app` provides send(text), retry(client_id), request_human(), typed(has_text),
    leave_email(address) and rate(score, comment)."""

    def __init__(self, panel: js.Element, look: chat_dom.Look, app: "widget_app.WidgetApp") -> None:
        self.app = app
        self.panel = panel
        self.lang = look.lang
        self.head = panel.querySelector(".hw-head")
        self.close = panel.querySelector(".hw-close")
        self.title = panel.querySelector(".hw-title")
        self.sub = panel.querySelector(".hw-sub")
        self.log = panel.querySelector(".hw-log")
        self.typing = panel.querySelector(".hw-typing")
        self.human = panel.querySelector(".hw-human")
        self.form = panel.querySelector(".hw-composer")
        self.input = panel.querySelector(".hw-input")
        self.send_button = panel.querySelector(".hw-send")
        # One notice line: a problem with the draft (cleared as soon as the draft changes) or
        # else one of the app's (the chat cannot be reached, is not available, ...).
        self.notice = chat_dom.element("p", "hw-problem")
        self.notice.hidden = True
        self._draft_problem = ""
        self._app_problem = ""
        self.form.before(self.notice)
        self.avatar = chat_dom.element("img", "hw-avatar")
        self.avatar.setAttribute("alt", "")
        self.avatar.hidden = True
        self.head.prepend(self.avatar)
        self.away = self._away_box()
        self._human_offered = True
        self.human.parentElement.before(self.away)
        # "We usually reply in a few minutes" while an agent is online (`team.availability`).
        self.team = chat_dom.element("p", "hw-team")
        self.team.hidden = True
        self.head.after(self.team)
        self.rating = self._rating_box()
        self.form.before(self.rating)
        self.log.replaceChildren()
        self.items = chat_dom.ItemList(self.log, look.draw)
        self.form.addEventListener("submit", create_proxy(self._submitted))
        self.input.addEventListener("keydown", create_proxy(self._key))
        self.input.addEventListener("input", create_proxy(self._typed))
        self.human.addEventListener("click", create_proxy(self._human))

    def _away_box(self) -> js.Element:
        """Outside business hours: the away message, when the team is back, and a form to
        leave an e-mail for the reply."""
        box = chat_dom.element("div", "hw-away")
        box.setAttribute("role", "status")
        box.hidden = True
        self.away_text = chat_dom.element("p", "hw-away-text")
        self.away_back = chat_dom.element("p", "hw-away-back")
        self.email_form = chat_dom.element("form", "hw-email")
        self.email_form.setAttribute("novalidate", "")  # our notice, in the panel's language
        self.email_prompt = chat_dom.element("label", "hw-email-prompt")
        self.email_prompt.setAttribute("for", "hw-email-input")
        self.email_input = chat_dom.element("input", "hw-email-input")
        self.email_input.id = "hw-email-input"
        self.email_input.setAttribute("type", "email")
        self.email_input.setAttribute("autocomplete", "email")
        self.email_input.setAttribute("placeholder", "name@example.com")
        self.email_button = chat_dom.element("button", "hw-email-save")
        self.email_button.setAttribute("type", "submit")
        self.email_note = chat_dom.element("p", "hw-email-note")
        self.email_note.hidden = True
        row = chat_dom.element("div", "hw-email-row")
        row.append(self.email_input, self.email_button)
        self.email_form.append(self.email_prompt, row)
        box.append(self.away_text, self.away_back, self.email_form, self.email_note)
        self.email_form.addEventListener("submit", create_proxy(self._email_submitted))
        return box

    def _rating_box(self) -> js.Element:
        """After a close: five choices (native radios in a fieldset, so arrow keys move between
        them and screen readers say "4 of 5"), an optional comment, a submit button; then the
        thanks."""
        box = chat_dom.element("div", "hw-rate")
        box.hidden = True
        self.rate_form = chat_dom.element("form", "hw-rate-form")
        self.rate_form.setAttribute("novalidate", "")
        scores = chat_dom.element("fieldset", "hw-rate-scores")
        self.rate_prompt = chat_dom.element("legend", "hw-rate-prompt")
        row = chat_dom.element("div", "hw-rate-row")
        self.rate_low = chat_dom.element("span", "hw-rate-end")
        self.rate_high = chat_dom.element("span", "hw-rate-end")
        row.append(self.rate_low)
        self.rate_inputs = []
        for score in csat.SCORES:
            choice = chat_dom.element("label", "hw-rate-choice")
            radio = chat_dom.element("input", "hw-rate-input")
            radio.setAttribute("type", "radio")
            radio.setAttribute("name", "hw-rate")
            radio.setAttribute("value", str(score))
            choice.append(radio, chat_dom.element("span", "hw-rate-score", str(score)))
            row.append(choice)
            self.rate_inputs.append(radio)
        row.append(self.rate_high)
        scores.append(self.rate_prompt, row)
        self.rate_comment_label = chat_dom.element("label", "hw-rate-comment-label")
        self.rate_comment_label.setAttribute("for", "hw-rate-comment")
        self.rate_comment = chat_dom.element("textarea", "hw-rate-comment")
        self.rate_comment.id = "hw-rate-comment"
        self.rate_comment.setAttribute("rows", "2")
        self.rate_submit = chat_dom.element("button", "hw-rate-submit")
        self.rate_submit.setAttribute("type", "submit")
        self.rate_problem = chat_dom.element("p", "hw-rate-problem")
        self.rate_problem.setAttribute("role", "alert")
        self.rate_problem.hidden = True
        self.rate_form.append(
            scores, self.rate_comment_label, self.rate_comment, self.rate_problem, self.rate_submit
        )
        # Off while a rating is on its way.
        self.rate_controls = list(self.rate_inputs)
        self.rate_controls.append(self.rate_comment)
        self.rate_controls.append(self.rate_submit)
        self.rate_thanks = chat_dom.element("p", "hw-rate-thanks")
        self.rate_thanks.setAttribute("role", "status")
        self.rate_thanks.hidden = True
        box.append(self.rate_form, self.rate_thanks)
        self.rate_form.addEventListener("submit", create_proxy(self._rate_submitted))
        self._rate_note = ""  # a problem with the choice (cleared when it changes)
        self.rate_form.addEventListener("input", create_proxy(self._rate_changed))
        return box

    # ------------------------------------------------------------------ drawing

    def apply_language(self, lang: str) -> None:
        """Say every fixed string of the panel in `lang`, laid out in its direction."""
        self.lang = lang
        root = js.document.documentElement
        root.setAttribute("lang", lang)
        root.setAttribute("dir", i18n.direction(lang))
        labels = (
            (self.panel, "chat_label"),
            (self.close, "close_chat"),
            (self.log, "messages_label"),
            (self.input, "message_label"),
            (self.send_button, "send"),
        )
        for node, key in labels:
            node.setAttribute("aria-label", i18n.text(lang, key))
        self.input.setAttribute("placeholder", i18n.text(lang, "placeholder"))
        self.human.textContent = i18n.text(lang, "human")
        self.email_prompt.textContent = i18n.text(lang, "email_prompt")
        self.email_input.setAttribute("aria-label", i18n.text(lang, "email_label"))
        self.email_button.textContent = i18n.text(lang, "email_submit")
        self.rate_prompt.textContent = i18n.text(lang, "rate_prompt")
        self.rate_low.textContent = i18n.text(lang, "rate_low")
        self.rate_high.textContent = i18n.text(lang, "rate_high")
        for radio in self.rate_inputs:
            score = {"score": str(radio.getAttribute("value"))}
            radio.setAttribute("aria-label", i18n.text(lang, "rate_score", score))
        self.rate_comment_label.textContent = i18n.text(lang, "rate_comment")
        self.rate_submit.textContent = i18n.text(lang, "rate_submit")
        self.rate_thanks.textContent = i18n.text(lang, "rate_thanks")
        self.items.clear()  # drawn in the language before: drawn again on the next render

    def set_avatar(self, url: str) -> None:
        if url:
            self.avatar.setAttribute("src", url)
        self.avatar.hidden = not url

    def show_team(self, availability: str, text: str) -> None:
        """`availability`: `team.availability`'s word, also the panel's `data-team`."""
        self.panel.setAttribute("data-team", availability)
        self.team.textContent = text
        self.team.hidden = not text

    def show_away(self, away: dict | None) -> None:
        """`away`: None while the team is in, else {"message", "back", "email"} and, while
        the team is merely offline inside its hours, "human": asking for one stays offered (a
        person picks the conversation up when back)."""
        self.away.hidden = away is None
        self._human_offered = away is None or bool(away.get("human"))
        if away is None:
            return
        self.away_text.textContent = away["message"]
        self.away_back.textContent = away["back"]
        self.away_back.hidden = not away["back"]
        self.email_form.hidden = not away["email"] or self.email_note.hasAttribute("data-saved")

    def email_status(self, text: str, saved: bool) -> None:
        self.email_note.textContent = text
        self.email_note.hidden = not text
        self.email_button.disabled = False
        if saved:
            self.email_note.setAttribute("data-saved", "")
            self.email_form.hidden = True

    def render(
        self, conversation: state.Conversation, subtitle: str, now_ms: int, available: bool
    ) -> None:
        """`available` False: the chat cannot work on this page, so nothing can be typed."""
        near_end = self._near_end()
        if self.items.render(conversation.items()) and near_end:
            self.scroll_to_end()
        self.typing.textContent = chat_dom.typing_line(conversation.typing_names(now_ms), self.lang)
        self.sub.textContent = subtitle
        self.human.hidden = (
            not available
            or not self._human_offered  # nobody is in to talk to: the e-mail form is the way
            or conversation.handoff_requested
            or conversation.human_joined
        )
        self.human.disabled = not conversation.can_request_human()
        self.input.disabled = not available
        self.send_button.disabled = not available
        if self._show_rating(conversation, available) and near_end:
            self.scroll_to_end()  # the box took room from the log: keep its end in sight

    def _show_rating(self, conversation: state.Conversation, available: bool) -> bool:
        """Draw the rating box; True when it appeared or went away."""
        mode = csat.prompt(conversation) if available else csat.HIDDEN
        toggled = bool(self.rating.hidden) != (mode == csat.HIDDEN)
        self.rating.hidden = mode == csat.HIDDEN
        self.rating.setAttribute("data-mode", mode)
        self.rate_form.hidden = mode == csat.THANKS
        self.rate_thanks.hidden = mode != csat.THANKS
        busy = mode != csat.ASK
        for control in self.rate_controls:
            control.disabled = busy
        sent = conversation.rating_sent
        refused = i18n.text(self.lang, "rate_failed") if sent and sent["error"] else ""
        text = self._rate_note or (refused if mode == csat.ASK else "")
        self.rate_problem.textContent = text
        self.rate_problem.hidden = not text
        return toggled

    def set_title(self, title: str) -> None:
        self.title.textContent = title

    def show_problem(self, text: str) -> None:
        self._app_problem = text
        self._show_notice()

    def _show_notice(self) -> None:
        text = self._draft_problem or self._app_problem
        self.notice.textContent = text
        self.notice.hidden = not text

    def scroll_to_end(self) -> None:
        self.log.scrollTop = self.log.scrollHeight

    def _near_end(self) -> bool:
        log = self.log
        return int(log.scrollHeight) - int(log.scrollTop) - int(log.clientHeight) < STICKY_PX

    # ------------------------------------------------------------------ controls

    def submit(self) -> None:
        """Send the draft, or say why it cannot go (it stays in the box to be shortened)."""
        text = str(self.input.value)
        problem = drafts.problem(text, self.lang)
        if problem is not None:
            if problem:
                self._draft_problem = problem
                self._show_notice()
            return
        self._draft_problem = ""
        self._show_notice()
        self.input.value = ""
        self.app.send(text)
        self.scroll_to_end()

    def _submitted(self, event: js.Event) -> None:
        event.preventDefault()
        self.submit()

    def _key(self, event: js.Event) -> None:
        if event.key == "Enter" and not event.shiftKey and not event.isComposing:
            event.preventDefault()
            self.submit()

    def _typed(self, _event: js.Event) -> None:
        if self._draft_problem:  # about a draft that is no longer there
            self._draft_problem = ""
            self._show_notice()
        self.app.typed(bool(str(self.input.value).strip()))

    def _email_submitted(self, event: js.Event) -> None:
        event.preventDefault()
        self.email_button.disabled = True
        self.app.leave_email(str(self.email_input.value).strip())

    def _rate_submitted(self, event: js.Event) -> None:
        event.preventDefault()
        score = None
        for radio in self.rate_inputs:
            if radio.checked:
                score = int(str(radio.getAttribute("value")))
        comment = str(self.rate_comment.value)
        problem = csat.problem(score, comment, self.lang)
        self._rate_note = problem or ""
        if problem is None and score is not None:
            self.app.rate(score, comment.strip())
        else:
            self.rate_problem.textContent = self._rate_note
            self.rate_problem.hidden = False

    def _rate_changed(self, _event: js.Event) -> None:
        if self._rate_note:
            self._rate_note = ""
            self.rate_problem.hidden = True

    def _human(self, _event: js.Event) -> None:
        self.human.disabled = True
        self.app.request_human()
