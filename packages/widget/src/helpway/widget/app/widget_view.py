"""The widget's panel: adopts the shell the loader drew and keeps it in step with the state.

The loader builds the panel's parts (header, log, typing line, "Talk to a human", composer) so
it can open instantly; this module finds them by class name, replaces the loading notice with
the conversation and wires the controls to the app.
"""

import chat_dom
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
    """`app` provides send(text), retry(client_id), request_human(), typed(has_text) and
    leave_email(address)."""

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

    def _human(self, _event: js.Event) -> None:
        self.human.disabled = True
        self.app.request_human()
