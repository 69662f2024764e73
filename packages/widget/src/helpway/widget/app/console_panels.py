"""The console's working aids, drawn: search results, the visitor's context, the canned-response
menu of the composer, the keyboard help and the notifications switch.

Browser-only, like `console_view`, which owns one of each; what they show is decided by the
pure `canned_replies`, `shortcuts` and `alerts`. Every text goes in through `textContent`.
"""

import asyncio

import chat_dom
import js
import shortcuts
import transport
from jsffi import create_proxy

bridge = transport.bridge

# mypy reads this as true; MicroPython (no `typing`) never runs the imports below.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


class SearchPanel:
    """The search box and its results, which take the inbox list's place while shown.
    `search(text, more)` asks the app for results (more: the next page of the same search);
    `pick(summary)` opens a hit's conversation; `name(visitor)` is how a visitor is called."""

    def __init__(
        self,
        doc: js.Document,
        search: "Callable[[str, bool], None]",
        pick: "Callable[[dict], None]",
        name: "Callable[[dict], str]",
    ) -> None:
        find = doc.querySelector
        self.form = find(".hc-search")
        self.input = find(".hc-search input")
        self.results = find(".hc-results")
        self.note = find(".hc-results-note")
        self.hits = find(".hc-hits")
        self.more = find(".hc-hits-more")
        self.inbox_list = find(".hc-inbox-list")
        self._search = search
        self._pick = pick
        self._name = name
        self.form.addEventListener("submit", create_proxy(self._submitted))
        self.input.addEventListener("search", create_proxy(self._emptied))
        self.more.addEventListener("click", create_proxy(self._more))
        find(".hc-search-clear").addEventListener("click", create_proxy(self._cleared))

    @property
    def shown(self) -> bool:
        return not self.results.hidden

    def focus(self) -> None:
        self.input.focus()
        self.input.select()

    def _submitted(self, event: js.Event) -> None:
        event.preventDefault()
        text = str(self.input.value).strip()
        if not text:
            self.clear()
            return
        self.note.textContent = "Searching…"
        self.hits.replaceChildren()
        self.more.hidden = True
        self.results.hidden = False
        self.inbox_list.hidden = True
        self._search(text, False)

    def _emptied(self, _event: js.Event) -> None:
        """The search field's own clear button (or Esc in it) ends the search."""
        if not str(self.input.value).strip():
            self.clear()

    def _more(self, _event: js.Event) -> None:
        self.more.disabled = True
        self._search(str(self.input.value).strip(), True)

    def _cleared(self, _event: js.Event) -> None:
        self.clear()

    def clear(self) -> None:
        self.results.hidden = True
        self.inbox_list.hidden = False
        self.hits.replaceChildren()
        self.input.value = ""

    def show(self, hits: list, more: bool, first_page: bool) -> None:
        """Draw a page of hits (`rest.SearchHit` dicts), after the others unless the first."""
        if first_page:
            self.hits.replaceChildren()
        for hit in hits:
            self.hits.appendChild(self._hit(hit))
        count = int(self.hits.childElementCount)
        if count == 0:
            self.note.textContent = "No conversation says that."
        else:
            self.note.textContent = f"{count} conversation" + ("" if count == 1 else "s")
        self.more.hidden = not more
        self.more.disabled = False

    def failed(self) -> None:
        self.note.textContent = "Search failed. Please try again."
        self.more.disabled = False

    def _hit(self, hit: dict) -> js.Element:
        summary = hit["conversation"]
        entry = chat_dom.element("li")
        button = chat_dom.element("button", "hc-conv hc-hit")
        button.setAttribute("type", "button")
        button.setAttribute("data-id", summary["id"])
        button.appendChild(chat_dom.element("span", "hc-conv-name", self._name(summary["visitor"])))
        button.appendChild(
            chat_dom.element("span", "hc-conv-time", chat_dom.clock(hit["created_at"]))
        )
        button.appendChild(_snippet(hit["snippet"], hit.get("highlights")))

        def clicked(_event: js.Event) -> None:
            self._pick(summary)

        button.addEventListener("click", create_proxy(clicked))
        entry.appendChild(button)
        return entry


def _snippet(text: str, highlights: object) -> js.Element:
    """The snippet as text, its matched terms in <mark>s (ranges out of order or bounds are
    left unmarked)."""
    node = chat_dom.element("span", "hc-conv-last hc-snippet")
    at = 0
    for pair in highlights if isinstance(highlights, list) else []:
        if not (isinstance(pair, list) and len(pair) == 2):
            continue
        start, end = pair
        if not (isinstance(start, int) and isinstance(end, int) and at <= start < end):
            continue
        if end > len(text):
            continue
        node.appendChild(js.document.createTextNode(text[at:start]))
        node.appendChild(chat_dom.element("mark", "", text[start:end]))
        at = end
    node.appendChild(js.document.createTextNode(text[at:]))
    return node


class ContextPanel:
    """Who the open conversation's visitor is (`rest.VisitorContext`), with their local time
    kept current by `tick()`."""

    def __init__(self, doc: js.Document) -> None:
        find = doc.querySelector
        self.panel = find(".hc-context")
        self.page = find(".hc-ctx-page")
        self.language = find(".hc-ctx-language")
        self.browser = find(".hc-ctx-browser")
        self.user = find(".hc-ctx-user")
        self.time = find(".hc-ctx-time")
        self._zone = ""

    def show(self, context: dict) -> None:
        self.page.textContent = _text(context.get("page_url"))
        self.page.setAttribute("title", _text(context.get("page_url")))
        self.language.textContent = _text(context.get("locale"))
        self.browser.textContent = _text(context.get("browser"))
        self.browser.setAttribute("title", _text(context.get("user_agent")))
        user = context.get("user_id")
        self.user.textContent = user if isinstance(user, str) and user else "Not signed in"
        zone = context.get("time_zone")
        self._zone = zone if isinstance(zone, str) else ""
        self.tick()
        self.panel.hidden = False

    def tick(self) -> None:
        if not self._zone:
            self.time.textContent = "Unknown"
            return
        now = str(bridge.localTime(self._zone))
        self.time.textContent = (now + " (" + self._zone + ")") if now else self._zone

    def hide(self) -> None:
        self.panel.hidden = True
        self._zone = ""


def _text(value: object) -> str:
    return value if isinstance(value, str) and value else "Unknown"


class CannedMenu:
    """The canned responses a draft's "/word" asks for, listed above the composer; one is
    highlighted (arrow keys move it), Enter or Tab picks it, Escape closes the list.
    `pick(response)` puts the response in the draft."""

    def __init__(self, doc: js.Document, pick: "Callable[[dict], None]") -> None:
        self.list = doc.querySelector(".hc-canned")
        self._pick = pick
        self.offers: list = []
        self.at = 0

    @property
    def open(self) -> bool:
        return bool(self.offers)

    def show(self, offers: list) -> None:
        self.offers = offers
        self.at = 0
        self._draw()

    def close(self) -> None:
        self.show([])

    def move(self, step: int) -> None:
        if self.offers:
            self.at = (self.at + step) % len(self.offers)
            self._draw()

    def pick(self) -> None:
        if self.offers:
            chosen = self.offers[self.at]
            self.close()
            self._pick(chosen)

    def _draw(self) -> None:
        self.list.replaceChildren()
        self.list.hidden = not self.offers
        for index, response in enumerate(self.offers):
            option = chat_dom.element("li", "hc-canned-option")
            option.setAttribute("role", "option")
            option.setAttribute("data-shortcut", response["shortcut"])
            option.setAttribute("aria-selected", "true" if index == self.at else "false")
            option.appendChild(
                chat_dom.element("span", "hc-canned-shortcut", "/" + response["shortcut"])
            )
            option.appendChild(chat_dom.element("span", "hc-canned-title", response["title"]))
            option.appendChild(chat_dom.element("span", "hc-canned-text", response["text"]))
            chosen = index

            def pressed(event: js.Event, chosen: int = chosen) -> None:
                event.preventDefault()  # keep the composer's focus
                self.at = chosen
                self.pick()

            option.addEventListener("mousedown", create_proxy(pressed))
            self.list.appendChild(option)


class HelpOverlay:
    """The keyboard shortcuts the app handles, listed from `shortcuts.SHORTCUTS`."""

    def __init__(self, doc: js.Document, actions: dict) -> None:
        find = doc.querySelector
        self.dialog = find(".hc-help")
        self.close_button = find(".hc-help-close")
        keys = find(".hc-help-keys")
        for combo, what in shortcuts.help_rows(actions):
            row = chat_dom.element("div")
            row.appendChild(chat_dom.element("dt", "", combo))
            row.appendChild(chat_dom.element("dd", "", what))
            keys.appendChild(row)
        self.close_button.addEventListener("click", create_proxy(self._closed))
        self._back_to: js.Element | None = None

    @property
    def shown(self) -> bool:
        return not self.dialog.hidden

    def show(self) -> None:
        self._back_to = js.document.activeElement
        self.dialog.hidden = False
        self.close_button.focus()

    def hide(self) -> None:
        self.dialog.hidden = True
        if self._back_to is not None:
            self._back_to.focus()
            self._back_to = None

    def _closed(self, _event: js.Event) -> None:
        self.hide()


class NotifySwitch:
    """The "Turn on notifications" button, shown while the browser has not been asked: asking
    needs a click (browsers refuse a page that asks unprompted, and agents dislike it)."""

    def __init__(self, doc: js.Document) -> None:
        self.button = doc.querySelector(".hc-notify")
        self.button.addEventListener("click", create_proxy(self._clicked))
        self._task: asyncio.Task | None = None

    def refresh(self, signed_in: bool) -> None:
        self.button.hidden = not signed_in or str(bridge.notificationPermission()) != "default"

    def _clicked(self, _event: js.Event) -> None:
        self.button.disabled = True
        self._task = asyncio.create_task(self._ask())

    async def _ask(self) -> None:
        await bridge.askNotifications()
        self.button.disabled = False
        self.refresh(True)


class PresencePanel:
    """The agent's availability switch in the header and the team list beside the inbox.
    `choose(status)` tells the app the agent's new choice."""

    def __init__(self, doc: js.Document, choose: "Callable[[str], None]") -> None:
        self.switch = doc.querySelector(".hc-presence-switch")
        self.list = doc.querySelector(".hc-team-list")
        self.summary = doc.querySelector(".hc-team-count")
        self._choose = choose
        self._status = "online"
        self.switch.addEventListener("click", create_proxy(self._clicked))

    def show(self, status: str, signed_in: bool) -> None:
        """Draw the agent's own choice."""
        self._status = status
        self.switch.hidden = not signed_in
        online = status == "online"
        self.switch.setAttribute("aria-pressed", "true" if online else "false")
        self.switch.setAttribute("data-status", status)
        self.switch.textContent = "Online" if online else "Away"
        hint = "You are available; click to go away" if online else "You are away; click to return"
        self.switch.title = hint

    def render(self, people: list) -> None:
        """Draw who is here (`team.Team.people()`), all through textContent."""
        self.list.replaceChildren()
        online = 0
        for person in people:
            here = person["status"] == "online"
            item = chat_dom.element("li", "hc-teammate")
            item.setAttribute("data-status", person["status"])
            item.appendChild(chat_dom.element("span", "hc-teammate-name", person["name"]))
            item.appendChild(
                chat_dom.element("span", "hc-teammate-status", "online" if here else "away")
            )
            self.list.appendChild(item)
            if here:
                online += 1
        self.summary.textContent = f"{online} online" if people else "nobody online"

    def _clicked(self, _event: js.Event) -> None:
        self._choose("away" if self._status == "online" else "online")
