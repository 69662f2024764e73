"""The console's settings page, drawn: labelled forms whose refusals show beside their field,
lists of the KB's documents, the site's agents and its canned replies.

Drawn from Python into the page's empty `.hc-admin` (the console's HTML stays the inbox's), all
text through `textContent`. What a form sends and what a role may do is `admin_forms`; the
requests are `admin_app`'s.
"""

import chat_dom
import js
from jsffi import create_proxy

# mypy reads this as true; MicroPython (no `typing`) never runs the import below.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

element = chat_dom.element


def on(node: js.Element, event: str, handler: "Callable") -> None:
    node.addEventListener(event, create_proxy(handler))


def button(text: str, cls: str, handler: "Callable[[], None]") -> js.Element:
    node = element("button", cls, text)
    node.setAttribute("type", "button")
    on(node, "click", lambda _event: handler())
    return node


def confirm_button(text: str, cls: str, handler: "Callable[[], None]") -> js.Element:
    """A button for what cannot be undone: the first click asks ("Click again to …"), the
    second does it; leaving it forgets the first."""
    node = element("button", cls, text)
    node.setAttribute("type", "button")

    def clicked(_event: js.Event) -> None:
        if node.getAttribute("data-armed"):
            node.removeAttribute("data-armed")
            node.textContent = text
            handler()
        else:
            node.setAttribute("data-armed", "true")
            node.textContent = "Click again to " + text.lower()

    def left(_event: js.Event) -> None:
        node.removeAttribute("data-armed")
        node.textContent = text

    on(node, "click", clicked)
    on(node, "blur", left)
    return node


def error_line(cls: str = "") -> js.Element:
    """Where a refusal is said (`role=alert`: a screen reader says it as it comes); hidden by
    the stylesheet while empty."""
    node = element("p", ("ha-form-error " + cls).strip())
    node.setAttribute("role", "alert")
    return node


def section(title: str, cls: str) -> js.Element:
    node = element("section", "ha-section " + cls)
    node.setAttribute("aria-label", title)
    node.appendChild(element("h2", "", title))
    return node


class Form:
    """A form of labelled fields, each with its own error line (`aria-describedby`), a status
    line and a submit button. `submit(form)` runs on Enter or the button."""

    def __init__(self, name: str, label: str, submit_text: str, submit: "Callable") -> None:
        self.name = name
        self.node = element("form", "ha-form ha-form-" + name)
        self.node.setAttribute("aria-label", label)
        self.node.noValidate = True  # the edge's words, beside the field, not the browser's
        self.inputs: dict = {}
        self.errors: dict = {}
        self.general = error_line()
        self.status = element("p", "ha-status")
        self.status.setAttribute("role", "status")
        self.submit = element("button", "hc-primary", submit_text)
        self.submit.setAttribute("type", "submit")
        self.actions = element("div", "ha-actions")
        self.actions.appendChild(self.submit)
        self.actions.appendChild(self.status)

        def submitted(event: js.Event) -> None:
            event.preventDefault()
            submit(self)

        on(self.node, "submit", submitted)
        self._body = element("div", "ha-fields")
        self.node.appendChild(self._body)
        self.node.appendChild(self.general)
        self.node.appendChild(self.actions)

    def field(
        self, name: str, label: str, kind: str = "text", options: list | None = None, hint: str = ""
    ) -> js.Element:
        """Add a field: kind "text", "email", "textarea", "select" (`options`: (value, label)
        pairs) or "checkbox"."""
        wrap = element("div", "ha-field ha-field-" + name)
        caption = element("label", "ha-label")
        tag = {"textarea": "textarea", "select": "select"}.get(kind, "input")
        control = element(tag)
        control.setAttribute("name", name)
        if tag == "input":
            control.setAttribute("type", kind)
        if tag == "textarea":
            control.setAttribute("rows", "3")
        for value, text in options or []:
            option = element("option", "", text)
            option.value = value
            control.appendChild(option)
        if kind == "checkbox":
            caption.appendChild(control)
            caption.appendChild(js.document.createTextNode(" " + label))
        else:
            caption.appendChild(element("span", "", label))
            caption.appendChild(control)
        wrap.appendChild(caption)
        if hint:
            wrap.appendChild(element("p", "ha-hint", hint))
        error = element("p", "ha-field-error")
        error.id = "ha-" + self.name + "-" + name + "-error"
        error.hidden = True
        control.setAttribute("aria-describedby", error.id)
        wrap.appendChild(error)
        self._body.appendChild(wrap)
        self.inputs[name] = control
        self.errors[name] = error
        return control

    def values(self) -> dict:
        found: dict = {}
        for name, control in self.inputs.items():
            if str(control.type) == "checkbox":
                found[name] = bool(control.checked)
            else:
                found[name] = str(control.value)
        return found

    def fill(self, values: dict) -> None:
        for name, value in values.items():
            control = self.inputs.get(name)
            if control is None:
                continue
            if str(control.type) == "checkbox":
                control.checked = bool(value)
            else:
                control.value = value
        self.show_problems({})

    def show_problems(self, problems: dict, general: str = "") -> None:
        """Each problem beside its field (`aria-invalid`), one that fits none above the
        button; the first field with one takes the focus."""
        first = None
        for name, error in self.errors.items():
            text = problems.get(name, "")
            error.textContent = text
            error.hidden = not text
            control = self.inputs[name]
            if text:
                control.setAttribute("aria-invalid", "true")
                first = first or control
            else:
                control.removeAttribute("aria-invalid")
        self.general.textContent = general
        if first is not None:
            first.focus()
        if problems or general:
            self.status.textContent = ""

    def busy(self, text: str) -> None:
        self.submit.disabled = True
        self.status.textContent = text

    def done(self, text: str) -> None:
        self.submit.disabled = False
        self.status.textContent = text

    def set_editable(self, editable: bool) -> None:
        for control in self.inputs.values():
            control.disabled = not editable
        self.actions.hidden = not editable


class ItemList:
    """A `<ul>` redrawn whole from rows (`draw(row) -> <li>`); short lists, so no diffing."""

    def __init__(self, cls: str, label: str, empty_text: str) -> None:
        self.node = element("ul", "ha-list " + cls)
        self.node.setAttribute("aria-label", label)
        self.empty = element("p", "ha-empty", empty_text)

    def render(self, rows: list, draw: "Callable[[dict], js.Element]") -> None:
        self.node.replaceChildren()
        for row in rows:
            self.node.appendChild(draw(row))
        self.empty.hidden = bool(rows)


def copy_box(label: str, cls: str) -> tuple:
    """(a read-only field to copy from, its Copy button, the status line): the field shows
    the whole text, so the person sees what they copy, and is the fallback's selection."""
    field = element("textarea", "ha-copy-text " + cls)
    field.setAttribute("readonly", "")
    field.setAttribute("rows", "2")
    field.setAttribute("aria-label", label)
    copy = element("button", "ha-copy", "Copy")
    copy.setAttribute("type", "button")
    status = element("span", "ha-status")
    status.setAttribute("role", "status")
    return field, copy, status
