"""One conversation as the widget and the console see it: pure, no browser calls.

Validated server frames and local actions go in; `items()` comes out: what the view draws, in
order, each with a key and a revision so the view redraws only what changed. The same tests run
this module on CPython and on MicroPython, so it uses nothing MicroPython lacks and never relies
on dict order (MicroPython's dicts are unordered).

Rules it keeps:
- the log (messages and events) is drawn once per entry id, ordered by `seq`, whatever order,
  duplicates or replays the frames arrive in;
- a message being sent shows at once ("sending"), turns into the log entry when the room acks
  it (or when its broadcast arrives first), and is resent with the same `client_id` after a
  reconnect until then, so the room can drop the duplicate; the messages still waiting
  (`saved_outbox`) outlive the page: the next page load restores them (`restore_outbox`) and
  resends them with their `client_id`;
- messages that reach the log after our first `welcome` are news (`take_news`), each once:
  what the host page hears about and counts as unread; the history sent on joining is not;
- a message is never left "sending" by a refusal: one naming its `client_id` fails it, and one
  the server could not tie to a frame (too large or unreadable, so it never learnt the id)
  fails every message in flight; an ack that comes after all heals a wrongly failed one;
- a failed message stays drawn where it was sent, among the log entries of its time, while
  messages on their way out come after the log;
- a streamed answer is drawn from its `assistant.delta` pieces until the message carrying its
  `answer_id` replaces it; a new `welcome` drops half-streamed text because the room sends the
  answer so far again in one piece;
- an agent's view also holds internal notes (kind "note", sent like messages, never shown to a
  visitor: the room never sends them one), the assignee (from `assigned`/`unassigned`) and
  whether the assistant is answering (`assistant.state`, forgotten on every new socket: the room
  says so again on join);
- the visitor's rating of the closed conversation (event `rated`, one per conversation) is
  `rating`; ours on its way out (`rating_sent`) is resent with its `client_id` after a
  reconnect until the room acks or refuses it, so a resend is never a second rating.
"""

try:
    from helpway.shared import errors
except ImportError:  # MicroPython: the codec modules sit flat on the path
    import errors

SENDING = "sending"
FAILED = "failed"
SENT = "sent"
# Refusals of a frame the server could not read, so they cannot name its client_id.
_UNREADABLE = (errors.TOO_LARGE, errors.BAD_FRAME)

# Someone who said they were typing is forgotten after this long without a word from them.
TYPING_TTL_MS = 8000


def new_client_id(now_ms: int, entropy: int, counter: int) -> str:
    """A client message id unique for this visitor across tabs and reloads.

    The room drops a message whose (author, client_id) it has seen, so ids from two tabs must
    never collide: the clock, a random number from the page and a per-page counter together
    make that vanishingly unlikely.
    """
    return "c" + _base36(now_ms) + "-" + _base36(entropy) + "-" + _base36(counter)


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    number = abs(number)
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out


class Item:
    """One thing the view draws. `kind` is "message", "event", "pending", "stream" or
    "greeting"; `data` is the frame (message/event) or a small dict."""

    def __init__(self, key: str, rev: int, kind: str, data: dict) -> None:
        self.key = key
        self.rev = rev
        self.kind = kind
        self.data = data


class Conversation:
    """The state of one conversation socket's view of the room."""

    def __init__(self) -> None:
        self.me: dict | None = None  # the `you` author of the last welcome
        self.status = "open"
        self.joined = False  # a welcome came on the current socket
        self.human_joined = False
        self.handoff_requested = False
        self.assignee: dict | None = None  # the agent the conversation is assigned to
        self.answering = False  # the assistant is working on an answer
        self.rating: dict | None = None  # {"score", "comment"} of the `rated` event
        # Our rating on its way out: {"client_id", "score", "comment", "acked", "error"}.
        self.rating_sent: dict | None = None
        self.last_seq = 0
        self.greeting = ""  # drawn first, not part of the log (see `set_greeting`)
        self._greeting_rev = 0
        self._entries: dict = {}  # entry id -> [frame, rev]
        self._seq_ids: dict = {}  # seq -> entry id
        self._order: list = []  # entry ids ordered by seq
        # [{"client_id", "text", "note", "state", "error", "rev", "after_seq"}] in send order;
        # `after_seq`: the newest log entry when it was sent, where a failed one is drawn.
        self._pending: list = []
        self._streams: list = []  # [{"answer_id", "text", "rev"}] arrival order
        self._finished: set = set()  # answer ids whose message arrived
        self._typing: dict = {}  # author id -> (author, expires at ms)
        self._rev = 0
        # The room's last seq at our first welcome: messages after it are news.
        self._baseline: int | None = None
        self._news: list = []

    # ------------------------------------------------------------------ reading

    def items(self) -> list:
        """Everything to draw, in order: greeting, the log by seq with failed messages where
        they were sent, streams, then the messages on their way out."""
        out = []
        if self.greeting:
            out.append(Item("greeting", self._greeting_rev, "greeting", {"text": self.greeting}))
        # By the log position each was sent at, then in send order (MicroPython's sort is not
        # stable, so the order is part of the key).
        failed = [
            (p["after_seq"], i, p) for i, p in enumerate(self._pending) if p["state"] == FAILED
        ]
        failed.sort(key=lambda f: (f[0], f[1]))
        waiting = [p for p in self._pending if p["state"] != FAILED]
        at = 0
        for entry_id in self._order:
            frame, rev = self._entries[entry_id]
            while at < len(failed) and failed[at][0] < frame["seq"]:
                out.append(_pending_item(failed[at][2]))
                at += 1
            out.append(Item("m:" + entry_id, rev, frame["type"], frame))
        for _after, _i, pending in failed[at:]:
            out.append(_pending_item(pending))
        for stream in self._streams:
            out.append(Item("s:" + stream["answer_id"], stream["rev"], "stream", stream))
        for pending in waiting:
            out.append(_pending_item(pending))
        return out

    def entry(self, entry_id: str) -> dict | None:
        record = self._entries.get(entry_id)
        return record[0] if record is not None else None

    def is_mine(self, author: dict) -> bool:
        return self.me is not None and author.get("id") == self.me.get("id")

    def outbox(self) -> list:
        """Messages to (re)send once joined: those still waiting for their ack."""
        return [p for p in self._pending if p["state"] == SENDING]

    def typing_names(self, now_ms: int) -> list:
        """Names of the others typing right now, in a stable order."""
        names = []
        for author_id in sorted(self._typing):
            author, expires = self._typing[author_id]
            if expires > now_ms:
                names.append(author.get("name") or _role_label(author.get("role", "")))
        return names

    def saved_outbox(self) -> list:
        """What to keep for the next page load: [{"client_id", "text"}] of every message
        still waiting for its ack, in send order. A failed one is not kept: it was refused."""
        return [
            {"client_id": p["client_id"], "text": p["text"]}
            for p in self._pending
            if p["state"] == SENDING
        ]

    def take_news(self) -> list:
        """The message frames that reached the log since the last call, in arrival order."""
        news = self._news
        self._news = []
        return news

    def can_request_human(self) -> bool:
        return self.joined and not self.handoff_requested and not self.human_joined

    def can_rate(self) -> bool:
        """The visitor may rate a closed conversation nobody rated, unless a rating of ours is
        on its way (a refused one may be sent again)."""
        if self.status != "closed" or self.rating is not None:
            return False
        return self.rating_sent is None or bool(self.rating_sent["error"])

    def rating_outbox(self) -> dict | None:
        """Our rating to (re)send once joined: sent, neither acked nor refused yet."""
        sent = self.rating_sent
        if sent is None or sent["acked"] or sent["error"]:
            return None
        return sent

    def can_take_over(self) -> bool:
        """An agent may take over while no human owns the conversation and it is not closed."""
        return self.joined and not self.human_joined and self.status != "closed"

    # ------------------------------------------------------------------ local actions

    def set_greeting(self, text: str) -> None:
        if text != self.greeting:
            self.greeting = text
            self._greeting_rev = self._bump()

    def add_pending(self, client_id: str, text: str, note: bool = False) -> None:
        """A message (or an agent's internal note) on its way out."""
        self._pending.append(
            {
                "client_id": client_id,
                "text": text,
                "note": note,
                "state": SENDING,
                "error": "",
                "rev": self._bump(),
                "after_seq": self.last_seq,
            }
        )

    def add_rating(self, client_id: str, score: int, comment: str) -> None:
        """The visitor's rating on its way out (see `can_rate`)."""
        self.rating_sent = {
            "client_id": client_id,
            "score": score,
            "comment": comment,
            "acked": False,
            "error": "",
        }

    def restore_outbox(self, saved: object) -> None:
        """Put back what `saved_outbox` kept, as read back from storage: anything malformed is
        skipped, and a message already here is not added twice."""
        if not isinstance(saved, list):
            return
        known = {p["client_id"] for p in self._pending}
        for record in saved:
            if not isinstance(record, dict):
                continue
            client_id = record.get("client_id")
            text = record.get("text")
            if isinstance(client_id, str) and isinstance(text, str) and client_id not in known:
                known.add(client_id)
                self.add_pending(client_id, text)

    def retry(self, client_id: str) -> bool:
        """Put a failed message back in the outbox; False if there is no such failed message,
        or it cannot go as it is (`retryable`)."""
        for pending in self._pending:
            if pending["client_id"] == client_id and retryable(pending):
                pending["state"] = SENDING
                pending["error"] = ""
                pending["rev"] = self._bump()
                return True
        return False

    def fail_outbox(self, code: str) -> bool:
        """Mark every message still on its way out as not sent (the chat cannot take them, or
        the server refused a frame it could not name); True if there was any."""
        failed = False
        for pending in self._pending:
            if pending["state"] == SENDING:
                pending["state"] = FAILED
                pending["error"] = code
                pending["rev"] = self._bump()
                failed = True
        return failed

    def disconnected(self) -> None:
        """The socket dropped: nobody is known to be typing, and we are not joined any more."""
        self.joined = False
        self.answering = False
        self._typing = {}

    # ------------------------------------------------------------------ server frames

    def apply(self, frame: dict, now_ms: int) -> bool:
        """Apply one validated server frame; True when something visible may have changed."""
        kind = frame["type"]
        if kind == "message" or kind == "event" or kind == "note":
            return self._add_entry(frame)
        if kind == "ack":
            return self._ack(frame, now_ms)
        if kind == "assistant.delta":
            return self._delta(frame)
        if kind == "typing":
            return self._typing_frame(frame, now_ms)
        if kind == "welcome":
            return self._welcome(frame)
        if kind == "assistant.state":
            changed = self.answering != frame["answering"]
            self.answering = frame["answering"]
            return changed
        if kind == "error":
            return self._refused(frame)
        return False

    def _welcome(self, frame: dict) -> bool:
        self.me = frame["you"]
        self.status = frame["status"]
        self.joined = True
        self.answering = False  # the room says so again if it is
        self._streams = []  # the room resends the answer so far in one piece
        if self._baseline is None:
            self._baseline = frame["last_seq"]
        if frame["last_seq"] < self.last_seq:  # the room lost entries we kept: start over
            self._entries = {}
            self._seq_ids = {}
            self._order = []
            self.last_seq = 0
            self.human_joined = False
            self.handoff_requested = False
            self.assignee = None
            self.rating = None
        return True

    def _add_entry(self, frame: dict) -> bool:
        entry_id = frame["id"]
        seq = frame["seq"]
        record = self._entries.get(entry_id)
        if record is not None:
            # The broadcast of a message we built from its ack: keep the room's copy, and redraw
            # it when it differs (the room's `created_at` replaces the provisional local time).
            if record[0] == frame:
                return False
            record[0] = frame
            record[1] = self._bump()
            return True
        if seq in self._seq_ids:
            return False
        self._entries[entry_id] = [frame, self._bump()]
        self._seq_ids[seq] = entry_id
        self._insert_ordered(entry_id, seq)
        if seq > self.last_seq:
            self.last_seq = seq
        if frame["type"] == "event":
            self._event(frame)
        elif frame["type"] == "note":
            self._note(frame)
        else:
            self._message(frame)
        return True

    def _insert_ordered(self, entry_id: str, seq: int) -> None:
        at = len(self._order)
        while at > 0 and self._entries[self._order[at - 1]][0]["seq"] > seq:
            at -= 1
        self._order.insert(at, entry_id)

    def _event(self, frame: dict) -> None:
        self.status = frame["status"]
        name = frame["name"]
        sent = self.rating_sent
        if name == "reopened" and sent is not None and sent["error"]:
            self.rating_sent = None  # the prompt is gone; a new one starts afresh
        if name == "handoff.requested":
            self.handoff_requested = True
        elif name == "agent.joined":
            self.human_joined = True
        elif name == "assigned" or name == "unassigned":
            self.assignee = frame.get("assignee")
        elif name == "rated":
            self.rating = frame.get("rating")
            self.rating_sent = None
        elif name == "reopened" and frame["author"]["role"] == "visitor":
            # A visitor's reopen hands the conversation back to the assistant.
            self.handoff_requested = False
            self.human_joined = False

    def _message(self, frame: dict) -> None:
        author = frame["author"]
        if self._baseline is not None and frame["seq"] > self._baseline:
            self._news.append(frame)
        self._typing.pop(author["id"], None)
        if author["role"] == "agent":
            self.human_joined = True
        client_id = frame.get("client_id")
        if client_id and self.is_mine(author):
            self._drop_pending(client_id, frame["seq"])
        answer_id = frame.get("answer_id")
        if answer_id:
            self._finished.add(answer_id)
            self._streams = [s for s in self._streams if s["answer_id"] != answer_id]

    def _note(self, frame: dict) -> None:
        client_id = frame.get("client_id")
        if client_id and self.is_mine(frame["author"]):
            self._drop_pending(client_id, frame["seq"])

    def _ack(self, frame: dict, now_ms: int) -> bool:
        client_id = frame["client_id"]
        sent = self.rating_sent
        if sent is not None and sent["client_id"] == client_id:
            sent["acked"] = True  # the `rated` event follows
            return False
        pending = self._drop_pending(client_id, frame["seq"])
        if pending is None or self.me is None:
            return pending is not None
        if frame["id"] not in self._entries:
            self._add_entry(
                {
                    "type": "note" if pending.get("note") else "message",
                    "seq": frame["seq"],
                    "id": frame["id"],
                    "client_id": client_id,
                    "author": self.me,
                    "text": pending["text"],
                    "created_at": now_ms,  # until the broadcast brings the room's time
                }
            )
        return True

    def _drop_pending(self, client_id: str, seq: int) -> dict | None:
        """Settle the pending message the room stored at `seq`. Those sent after it were sent
        after that entry too: should they fail, they are drawn below it."""
        for i, pending in enumerate(self._pending):
            if pending["client_id"] == client_id:
                for later in self._pending[i + 1 :]:
                    if later["after_seq"] < seq:
                        later["after_seq"] = seq
                return self._pending.pop(i)
        return None

    def _delta(self, frame: dict) -> bool:
        answer_id = frame["answer_id"]
        if answer_id in self._finished:
            return False
        for stream in self._streams:
            if stream["answer_id"] == answer_id:
                stream["text"] += frame["text"]
                stream["rev"] = self._bump()
                return True
        self._streams.append({"answer_id": answer_id, "text": frame["text"], "rev": self._bump()})
        return True

    def _typing_frame(self, frame: dict, now_ms: int) -> bool:
        author = frame["author"]
        if self.is_mine(author):
            return False
        if frame["active"]:
            self._typing[author["id"]] = (author, now_ms + TYPING_TTL_MS)
        else:
            self._typing.pop(author["id"], None)
        return True

    def _refused(self, frame: dict) -> bool:
        client_id = frame.get("client_id")
        code = frame["code"]
        sent = self.rating_outbox()
        if not client_id:
            if code not in _UNREADABLE:
                return False
            if sent is not None:
                sent["error"] = code
            failed = self.fail_outbox(code)
            return failed or sent is not None
        if sent is not None and sent["client_id"] == client_id:
            sent["error"] = code
            return True
        for pending in self._pending:
            if pending["client_id"] == client_id:
                pending["state"] = FAILED
                pending["error"] = frame["code"]
                pending["rev"] = self._bump()
                return True
        return False

    def _bump(self) -> int:
        self._rev += 1
        return self._rev


def retryable(pending: dict) -> bool:
    """Whether sending a failed message again may work: not after an `invalid` refusal (its
    text breaks a rule, e.g. a control character pasted in: the same frame is refused again)."""
    return pending["state"] == FAILED and pending["error"] != errors.INVALID


def _pending_item(pending: dict) -> Item:
    return Item("p:" + pending["client_id"], pending["rev"], "pending", pending)


def _role_label(role: str) -> str:
    if role == "assistant":
        return "Assistant"
    if role == "visitor":
        return "Visitor"
    return "Agent"
