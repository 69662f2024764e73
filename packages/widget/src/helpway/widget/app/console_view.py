"""The agent console's page: sign-in form, inbox list and one open conversation.

`console.html` draws the page so it shows at once; this module finds its parts, wires the
controls to the app and keeps the lists in step with the state (through `chat_dom.ItemList`,
so an update redraws only the rows that changed).
"""

import alerts
import assign_menu
import canned_replies
import chat_dom
import console_panels
import csat
import drafts
import inbox
import js
import shortcuts
import state
from jsffi import create_proxy

# mypy reads this as true; MicroPython (no `typing`) never runs the import below.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import console_app

_ROLE_PREFIX = {"assistant": "Assistant: ", "agent": "Agent: "}


_PLACEHOLDER = "Write a reply… (Enter to send, Shift+Enter for a new line, / for canned responses)"


def assignee_label(assignee: dict | None, me: str) -> str:
    """The assignee as the console says it ("Assigned to you"); "" when unassigned."""
    if not assignee:
        return ""
    if assignee.get("id") == me:
        return "Assigned to you"
    return "Assigned to " + (assignee.get("name") or "an agent")


def _rating_marker(score: int) -> js.Element:
    """The inbox row's small "★ 4/5", said in words to screen readers."""
    marker = chat_dom.element("span", "hc-conv-rating", "★ " + str(score) + "/5")
    words = "Rated " + str(score) + " of 5"
    marker.setAttribute("title", words + ": " + csat.stars(score))
    marker.setAttribute("aria-label", words)
    marker.setAttribute("data-score", str(score))
    return marker


def visitor_name(summary_visitor: dict) -> str:
    return summary_visitor.get("name") or "Visitor " + summary_visitor.get("id", "")[-4:]


class ConsoleView:
    """`app` provides login(email, password), sign_out(), open(conversation_id), load_more(),
    send(text, note), retry(client_id), typed(has_text), search(text, more), open_hit(summary),
    suggest(), canned_responses(), `actions` (shortcut action -> what it does), and the agents'
    actions: set_filter(name), take_over(), toggle_assign(), assign_choices(),
    assign_to(agent_id), toggle_close()."""

    def __init__(self, doc: js.Document, app: "console_app.ConsoleApp") -> None:
        self.app = app
        find = doc.querySelector
        self.login_page = find(".hc-login")
        self.login_form = find(".hc-login-form")
        self.login_error = find(".hc-error")
        self.login_button = find(".hc-login-form button")
        self.desk = find(".hc-desk")
        self.me = find(".hc-me")
        self.logout_button = find(".hc-logout")
        self.list = find(".hc-list")
        self.empty = find(".hc-empty")
        self.more = find(".hc-inbox-more")
        self.waiting = find(".hc-waiting")
        self.placeholder = find(".hc-placeholder")
        self.head = find(".hc-conv-head")
        self.title = find(".hc-conv-title")
        self.badge = find(".hc-conv-head .hc-badge")
        self.conn = find(".hc-conn")
        self.log = find(".hc-log")
        self.typing = find(".hc-typing")
        self.reply = find(".hc-reply")
        self.reply_input = find(".hc-reply textarea")
        self.problem = find(".hc-problem")
        self.suggestion = find(".hc-suggestion")
        self.suggest_button = find(".hc-suggest")
        self.keys_button = find(".hc-keys-button")
        self.search = console_panels.SearchPanel(doc, app.search, app.open_hit, visitor_name)
        self.context = console_panels.ContextPanel(doc)
        self.canned = console_panels.CannedMenu(doc, self._canned_picked)
        self.help = console_panels.HelpOverlay(doc, app.actions)
        self.notify = console_panels.NotifySwitch(doc)
        self.assignee = find(".hc-assignee")
        self.takeover_button = find(".hc-takeover")
        self.assign_button = find(".hc-assign")
        self.close_button = find(".hc-close")
        self.answering = find(".hc-answering")
        self.note_toggle = find(".hc-note-toggle input")
        self.filters = doc.querySelectorAll(".hc-filter")
        self.presence = console_panels.PresencePanel(doc, app.choose_presence)
        self.assign_menu = assign_menu.AssignMenu(doc, app.assign_choices, app.assign_to)
        self.rows = chat_dom.ItemList(self.list, self._row)
        self.items: chat_dom.ItemList | None = None
        self._inbox: inbox.Inbox | None = None
        self.login_form.addEventListener("submit", create_proxy(self._login))
        self.logout_button.addEventListener("click", create_proxy(self._logout))
        self.more.addEventListener("click", create_proxy(self._more))
        self.reply.addEventListener("submit", create_proxy(self._submitted))
        self.reply_input.addEventListener("keydown", create_proxy(self._key))
        self.reply_input.addEventListener("input", create_proxy(self._typed))
        self.reply_input.addEventListener("blur", create_proxy(self._left_reply))
        self.suggest_button.addEventListener("click", create_proxy(self._suggest))
        self.keys_button.addEventListener("click", create_proxy(self._show_help))
        doc.addEventListener("keydown", create_proxy(self._shortcut))
        self.takeover_button.addEventListener("click", create_proxy(self._take_over))
        self.assign_button.addEventListener("click", create_proxy(self._assign))
        self.close_button.addEventListener("click", create_proxy(self._close))
        self.note_toggle.addEventListener("change", create_proxy(self._note_mode))
        for i in range(int(self.filters.length)):
            self._wire_filter(self.filters.item(i))
        self.login_button.disabled = False
        self.login_button.textContent = "Log in"

    # ------------------------------------------------------------------ pages

    def show_login(self, error: str = "") -> None:
        self.desk.hidden = True
        self.logout_button.hidden = True
        self.me.textContent = ""
        self.login_page.hidden = False
        self.login_error.textContent = error
        self.login_button.disabled = False
        self.rows.clear()
        self.more.hidden = True
        self.close_conversation()
        self.search.clear()
        self.help.hide()
        self.notify.refresh(False)
        self.keys_button.hidden = True
        js.document.title = alerts.title(0)

    def show_desk(self, agent: dict) -> None:
        self.login_page.hidden = True
        self.desk.hidden = False
        self.logout_button.hidden = False
        self.keys_button.hidden = False
        self.me.textContent = agent.get("name") or "Agent"
        self.notify.refresh(True)

    # ------------------------------------------------------------------ inbox

    def render_inbox(self, box: inbox.Inbox) -> None:
        self._inbox = box
        items = []
        for row in box.rows():
            selected = row["id"] == box.selected
            rev = "|".join(
                (
                    str(row["last_seq"]),
                    row["status"],
                    str(row["updated_at"]),
                    str(selected),
                    str(box.unread(row["id"])),
                    row["last_text"],
                    visitor_name(row["visitor"]),
                    row.get("visitor_email") or "",
                    assignee_label(row.get("assignee"), box.me),
                    str(row.get("rating") or ""),
                )
            )
            items.append(state.Item(row["id"], rev, "row", row))
        self.rows.render(items)
        self.empty.hidden = len(items) > 0
        self.more.hidden = box.next_page is None
        self.more.disabled = False
        waiting = box.waiting()
        self.waiting.textContent = f"{waiting} waiting for a human" if waiting else ""
        js.document.title = alerts.title(box.unread_count())

    def _row(self, item: state.Item) -> js.Element:
        row = item.data
        box = self._inbox
        entry = chat_dom.element("li")
        button = chat_dom.element("button", "hc-conv")
        button.setAttribute("type", "button")
        button.setAttribute("data-id", row["id"])
        button.setAttribute("data-status", row["status"])
        if box is not None and box.selected == row["id"]:
            button.setAttribute("aria-current", "true")
        if box is not None and box.unread(row["id"]):
            button.classList.add("hc-unread")
        button.appendChild(chat_dom.element("span", "hc-conv-name", visitor_name(row["visitor"])))
        button.appendChild(
            chat_dom.element("span", "hc-conv-time", chat_dom.clock(row["updated_at"]))
        )
        last = _ROLE_PREFIX.get(row["last_author_role"], "") + row["last_text"]
        button.appendChild(chat_dom.element("span", "hc-conv-last", last))
        if row.get("visitor_email"):  # left outside business hours, to reply to
            button.appendChild(chat_dom.element("span", "hc-conv-email", row["visitor_email"]))
        badge = chat_dom.element("span", "hc-badge", inbox.STATUS_LABELS[row["status"]])
        badge.setAttribute("data-status", row["status"])
        button.appendChild(badge)
        if box is not None and row.get("assignee"):
            label = assignee_label(row["assignee"], box.me)
            button.appendChild(chat_dom.element("span", "hc-conv-assignee", label))
        if row.get("rating"):  # the visitor's CSAT score
            button.appendChild(_rating_marker(row["rating"]))
        conversation_id = row["id"]

        def clicked(_event: js.Event) -> None:
            self.app.open(conversation_id)

        button.addEventListener("click", create_proxy(clicked))
        entry.appendChild(button)
        return entry

    # ------------------------------------------------------------------ conversation

    def open_conversation(self, summary: dict, look: chat_dom.Look) -> None:
        self.close_conversation()
        look.on_retry = self.app.retry
        self.items = chat_dom.ItemList(self.log, look.draw)
        self.placeholder.hidden = True
        self.head.hidden = False
        self.log.hidden = False
        self.reply.hidden = False
        self.title.textContent = visitor_name(summary["visitor"])
        self.reply_input.focus()

    def close_conversation(self) -> None:
        if self.items is not None:
            self.items.clear()
            self.items = None
        self.answering.textContent = ""
        self.placeholder.hidden = False
        self.head.hidden = True
        self.log.hidden = True
        self.reply.hidden = True
        self.typing.textContent = ""
        self.context.hide()
        self.assign_menu.close(False)
        self.canned.close()
        self._show_suggestion("")
        self.suggest_button.disabled = False

    def render_conversation(
        self, conversation: state.Conversation, connection: str, now_ms: int
    ) -> None:
        if self.items is None:
            return
        log = self.log
        near_end = int(log.scrollHeight) - int(log.scrollTop) - int(log.clientHeight) < 80
        if self.items.render(conversation.items()) and near_end:
            log.scrollTop = log.scrollHeight
        self.badge.textContent = inbox.STATUS_LABELS[conversation.status]
        self.badge.setAttribute("data-status", conversation.status)
        self.conn.textContent = connection
        self.typing.textContent = chat_dom.typing_line(conversation.typing_names(now_ms))
        self.answering.textContent = "AI is answering…" if conversation.answering else ""
        me = (conversation.me or {}).get("id", "")
        self.assignee.textContent = assignee_label(conversation.assignee, me) or "Unassigned"
        mine = conversation.assignee is not None and conversation.assignee.get("id") == me
        self.assign_button.textContent = "Unassign" if mine else "Assign to me"
        self.close_button.textContent = "Reopen" if conversation.status == "closed" else "Close"
        self.takeover_button.hidden = not conversation.can_take_over()
        for button in (self.assign_button, self.close_button):
            button.disabled = not conversation.joined
        self.assign_menu.enable(conversation.joined)

    # ------------------------------------------------------------------ controls

    def _login(self, event: js.Event) -> None:
        event.preventDefault()
        form = self.login_form
        email = str(form.elements.namedItem("email").value).strip()
        password = str(form.elements.namedItem("password").value)
        if not email or not password:
            self.login_error.textContent = "Enter your email and password."
            return
        self.login_button.disabled = True
        self.login_error.textContent = ""
        self.app.login(email, password)

    def login_failed(self, error: str) -> None:
        self.login_button.disabled = False
        self.login_error.textContent = error

    def _logout(self, _event: js.Event) -> None:
        self.app.sign_out()

    def _more(self, _event: js.Event) -> None:
        self.more.disabled = True  # until the page is in
        self.app.load_more()

    def _submit(self) -> None:
        text = str(self.reply_input.value)
        problem = drafts.problem(text)
        self.show_problem(problem or "")
        if problem is not None:
            return
        self.reply_input.value = ""
        self.app.send(text, bool(self.note_toggle.checked))
        self.log.scrollTop = self.log.scrollHeight

    def _submitted(self, event: js.Event) -> None:
        event.preventDefault()
        self._submit()

    def _key(self, event: js.Event) -> None:
        if self.canned.open and not event.isComposing:
            step = {"ArrowDown": 1, "ArrowUp": -1}.get(str(event.key))
            if step is not None:
                event.preventDefault()
                self.canned.move(step)
                return
            if event.key in ("Enter", "Tab") and not event.shiftKey:
                event.preventDefault()
                self.canned.pick()
                return
            if event.key == "Escape":
                event.stopPropagation()  # closes the menu, not the search or the help
                self.canned.close()
                return
        if event.key == "Enter" and not event.shiftKey and not event.isComposing:
            event.preventDefault()
            self._submit()

    def show_problem(self, text: str) -> None:
        """Say what is wrong with the draft, or why an action was not done ("" clears it)."""
        self.problem.textContent = text
        self.problem.hidden = not text

    def _typed(self, _event: js.Event) -> None:
        if not self.problem.hidden:  # about a draft that is no longer there
            self.show_problem("")
        draft = str(self.reply_input.value)
        self.canned.show(canned_replies.offers(self.app.canned_responses(), draft))
        # A note is for agents only: the visitor is not told someone is typing it.
        self.app.typed(bool(draft.strip()) and not self.note_toggle.checked)

    def _left_reply(self, _event: js.Event) -> None:
        self.canned.close()  # picking an option keeps the focus, so this is leaving

    def _canned_picked(self, response: dict) -> None:
        self.reply_input.value = canned_replies.expand(str(self.reply_input.value), response)
        self.reply_input.focus()
        self.app.typed(not self.note_toggle.checked)

    # ------------------------------------------------------------------ suggested reply

    def _suggest(self, _event: js.Event) -> None:
        self.suggest_button.disabled = True
        self._show_suggestion("Asking the knowledge base…")
        self.app.suggest()

    def suggested(self, text: str, note: str) -> None:
        """A draft from the knowledge base goes into the composer (replacing what was there)
        for the agent to edit and send; `note` says where it came from, or why there is none."""
        self.suggest_button.disabled = False
        self._show_suggestion(note)
        if text:
            self.reply_input.value = text
            self.reply_input.focus()
            self.app.typed(not self.note_toggle.checked)

    def _show_suggestion(self, text: str) -> None:
        self.suggestion.textContent = text
        self.suggestion.hidden = not text

    # ------------------------------------------------------------------ keyboard

    def focus_reply(self) -> None:
        if not self.reply.hidden:
            self.reply_input.focus()

    def _show_help(self, _event: js.Event) -> None:
        self.help.show()

    def escape(self) -> None:
        if self.help.shown:
            self.help.hide()
        elif self.search.shown:
            self.search.clear()

    def _shortcut(self, event: js.Event) -> None:
        if self.desk.hidden or event.isComposing:  # signed out, or on the settings page
            return
        target = event.target
        tag = str(target.tagName or "") if target else ""
        editable = bool(target and target.isContentEditable)
        in_field = tag in ("INPUT", "TEXTAREA", "SELECT") or editable
        name = shortcuts.action(
            str(event.key), bool(event.altKey), bool(event.ctrlKey or event.metaKey), in_field
        )
        if name is None or (self.help.shown and name != "escape"):
            return
        handler = self.app.actions.get(name)
        if handler is not None:
            event.preventDefault()
            handler()

    # ------------------------------------------------------------------ agents' actions

    def render_filters(self, current: str) -> None:
        for i in range(int(self.filters.length)):
            button = self.filters.item(i)
            pressed = str(button.getAttribute("data-filter")) == current
            button.setAttribute("aria-pressed", "true" if pressed else "false")

    def _wire_filter(self, button: js.Element) -> None:
        name = str(button.getAttribute("data-filter"))

        def clicked(_event: js.Event) -> None:
            self.app.set_filter(name)

        button.addEventListener("click", create_proxy(clicked))

    def _take_over(self, _event: js.Event) -> None:
        self.app.take_over()

    def _assign(self, _event: js.Event) -> None:
        self.app.toggle_assign()

    def _close(self, _event: js.Event) -> None:
        self.app.toggle_close()

    def _note_mode(self, _event: js.Event) -> None:
        """Writing a note looks different from writing to the visitor, so nobody mixes them up."""
        noting = bool(self.note_toggle.checked)
        if noting:
            self.reply.classList.add("hc-noting")
            self.app.typed(False)
        else:
            self.reply.classList.remove("hc-noting")
        placeholder = "Write an internal note… (only agents see it)" if noting else _PLACEHOLDER
        self.reply_input.setAttribute("placeholder", placeholder)
        self.reply_input.focus()
