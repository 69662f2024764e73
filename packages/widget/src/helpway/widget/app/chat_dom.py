"""Drawing a conversation's items as DOM elements: shared by the widget and the console.

Text always goes in through `textContent`: whatever a visitor, an agent or a document says is
shown as text, never parsed as HTML. Citation URLs pass through `links.citation_href`.
Browser-only (imports `js`); the decisions it draws from live in the pure `state` and `keyed`.
"""

import csat
import i18n
import js
import keyed
import links
import state

# mypy reads this as true; MicroPython (no `typing`) never runs the imports below.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


def element(tag: str, cls: str = "", text: str | None = None) -> js.Element:
    node = js.document.createElement(tag)
    if cls:
        node.className = cls
    if text is not None:
        node.textContent = text
    return node


def typing_line(names: list, lang: str = i18n.DEFAULT) -> str:
    if not names:
        return ""
    if len(names) == 1:
        return i18n.text(lang, "typing_one", {"name": names[0]})
    return i18n.text(lang, "typing_many", {"names": i18n.names_list(lang, names)})


def clock(ms: int) -> str:
    """HH:MM in the browser's time zone. The float matters: MicroPython hands a big int
    (Unix ms are past 2**31) to JavaScript cut to 32 bits, a date in January 1970."""
    date = js.Date.new(float(ms))
    return f"{int(date.getHours()):02d}:{int(date.getMinutes()):02d}"


class Look:
    """Whose eyes the conversation is drawn for: the visitor's or an agent's."""

    def __init__(self, conversation: state.Conversation, viewer: str, origin: str) -> None:
        self.conversation = conversation
        self.viewer = viewer  # "visitor" or "agent"
        self.origin = origin  # the edge, for relative citation links
        self.lang = i18n.DEFAULT  # the language of every string drawn
        self.assistant_name = i18n.text(self.lang, "assistant")
        # Gets the client_id to resend; None: failed messages cannot be retried (no Retry).
        self.on_retry: Callable[[str], None] | None = None

    def draw(self, item: state.Item) -> js.Element:
        kind = item.kind
        if kind == "event":
            return self._event(item.data)
        if kind == "pending":
            return self._pending(item.data)
        if kind == "stream":
            author = {"id": "assistant", "role": "assistant", "name": self.assistant_name}
            row = self._row(author, item.data["text"], "")
            row.classList.add("hw-streaming")
            return row
        if kind == "greeting":
            author = {"id": "assistant", "role": "assistant", "name": self.assistant_name}
            return self._row(author, item.data["text"], "")
        if kind == "note":
            return _as_note(self._message(item.data))
        return self._message(item.data)

    def _message(self, frame: dict) -> js.Element:
        author = frame["author"]
        meta = clock(frame["created_at"]) if frame["created_at"] else ""
        if self.conversation.is_mine(author):
            meta = (meta + " · " if meta else "") + self._t("sent")
        row = self._row(author, frame["text"], meta)
        row.setAttribute("data-seq", str(frame["seq"]))
        row.setAttribute("data-id", frame["id"])
        citations = frame.get("citations") or []
        if citations:
            row.querySelector(".hw-bubble").appendChild(self._sources(citations))
        if frame.get("resolution") == "declined":
            row.classList.add("hw-declined")
        return row

    def _pending(self, pending: dict) -> js.Element:
        me = self.conversation.me or {"id": "", "role": self.viewer, "name": ""}
        failed = pending["state"] == state.FAILED
        retryable = state.retryable(pending)
        meta = self._t("sending" if not failed else "not_sent" if retryable else "not_sent_invalid")
        row = self._row(me, pending["text"], meta, mine=True)
        row.classList.add("hw-failed" if failed else "hw-sending")
        if retryable and self.on_retry is not None:
            retry = element("button", "hw-retry", self._t("retry"))
            retry.setAttribute("type", "button")
            client_id = pending["client_id"]

            def clicked(_event: js.Event) -> None:
                if self.on_retry is not None:  # it may have been withdrawn since
                    self.on_retry(client_id)

            retry.addEventListener("click", clicked)
            row.querySelector(".hw-meta").appendChild(retry)
        return _as_note(row) if pending.get("note") else row

    def _row(self, author: dict, text: str, meta: str, mine: bool = False) -> js.Element:
        role = author.get("role", "")
        row = element("div", "hw-row hw-" + role)
        row.setAttribute("data-role", role)
        if mine or self.conversation.is_mine(author):
            row.classList.add("hw-mine")
        else:
            row.appendChild(element("div", "hw-name", self._name(author)))
        bubble = element("div", "hw-bubble")
        bubble.appendChild(element("div", "hw-text", text))
        row.appendChild(bubble)
        if meta:
            row.appendChild(element("div", "hw-meta", meta))
        return row

    def _name(self, author: dict) -> str:
        role = author.get("role", "")
        if role == "assistant":  # the site's name for its assistant, not the room's generic one
            return self.assistant_name
        return author.get("name") or self._t("visitor" if role == "visitor" else "agent")

    def _sources(self, citations: list) -> js.Element:
        box = element("div", "hw-sources")
        box.appendChild(element("div", "hw-sources-label", self._t("sources")))
        listing = element("ul")
        for citation in citations:
            title = citation["title"] or citation["url"]
            href = links.citation_href(citation["url"], self.origin)
            entry = element("li")
            if href is None:
                entry.appendChild(element("span", "", title))
            else:
                link = element("a", "hw-source", title)
                link.setAttribute("href", href)
                link.setAttribute("target", "_blank")
                link.setAttribute("rel", "noopener")
                entry.appendChild(link)
            listing.appendChild(entry)
        box.appendChild(listing)
        return box

    def _event(self, frame: dict) -> js.Element:
        row = element("div", "hw-event", self._event_text(frame))
        row.setAttribute("data-seq", str(frame["seq"]))
        row.setAttribute("data-id", frame["id"])
        row.setAttribute("data-event", frame["name"])
        rating = frame.get("rating")
        if rating is not None:
            row.appendChild(self._rating(rating))
        return row

    def _rating(self, rating: dict) -> js.Element:
        """The stars (their words for screen readers) and the comment, as text."""
        box = element("div", "hw-rating")
        box.setAttribute("data-score", str(rating["score"]))
        stars = element("span", "hw-stars", csat.stars(rating["score"]))
        stars.setAttribute("role", "img")
        stars.setAttribute("aria-label", self._t("rate_score", {"score": rating["score"]}))
        box.appendChild(stars)
        comment = rating.get("comment") or ""
        if comment:
            box.appendChild(element("p", "hw-rating-comment", comment))
        return box

    def _event_text(self, frame: dict) -> str:
        name = frame["name"]
        author = frame["author"]
        who = {"name": self._t("you") if self.conversation.is_mine(author) else self._name(author)}
        if name == "handoff.requested":
            if self.viewer == "visitor":
                return self._t("you_asked_human")
            return self._t("asked_human", who)
        if name == "agent.joined":
            return self._t("joined", who)
        if name == "closed":
            return self._t("closed_by", who)
        if name == "assigned":  # agents only: the console's own words
            assignee = frame.get("assignee") or {}
            to = "you" if self.conversation.is_mine(assignee) else self._name(assignee)
            return who["name"] + " assigned the conversation to " + to
        if name == "unassigned":
            return who["name"] + " unassigned the conversation"
        if name == "rated":
            score = {"score": (frame.get("rating") or {}).get("score", 0)}
            if self.conversation.is_mine(author):
                return self._t("you_rated", score)
            score["name"] = who["name"]
            return self._t("rated_by", score)
        return self._t("reopened_by", who)

    def _t(self, key: str, params: dict | None = None) -> str:
        return i18n.text(self.lang, key, params)


def _as_note(row: js.Element) -> js.Element:
    """An internal note looks unlike anything a visitor could have been sent."""
    row.classList.add("hw-note")
    row.querySelector(".hw-bubble").prepend(element("div", "hw-note-label", "Internal note"))
    return row


class ItemList:
    """The drawn items of one container, kept in step with `state.Conversation.items()`."""

    def __init__(self, container: js.Element, draw: "Callable[[state.Item], js.Element]") -> None:
        self.container = container
        self._draw = draw
        self._keys: list = []
        self._revs: dict = {}
        self._elements: dict = {}

    def render(self, items: list) -> bool:
        """Bring the container in line with `items`; True when anything changed."""
        by_key = {}
        wanted = []
        for item in items:
            by_key[item.key] = item
            wanted.append((item.key, item.rev))
        ops = keyed.plan(self._keys, self._revs, wanted)
        for op in ops:
            kind = op[0]
            key = op[1]
            if kind == "remove":
                self._elements.pop(key).remove()
            elif kind == "redraw":
                fresh = self._draw(by_key[key])
                self._elements[key].replaceWith(fresh)
                self._elements[key] = fresh
            else:
                if kind == "insert":
                    self._elements[key] = self._draw(by_key[key])
                anchor = self._elements[op[2]] if op[2] is not None else None
                self.container.insertBefore(self._elements[key], anchor)
        self._keys = [key for key, _rev in wanted]
        self._revs = {}
        for key, rev in wanted:
            self._revs[key] = rev
        return len(ops) > 0

    def clear(self) -> None:
        for node in self._elements.values():
            node.remove()
        self._keys = []
        self._revs = {}
        self._elements = {}
