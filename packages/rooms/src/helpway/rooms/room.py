"""The conversation room as a pure state machine: inputs in, effects out, no I/O.

A host (the local asyncio host, later a Durable Object) feeds it inputs one at a time — that is
the serialisation a Durable Object's input gate gives — and performs the returned effects in
order. Keeping it free of I/O keeps it identical on CPython and Pyodide and lets hypothesis drive
it through arbitrary interleavings.

Guarantees the effect order encodes (see `effects`):
- every committed entry is `Persist`ed before anything about it is sent: the sender's `ack`
  first, then the entry to every joined session (the sender's sessions included, so each session's
  view is exactly the log), then `Publish` to the outbox;
- one monotonic `seq` per room; entry ids are `<conversation id>.<seq>`;
- a resend with a `client_id` the same author already used returns the original ack and creates
  nothing;
- a join with `last_seq` gets `welcome`, then every entry after `last_seq`, then live frames;
  a join beyond `policy.max_sessions` gets `room_full` and may be retried.

Typing is ephemeral: never stored, relayed only on change (a repeat only extends the deadline), a
session's "started" at most once per `policy.typing_interval_ms` — one that comes sooner is held
back until the interval is over, never dropped, since the client sends no repeat for a short
burst — and switched off by the room itself once the typist has been silent for
`policy.typing_ttl_ms` (`expire`, which the host calls at `next_expiry`), when it sends a
message, or when its session leaves. A "stopped" for a start the others were shown always goes
out at once; one for a start still held back has nothing to take back. A joiner is told who is
typing already.

Conversation status:
- `open`: the assistant answers visitor messages (`ai_active`), one question at a time, in order.
  Agents are told when it starts and stops working on an answer (`assistant.state`).
- `handoff.request` (visitor) → event `handoff.requested`, status `waiting_human`, the assistant
  stops (its current run is cancelled; queued questions are dropped).
- An agent's `takeover`, or its first message since the last handoff or reopen → event
  `agent.joined`, status `open`, the assistant stays off: a human owns the conversation. A
  takeover of a closed conversation is refused with `conversation_closed` (reopen it first).
- An agent's `close` → event `closed`; its `reopen` → event `reopened`, kept by that agent.
- The closed-conversation policy: a closed conversation stays the visitor's conversation (the
  widget keeps it across reloads) and nothing sent into it is ever dropped or refused. A message
  (visitor or agent) or a visitor's `handoff.request` reopens it: event `reopened` by the
  sender, status `open`, logged before the message itself. A visitor's reopen gives the
  conversation back to the assistant; an agent's keeps it off. Notes and assignments leave a
  closed conversation closed.

The visitor's satisfaction rating (`rating.send`, visitors only: an agent gets `forbidden`): a
closed conversation may be rated once → event `rated` carrying the rating, status still
`closed`. The first rating stands: another one is refused with `conflict`, as is a rating of a
conversation that is not closed (reopened meanwhile: the widget's prompt is gone); a resend
with the client id of the stored one gets its ack again. A blank comment is stored as "".

Agents only (a visitor's frame gets `forbidden`): notes (`note.send`, logged and deduped like
messages), `takeover`, `close`, `reopen` and `assign` (event `assigned`/`unassigned` naming the
assignee, whom the host resolved: `assign`). Notes and assignment events are agents-only entries
(`frames.agents_only`): they go to agents' sessions only, live and in catch-up, so a visitor's
view is the log without them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from helpway.shared import errors, frames, limits

from .assistant import Final
from .effects import Ask, Cancel, Effect, Entry, Persist, Publish, Replay, Send
from .meta import RoomMeta
from .policy import DEFAULT_POLICY, RoomPolicy
from .text import clip, pieces

ASSISTANT = frames.Author(id="assistant", role="assistant", name="Assistant")
DECLINE_TEXT = (
    "Sorry, I can't answer that right now. Would you like to talk to a person? "
    "Choose “Talk to a human”."
)
# Room for ".a" and a ten-digit seq after the conversation id, within the id limit.
MAX_CONVERSATION_ID_CHARS = limits.MAX_ID_CHARS - 12

# (author id, client id) → (seq, entry id, entry type) of the message or note that client id
# created. Messages and notes share an author's client ids (storage keeps each id once), so the
# type tells a resend from a send reusing the id of the other kind.
ReceiptKey = tuple[str, str]
Receipt = tuple[int, str, str]
# Finds a receipt in storage: (author id, client id) → receipt or None.
ReceiptLookup = Callable[[str, str], Receipt | None]

_SENDERS = ("visitor", "agent")
# Events that bring a human in: one right after an answer hands that answer off.
_HANDOFFS = ("handoff.requested", "agent.joined")


@dataclass
class _Session:
    participant: frames.Author
    # When the room stops showing this session as typing (0: it is not typing).
    typing_until: int = 0
    # When its last "started typing" was relayed.
    typing_relayed_at: int | None = None
    # When a "started" held back by the interval is relayed (0: none held back).
    typing_due: int = 0


@dataclass
class _Answer:
    id: str
    text: str = ""


class Room:
    """One conversation's state. Build it from storage with `meta` and `receipts`; `sessions`
    restores the joined sessions a host kept while the room was out of memory.

    With a `lookup` into storage, only the receipts of the last `policy.receipt_window` entries
    stay in memory (a long conversation's memory stays flat) and older ones are looked up when
    a client id is not among them; without one, every receipt stays in memory."""

    def __init__(
        self,
        meta: RoomMeta,
        receipts: Mapping[ReceiptKey, Receipt] | None = None,
        sessions: Mapping[str, frames.Author] | None = None,
        policy: RoomPolicy = DEFAULT_POLICY,
        lookup: ReceiptLookup | None = None,
    ) -> None:
        if len(meta.conversation_id) > MAX_CONVERSATION_ID_CHARS:
            raise ValueError(f"conversation id longer than {MAX_CONVERSATION_ID_CHARS} characters")
        self.meta = meta
        self.policy = policy
        # In seq order, so the oldest are dropped first.
        ordered = sorted((receipts or {}).items(), key=lambda item: item[1][0])
        self._receipts: dict[ReceiptKey, Receipt] = dict(ordered)
        self._lookup = lookup
        self._forgot_through = 0  # receipts up to this seq are in storage only
        self._forget_old_receipts()
        self._sessions = {sid: _Session(who) for sid, who in (sessions or {}).items()}
        self._answer: _Answer | None = None
        self._questions: deque[tuple[int, str]] = deque()

    # ------------------------------------------------------------------ read-only views

    @property
    def answering(self) -> str | None:
        """The id of the answer being streamed, if any."""
        return None if self._answer is None else self._answer.id

    def has_session(self, session_id: str) -> bool:
        return session_id in self._sessions

    def receipt(self, author_id: str, client_id: str) -> Receipt | None:
        """The (seq, entry id) a send with this client id from this author created, if any: a
        host lets a resend through without charging it to any rate limit."""
        found = self._receipts.get((author_id, client_id))
        if found is None and self._forgot_through and self._lookup is not None:
            found = self._lookup(author_id, client_id)
        return found

    @property
    def next_expiry(self) -> int | None:
        """When `expire` next has something to do (a host's alarm), or None."""
        deadlines = [s.typing_until for s in self._sessions.values() if s.typing_until]
        deadlines += [s.typing_due for s in self._sessions.values() if s.typing_due]
        return min(deadlines, default=None)

    # ------------------------------------------------------------------ inputs

    def join(self, session_id: str, participant: frames.Author, last_seq: int) -> list[Effect]:
        """A session joins having seen everything up to `last_seq` (0 for nothing)."""
        if session_id in self._sessions:
            return [_error(session_id, errors.ALREADY_JOINED, "this socket has already joined")]
        if len(self._sessions) >= self.policy.max_sessions:
            limit = self.policy.max_sessions
            return [_error(session_id, errors.ROOM_FULL, f"this conversation has {limit} sockets")]
        self._sessions[session_id] = _Session(participant)
        head = self.meta.last_seq
        welcome = frames.Welcome(
            type="welcome",
            v=limits.PROTOCOL_VERSION,
            conversation_id=self.meta.conversation_id,
            you=participant,
            status=self.meta.status,
            last_seq=head,
        )
        effects: list[Effect] = [Send((session_id,), welcome)]
        effects += [
            Send((session_id,), frames.Typing(type="typing", author=x.participant, active=True))
            for x in self._sessions.values()
            if x.typing_until and not x.typing_due and x.participant.id != participant.id
        ]
        # A last_seq beyond the head (a client that kept state the room never had) gets nothing.
        agent = participant.role == "agent"
        if last_seq < head:
            effects.append(Replay(session_id, max(last_seq, 0), head, include_agents_only=agent))
        if self._answer is not None and agent:
            effects.append(Send((session_id,), _answering(True)))
        if self._answer is not None and self._answer.text:
            # Mid-stream joiners get the answer so far in one piece, then the live deltas.
            partial = clip(self._answer.text, limits.MAX_TEXT_CHARS)
            effects.append(Send((session_id,), _delta(self._answer.id, partial)))
        return effects

    def receive(self, session_id: str, frame: frames.ClientFrame, now: int) -> list[Effect]:
        """A validated client frame from a session; `now` is the host's clock in ms."""
        session = self._sessions.get(session_id)
        client_id = frames.client_id_of(frame)
        if session is None:
            return [_error(session_id, errors.NOT_JOINED, "send join first", client_id)]
        if isinstance(frame, frames.Join):
            return [_error(session_id, errors.ALREADY_JOINED, "this socket has already joined")]
        if isinstance(frame, frames.Ping):
            return [Send((session_id,), frames.Pong(type="pong"))]
        if isinstance(frame, frames.SetTyping):
            return self._typing(session, frame.active, now)
        if isinstance(frame, frames.SendMessage):
            return self._send(session_id, session, frame, now)
        if isinstance(frame, frames.RequestHuman):
            return self._handoff(session_id, session, now)
        if isinstance(frame, frames.SendRating):
            return self._rate(session_id, session.participant, frame, now)
        author = session.participant
        if author.role != "agent":
            return [_error(session_id, errors.FORBIDDEN, "only agents can do this", client_id)]
        if isinstance(frame, frames.SendNote):
            return self._note(session_id, session, frame, now)
        if isinstance(frame, frames.TakeOver):
            return self._takeover(session_id, author, now)
        if isinstance(frame, frames.Close):
            return self._close(author, now)
        if isinstance(frame, frames.Reopen):
            return self._reopen(author, now)
        # `assign` names an agent id the host must resolve first (see `assign`).
        return [_error(session_id, errors.INVALID, "assign is resolved by the host")]

    def assign(self, session_id: str, assignee: frames.Author | None, now: int) -> list[Effect]:
        """An agent's `assign`, its `agent_id` resolved by the host to an agent of the site
        (None: unassign). Assigning the current assignee again logs nothing."""
        session = self._sessions.get(session_id)
        if session is None:
            return [_error(session_id, errors.NOT_JOINED, "send join first")]
        author = session.participant
        if author.role != "agent":
            return [_error(session_id, errors.FORBIDDEN, "only agents can do this")]
        assignee_id = None if assignee is None else assignee.id
        if assignee_id == self.meta.assignee_id:
            return []
        name: frames.EventName = "unassigned" if assignee is None else "assigned"
        meta, event = self._event(self.meta, name, author, self.meta.status, now)
        event = event.model_copy(update={"assignee": assignee})
        return self._commit(replace(meta, assignee_id=assignee_id), [event])

    def leave(self, session_id: str) -> list[Effect]:
        """A session is gone; a typing indicator it left on is switched off for the others."""
        session = self._sessions.pop(session_id, None)
        return [] if session is None else self._typing_off(session)

    def expire(self, now: int) -> list[Effect]:
        """Switch off every typist silent since its deadline; call it at `next_expiry`."""
        effects: list[Effect] = []
        for session in self._sessions.values():
            if session.typing_until and session.typing_until <= now:
                effects += self._typing_off(session)
            elif session.typing_due and session.typing_due <= now:
                effects += self._typing_on(session, now)
        return effects

    def assistant_delta(self, answer_id: str, text: str) -> list[Effect]:
        """A piece of the current answer; pieces of a cancelled or finished answer are dropped."""
        if self._answer is None or self._answer.id != answer_id or not text:
            return []
        self._answer.text += text
        everyone = self._everyone()
        return [
            Send(everyone, _delta(answer_id, piece))
            for piece in pieces(text, limits.MAX_TEXT_CHARS)
        ]

    def assistant_final(self, answer_id: str, answer: Final, now: int) -> list[Effect]:
        """The assistant's final answer: logged as a message, then the next question is asked."""
        if self._answer is None or self._answer.id != answer_id:
            return []
        text = answer.text.strip()
        if not text:
            return self.assistant_failed(answer_id, now)
        return self._finish(answer_id, text, _citations(answer.citations), answer.resolution, now)

    def assistant_failed(self, answer_id: str, now: int) -> list[Effect]:
        """The assistant broke or said nothing: the visitor gets a decline offering a human."""
        if self._answer is None or self._answer.id != answer_id:
            return []
        return self._finish(answer_id, DECLINE_TEXT, [], "declined", now)

    # ------------------------------------------------------------------ frame handlers

    def _send(
        self, session_id: str, session: _Session, frame: frames.SendMessage, now: int
    ) -> list[Effect]:
        author = session.participant
        if author.role not in _SENDERS:
            return [_error(session_id, errors.FORBIDDEN, "cannot send here", frame.client_id)]
        key = (author.id, frame.client_id)
        receipt = self.receipt(*key)
        if receipt is not None:
            return [_resent(session_id, frame.client_id, receipt, "message")]

        was_ai_active = self.meta.ai_active
        meta, entries = self._reopen_or_join(author, now)
        meta, message = self._message(meta, author, frame.text, now, client_id=frame.client_id)
        if author.role == "visitor" and meta.answered_id is not None:
            meta = replace(meta, answered_id=None)  # a new question: the last answer stands
        self._receipts[key] = (message.seq, message.id, message.type)
        self._forget_old_receipts()
        effects = self._commit(meta, [*entries, message], ack=(session_id, frame.client_id))
        effects += self._typing_off(session)
        if was_ai_active and not meta.ai_active:
            effects += self._stop_answering()
        if author.role == "visitor" and meta.ai_active:
            effects += self._enqueue_question(message.seq, frame.text)
        return effects

    def _note(
        self, session_id: str, session: _Session, frame: frames.SendNote, now: int
    ) -> list[Effect]:
        """A note is logged and acked like a message but changes nothing else: no reopen, no
        join, no question for the assistant."""
        author = session.participant
        key = (author.id, frame.client_id)
        receipt = self.receipt(*key)
        if receipt is not None:
            return [_resent(session_id, frame.client_id, receipt, "note")]
        meta, seq, entry_id, created_at = self._next(self.meta, now)
        note = frames.Note(
            type="note",
            seq=seq,
            id=entry_id,
            client_id=frame.client_id,
            author=author,
            text=frame.text,
            created_at=created_at,
        )
        self._receipts[key] = (seq, entry_id, note.type)
        self._forget_old_receipts()
        effects = self._commit(meta, [note], ack=(session_id, frame.client_id))
        effects += self._typing_off(session)
        return effects

    def _rate(
        self, session_id: str, author: frames.Author, frame: frames.SendRating, now: int
    ) -> list[Effect]:
        client_id = frame.client_id
        if author.role != "visitor":
            return [_error(session_id, errors.FORBIDDEN, "only the visitor can rate", client_id)]
        key = (author.id, client_id)
        receipt = self.receipt(*key)
        if receipt is not None:
            return [_resent(session_id, client_id, receipt, "event")]
        if self.meta.rating is not None:
            message = "this conversation has been rated already"
            return [_error(session_id, errors.CONFLICT, message, client_id)]
        if self.meta.status != "closed":
            message = "only a closed conversation can be rated"
            return [_error(session_id, errors.CONFLICT, message, client_id)]
        meta, event = self._event(self.meta, "rated", author, "closed", now)
        rating = frames.Rating(score=frame.score, comment=frame.comment.strip())
        event = event.model_copy(update={"client_id": client_id, "rating": rating})
        self._receipts[key] = (event.seq, event.id, event.type)
        self._forget_old_receipts()
        return self._commit(replace(meta, rating=frame.score), [event], ack=(session_id, client_id))

    def _takeover(self, session_id: str, author: frames.Author, now: int) -> list[Effect]:
        meta = self.meta
        if meta.status == "closed":
            message = "the conversation is closed: reopen it first"
            return [_error(session_id, errors.CONVERSATION_CLOSED, message)]
        if not meta.ai_active and author.id in meta.agent_ids:
            return []  # already this agent's
        meta, event = self._event(meta, "agent.joined", author, "open", now)
        meta = replace(meta, ai_active=False, agent_ids=meta.agent_ids | {author.id})
        return self._commit(meta, [event]) + self._stop_answering()

    def _close(self, by: frames.Author, now: int) -> list[Effect]:
        """Closing twice logs nothing."""
        if self.meta.status == "closed":
            return []
        meta, event = self._event(self.meta, "closed", by, "closed", now)
        meta = replace(meta, ai_active=False, agent_ids=frozenset())
        return self._commit(meta, [event]) + self._stop_answering()

    def _reopen(self, by: frames.Author, now: int) -> list[Effect]:
        """An agent's reopen keeps the conversation: the assistant stays off."""
        if self.meta.status != "closed":
            return []
        meta, event = self._event(self.meta, "reopened", by, "open", now)
        meta = replace(meta, ai_active=False, agent_ids=frozenset({by.id}))
        return self._commit(meta, [event])

    def _reopen_or_join(self, author: frames.Author, now: int) -> tuple[RoomMeta, list[Entry]]:
        """The event (if any) a message from `author` implies before it is logged."""
        meta = self.meta
        if meta.status == "closed":
            meta, event = self._event(meta, "reopened", author, "open", now)
            human = author.role == "agent"
            owners = frozenset({author.id}) if human else frozenset()
            return replace(meta, ai_active=not human, agent_ids=owners), [event]
        if author.role == "agent" and author.id not in meta.agent_ids:
            meta, event = self._event(meta, "agent.joined", author, "open", now)
            return replace(meta, ai_active=False, agent_ids=meta.agent_ids | {author.id}), [event]
        return meta, []

    def _handoff(self, session_id: str, session: _Session, now: int) -> list[Effect]:
        author = session.participant
        if author.role != "visitor":
            return [_error(session_id, errors.FORBIDDEN, "only the visitor can ask for a human")]
        if self.meta.status == "waiting_human":
            return []  # already waiting: the log says so, nothing new to record
        meta, entries = self.meta, []
        if meta.status == "closed":
            meta, reopened = self._event(meta, "reopened", author, "open", now)
            entries.append(reopened)
        meta, requested = self._event(meta, "handoff.requested", author, "waiting_human", now)
        meta = replace(meta, ai_active=False, agent_ids=frozenset())
        return self._commit(meta, [*entries, requested]) + self._stop_answering()

    def _typing(self, session: _Session, active: bool, now: int) -> list[Effect]:
        """Only changes are relayed: a client repeating "typing" just extends its deadline."""
        if not active:
            return self._typing_off(session)
        started = not session.typing_until
        session.typing_until = now + self.policy.typing_ttl_ms
        if not started:
            return []
        last = session.typing_relayed_at
        if last is not None and now - last < self.policy.typing_interval_ms:
            # Toggling fast: shown when the interval is over (`expire`), unless it stops first.
            session.typing_due = last + self.policy.typing_interval_ms
            return []
        return self._typing_on(session, now)

    def _typing_on(self, session: _Session, now: int) -> list[Effect]:
        session.typing_due = 0
        session.typing_relayed_at = now
        return self._typing_sends(session.participant, active=True)

    def _typing_off(self, session: _Session) -> list[Effect]:
        """The others hear "stopped" only if they were shown it started."""
        if not session.typing_until:
            return []
        shown = not session.typing_due
        session.typing_until = session.typing_due = 0
        return self._typing_sends(session.participant, active=False) if shown else []

    def _typing_sends(self, author: frames.Author, active: bool) -> list[Effect]:
        """Typing goes to everyone but the typist's own sessions, and is never stored."""
        others = tuple(s for s, x in self._sessions.items() if x.participant.id != author.id)
        if not others:
            return []
        return [Send(others, frames.Typing(type="typing", author=author, active=active))]

    # ------------------------------------------------------------------ the assistant

    def _enqueue_question(self, seq: int, text: str) -> list[Effect]:
        if self._answer is not None:
            self._questions.append((seq, text))
            return []
        return [*self._answering_sends(True), self._ask(seq, text)]

    def _ask(self, seq: int, question: str) -> Ask:
        self._answer = _Answer(id=f"{self.meta.conversation_id}.a{seq}")
        return Ask(self._answer.id, self.meta.site_id, question)

    def _stop_answering(self) -> list[Effect]:
        self._questions.clear()
        if self._answer is None:
            return []
        cancel = Cancel(self._answer.id)
        self._answer = None
        return [cancel, *self._answering_sends(False)]

    def _answering_sends(self, answering: bool) -> list[Effect]:
        agents = self._agents()
        return [Send(agents, _answering(answering))] if agents else []

    def _finish(
        self,
        answer_id: str,
        text: str,
        citations: list[frames.Citation],
        resolution: frames.Resolution,
        now: int,
    ) -> list[Effect]:
        self._answer = None
        meta, message = self._message(
            self.meta,
            ASSISTANT,
            clip(text, limits.MAX_TEXT_CHARS),
            now,
            citations=citations,
            answer_id=answer_id,
            resolution=resolution,
        )
        effects = self._commit(replace(meta, answered_id=answer_id), [message])
        if self._questions and meta.ai_active:
            effects.append(self._ask(*self._questions.popleft()))
        else:
            effects += self._answering_sends(False)
        return effects

    # ------------------------------------------------------------------ the log

    def _forget_old_receipts(self) -> None:
        if self._lookup is None:
            return
        horizon = self.meta.last_seq - self.policy.receipt_window
        while self._receipts:
            oldest = next(iter(self._receipts))
            seq = self._receipts[oldest][0]
            if seq > horizon:
                break
            del self._receipts[oldest]
            self._forgot_through = max(self._forgot_through, seq)

    def _commit(
        self, meta: RoomMeta, entries: Sequence[Entry], ack: tuple[str, str] | None = None
    ) -> list[Effect]:
        """Persist, then the ack to the sender, then the entries to everyone, then publish."""
        self.meta = meta
        effects: list[Effect] = [Persist(tuple(entries), meta)]
        if ack is not None:
            session_id, client_id = ack
            last = entries[-1]
            effects.append(Send((session_id,), _ack(client_id, (last.seq, last.id))))
        everyone, agents = self._everyone(), self._agents()
        for entry in entries:
            to = agents if frames.agents_only(entry) else everyone
            if to:
                effects.append(Send(to, entry))
        effects.append(Publish())
        return effects

    def _everyone(self) -> tuple[str, ...]:
        return tuple(self._sessions)

    def _agents(self) -> tuple[str, ...]:
        return tuple(s for s, x in self._sessions.items() if x.participant.role == "agent")

    def _next(self, meta: RoomMeta, now: int) -> tuple[RoomMeta, int, str, int]:
        seq = meta.last_seq + 1
        created_at = max(now, meta.last_created_at)
        meta = replace(meta, last_seq=seq, last_created_at=created_at)
        return meta, seq, f"{meta.conversation_id}.{seq}", created_at

    def _event(
        self,
        meta: RoomMeta,
        name: frames.EventName,
        author: frames.Author,
        status: frames.Status,
        now: int,
    ) -> tuple[RoomMeta, frames.Event]:
        meta, seq, entry_id, created_at = self._next(meta, now)
        handed_off = meta.answered_id if name in _HANDOFFS else None
        event = frames.Event(
            type="event",
            seq=seq,
            id=entry_id,
            name=name,
            author=author,
            status=status,
            created_at=created_at,
            answer_id=handed_off,
        )
        if handed_off is not None:
            meta = replace(meta, answered_id=None)
        return replace(meta, status=status), event

    def _message(
        self,
        meta: RoomMeta,
        author: frames.Author,
        text: str,
        now: int,
        *,
        client_id: str | None = None,
        citations: list[frames.Citation] | None = None,
        answer_id: str | None = None,
        resolution: frames.Resolution | None = None,
    ) -> tuple[RoomMeta, frames.Message]:
        meta, seq, entry_id, created_at = self._next(meta, now)
        message = frames.Message(
            type="message",
            seq=seq,
            id=entry_id,
            client_id=client_id,
            author=author,
            text=text,
            created_at=created_at,
            citations=citations or [],
            answer_id=answer_id,
            resolution=resolution,
        )
        return meta, message


def _error(
    session_id: str, code: frames.ErrorCode, message: str, client_id: str | None = None
) -> Send:
    return Send(
        (session_id,), frames.Error(type="error", code=code, message=message, client_id=client_id)
    )


def _ack(client_id: str, receipt: tuple[int, str]) -> frames.Ack:
    seq, entry_id = receipt
    return frames.Ack(type="ack", client_id=client_id, seq=seq, id=entry_id)


def _resent(session_id: str, client_id: str, receipt: Receipt, kind: str) -> Effect:
    """The answer to a send whose client id is already stored: the same ack again for a
    resend, `conflict` if the id made another kind (a note's id reused for a message, a
    message's for a rating, ...), which would otherwise be acked as delivered without being
    stored."""
    seq, entry_id, stored = receipt
    if stored != kind:
        message = f"client id already used for a {stored}: use a new one"
        return _error(session_id, errors.CONFLICT, message, client_id)
    return Send((session_id,), _ack(client_id, (seq, entry_id)))


def _answering(answering: bool) -> frames.AssistantState:
    return frames.AssistantState(type="assistant.state", answering=answering)


def _delta(answer_id: str, text: str) -> frames.AssistantDelta:
    return frames.AssistantDelta(type="assistant.delta", answer_id=answer_id, text=text)


def _citations(pairs: Sequence[tuple[str, str]]) -> list[frames.Citation]:
    """Citations that fit the wire: distinct urls, at most MAX_CITATIONS; a url too long to
    send is dropped (a cut url would be a broken link), a long title is shortened."""
    seen: set[str] = set()
    out: list[frames.Citation] = []
    for url, title in pairs:
        if not url or len(url) > limits.MAX_URL_CHARS or url in seen:
            continue
        seen.add(url)
        out.append(frames.Citation(url=url, title=clip(title, limits.MAX_TITLE_CHARS)))
        if len(out) == limits.MAX_CITATIONS:
            break
    return out
