"""The agent console's conversation list: pure, no browser calls.

Rows arrive twice over: the `GET /api/inbox` pages and the `inbox.update` frames of the inbox
socket, which may overtake a page. A row is replaced only by a summary at least as new, so the
order they land in does not matter.

The first page holds every conversation waiting for a human, then the most recently active
others; each next page continues after the last other row of the page before (`next_page`).

A filter (`FILTERS`, as `GET /api/inbox?filter=` names them) narrows the list: the console
asks for pages of that filter, and a live update that no longer matches it (assigned to someone
else, closed, ...) takes its row out.

What the agent has read (the last seq seen per conversation) outlives a reload: `seen_state()`
is what the console stores, and a new `Inbox(seen_state)` picks it up again. It keeps the
`MAX_SEEN` conversations read most recently, so it does not grow for ever.
"""

STATUS_LABELS = {"open": "Open", "waiting_human": "Waiting for human", "closed": "Closed"}
# (filter, label) in the order the console shows them.
FILTERS = [
    ("all", "All"),
    ("open", "Open"),
    ("waiting", "Waiting for human"),
    ("mine", "Assigned to me"),
    ("unassigned", "Unassigned"),
    ("closed", "Closed"),
]
WAITING = "waiting_human"
# Conversations per page besides the waiting ones (the edge allows up to 100).
PAGE_SIZE = 100
MAX_SEEN = 1000


def matches(summary: dict, filter: str, me: str) -> bool:
    """Whether the inbox `filter` lists `summary` for the agent whose id is `me` (the edge's
    rule, which pages are asked for with)."""
    status = summary["status"]
    if filter == "all":
        return True
    if filter == "closed":
        return status == "closed"
    if status == "closed":
        return False
    if filter == "waiting":
        return status == WAITING
    assignee = summary.get("assignee")
    if filter == "mine":
        return assignee is not None and assignee.get("id") == me
    if filter == "unassigned":
        return assignee is None
    return filter == "open"


class Inbox:
    def __init__(self, seen_state: object = None, me: str = "") -> None:
        """`seen_state`: an earlier `seen_state()` (anything else is ignored, as it may come
        from storage another version wrote); `me`: the agent's id (for "Assigned to me")."""
        self.me = me
        self.filter = "all"
        self._rows: dict = {}  # conversation id -> summary dict
        # conversation id -> [last seq the agent has seen, when: a tick of `_clock`]
        self._seen: dict = {}
        self._clock = 0
        # Grows whenever something was read: the console stores `seen_state()` when it moved.
        self.seen_version = 0
        self.selected: str | None = None
        if isinstance(seen_state, dict):
            for conversation_id, entry in seen_state.items():
                if _is_seen_entry(entry):
                    self._seen[conversation_id] = [entry[0], entry[1]]
                    self._clock = max(self._clock, entry[1])
        # The query of the next page: {"before_updated_at", "before_id"}, None at the end.
        self.next_page: dict | None = None

    def add_page(self, summaries: list) -> bool:
        """Merge one page of `GET /api/inbox` (asked for with `limit=PAGE_SIZE`); True when the
        list changed. A full page of others means there may be more after its last one."""
        changed = False
        others = []
        for summary in summaries:
            changed = self.update(summary) or changed
            if summary["status"] != WAITING:
                others.append(summary)
        held = self.next_page
        self.next_page = None
        if len(others) >= PAGE_SIZE:
            last = others[-1]
            self.next_page = {"before_updated_at": last["updated_at"], "before_id": last["id"]}
        return changed or held != self.next_page

    def set_filter(self, filter: str) -> bool:
        """Show `filter` from now on: the rows go (the console loads its first page); what
        was read stays. False if it is the filter already."""
        if filter == self.filter:
            return False
        self.filter = filter
        self._rows = {}
        self.next_page = None
        return True

    def update(self, summary: dict) -> bool:
        """Keep `summary` unless we already hold a newer one; True when the list changed. A
        summary the filter does not list takes out the row it replaces, unless that row is the
        open conversation (it stays until the agent moves on), and is never added."""
        held = self._rows.get(summary["id"])
        if held is not None and _age(held) > _age(summary):
            return False
        fits = matches(summary, self.filter, self.me)
        if not fits and (held is None or summary["id"] != self.selected):
            return self._rows.pop(summary["id"], None) is not None
        self._rows[summary["id"]] = summary
        if summary["id"] == self.selected:
            self.seen(summary["id"], summary["last_seq"])
        return True

    def select(self, conversation_id: str | None) -> None:
        self.selected = conversation_id
        row = self._rows.get(conversation_id) if conversation_id else None
        if row is not None:
            self.seen(row["id"], row["last_seq"])

    def seen(self, conversation_id: str, seq: int) -> None:
        if seq > self._seen_seq(conversation_id):
            self._clock += 1
            self._seen[conversation_id] = [seq, self._clock]
            self.seen_version += 1

    def unread(self, conversation_id: str) -> bool:
        row = self._rows.get(conversation_id)
        return row is not None and row["last_seq"] > self._seen_seq(conversation_id)

    def seen_state(self) -> dict:
        """What the agent has read, to store: the `MAX_SEEN` most recently read conversations."""
        entries = list(self._seen.items())
        entries.sort(key=lambda item: -item[1][1])
        state = {}
        for conversation_id, entry in entries[:MAX_SEEN]:
            state[conversation_id] = [entry[0], entry[1]]
        return state

    def _seen_seq(self, conversation_id: str) -> int:
        entry = self._seen.get(conversation_id)
        return entry[0] if entry is not None else 0

    def get(self, conversation_id: str) -> dict | None:
        return self._rows.get(conversation_id)

    def rows(self) -> list:
        """Conversations waiting for a human first, then the others; newest activity first in
        each, ties broken by id (MicroPython's sort is not stable)."""
        rows = list(self._rows.values())
        rows.sort(key=lambda row: (row["status"] != WAITING, -row["updated_at"], row["id"]))
        return rows

    def unread_count(self) -> int:
        """How many conversations hold messages the agent has not seen (the title's badge)."""
        return len([row for row in self._rows.values() if self.unread(row["id"])])

    def neighbour(self, step: int) -> str | None:
        """The conversation `step` rows after the open one (before it when negative), in the
        order drawn; the first row when none is open, None past either end."""
        order = [row["id"] for row in self.rows()]
        if not order:
            return None
        if self.selected not in order:
            return order[0]
        at = order.index(self.selected) + step
        return order[at] if 0 <= at < len(order) else None

    def waiting(self) -> int:
        """How many conversations wait for a human."""
        return len([row for row in self._rows.values() if row["status"] == WAITING])


def _age(summary: dict) -> tuple:
    return (summary["updated_at"], summary["last_seq"])


def _is_seen_entry(entry: object) -> bool:
    if not isinstance(entry, list) or len(entry) != 2:
        return False
    return all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in entry)
