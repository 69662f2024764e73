"""The widget's panel: adopts the shell the loader drew and keeps it in step with the state.

The loader builds the panel's parts (header, log, typing line, "Talk to a human", composer) so
it can open instantly; this module finds them by class name, replaces the loading notice with
the conversation and wires the controls to the app.
"""

import chat_dom
import drafts
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
    """`app` provides send(text), retry(client_id), request_human() and typed(has_text)."""

    def __init__(self, panel: js.Element, look: chat_dom.Look, app: "widget_app.WidgetApp") -> None:
        self.app = app
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
        self.log.replaceChildren()
        self.items = chat_dom.ItemList(self.log, look.draw)
        self.form.addEventListener("submit", create_proxy(self._submitted))
        self.input.addEventListener("keydown", create_proxy(self._key))
        self.input.addEventListener("input", create_proxy(self._typed))
        self.human.addEventListener("click", create_proxy(self._human))

    # ------------------------------------------------------------------ drawing

    def render(
        self, conversation: state.Conversation, subtitle: str, now_ms: int, available: bool
    ) -> None:
        """`available` False: the chat cannot work on this page, so nothing can be typed."""
        near_end = self._near_end()
        if self.items.render(conversation.items()) and near_end:
            self.scroll_to_end()
        self.typing.textContent = chat_dom.typing_line(conversation.typing_names(now_ms))
        self.sub.textContent = subtitle
        self.human.hidden = (
            not available or conversation.handoff_requested or conversation.human_joined
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
        problem = drafts.problem(text)
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

    def _human(self, _event: js.Event) -> None:
        self.human.disabled = True
        self.app.request_human()
