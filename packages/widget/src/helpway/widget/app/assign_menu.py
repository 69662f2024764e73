"""The console's "Assign to…" list: whom the open conversation goes to, chosen with the mouse
or the keyboard.

A button (the `a` shortcut presses it) opens a listbox of the choices `team.assign_choices`
made; the listbox takes the focus, the arrow keys (and Home / End) move the highlight, Enter
or Space picks, Escape or Tab closes it and gives the focus back. A native <select> would fire
`change` on every arrow press while closed, assigning at each step; this list assigns only
once, when picked. A letter jumps to the next choice starting with it (and so never reaches the
console's single-key shortcuts). Browser-only; every text goes in through `textContent`.
"""

import chat_dom
from jsffi import create_proxy

# mypy reads this as true; MicroPython (no `typing`) never runs the imports below.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    import js

_STEPS = {"ArrowDown": 1, "ArrowUp": -1}


def _next_starting(offers: list, at: int, letter: str) -> int:
    """The next choice after `at` (wrapping) whose label starts with `letter`, else `at`."""
    letter = letter.lower()
    for step in range(1, len(offers) + 1):
        index = (at + step) % len(offers)
        if offers[index]["label"].lower().startswith(letter):
            return index
    return at


class AssignMenu:
    """`choices()` gives the current `team.assign_choices` (asked for on each opening, so the
    list is that of the moment); `pick(agent_id)` assigns (None: unassign)."""

    def __init__(
        self,
        doc: "js.Document",
        choices: "Callable[[], list]",
        pick: "Callable[[str | None], None]",
    ) -> None:
        self.button = doc.querySelector(".hc-assign-to")
        self.list = doc.querySelector(".hc-assign-list")
        self._choices = choices
        self._pick = pick
        self.offers: list = []
        self.at = 0
        self.button.addEventListener("click", create_proxy(self._clicked))
        self.list.addEventListener("keydown", create_proxy(self._key))
        self.list.addEventListener("focusout", create_proxy(self._left))

    @property
    def open(self) -> bool:
        return bool(self.offers)

    def enable(self, on: bool) -> None:
        self.button.disabled = not on
        if not on:
            self.close(False)

    def show(self) -> None:
        """Open the list on the current assignee (or the first choice), focused."""
        if self.button.disabled or self.button.hidden:
            return
        self.offers = self._choices()
        self.at = 0
        for index, choice in enumerate(self.offers):
            if choice["current"]:
                self.at = index
        self._draw()
        if self.offers:
            self.list.focus()

    def close(self, refocus: bool) -> None:
        was_open = self.open
        self.offers = []
        self._draw()
        if was_open and refocus:
            self.button.focus()

    def _clicked(self, _event: "js.Event") -> None:
        if self.open:
            self.close(True)
        else:
            self.show()

    def _choose(self, index: int) -> None:
        chosen = self.offers[index]
        self.close(True)
        if not chosen["current"]:
            self._pick(chosen["id"])

    def _key(self, event: "js.Event") -> None:
        key = str(event.key)
        step = _STEPS.get(key)
        if step is not None and self.offers:
            self.at = (self.at + step) % len(self.offers)
        elif key == "Home":
            self.at = 0
        elif key == "End":
            self.at = max(len(self.offers) - 1, 0)
        elif key in ("Enter", " ") and self.offers:
            event.preventDefault()
            event.stopPropagation()
            self._choose(self.at)
            return
        elif key == "Escape":
            event.stopPropagation()  # closes the list, not the search or the help
            event.preventDefault()
            self.close(True)
            return
        elif key == "Tab":
            self.close(False)
            return
        elif len(key) == 1 and not (event.ctrlKey or event.metaKey or event.altKey):
            # Type-ahead; and a letter here is never one of the console's shortcuts.
            self.at = _next_starting(self.offers, self.at, key)
        else:
            return
        event.preventDefault()
        event.stopPropagation()
        self._draw()

    def _left(self, event: "js.Event") -> None:
        """Focus moved elsewhere (a click outside, another tab): the list closes."""
        inside = event.relatedTarget
        if self.open and not (inside and self.list.contains(inside)):
            self.close(False)

    def _draw(self) -> None:
        self.list.replaceChildren()
        self.list.hidden = not self.offers
        self.button.setAttribute("aria-expanded", "true" if self.offers else "false")
        for index, choice in enumerate(self.offers):
            option = chat_dom.element("li", "hc-assign-option", choice["label"])
            option.setAttribute("role", "option")
            option.setAttribute("id", "hc-assign-" + str(index))
            option.setAttribute("data-agent", choice["id"] or "")
            option.setAttribute("aria-selected", "true" if index == self.at else "false")
            if choice["current"]:
                option.setAttribute("aria-current", "true")
            chosen = index

            def pressed(event: "js.Event", chosen: int = chosen) -> None:
                event.preventDefault()  # keep the list's focus until picked
                self._choose(chosen)

            option.addEventListener("mousedown", create_proxy(pressed))
            self.list.appendChild(option)
        if self.offers:
            self.list.setAttribute("aria-activedescendant", "hc-assign-" + str(self.at))
        else:
            self.list.removeAttribute("aria-activedescendant")
