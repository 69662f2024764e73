"""The room inside a conversation's Durable Object: the pure `Room` on hibernating WebSockets.

What the local host does with tasks and queues, a Durable Object gets from its runtime:

- One object per conversation, so one `Room` per host. Every input (a socket's frame, a closed
  socket, the alarm, the assistant's output) runs under one lock, so a batch of effects is
  performed whole before the next input starts, even across awaits (the runtime delivers the
  next event while a handler waits on I/O).
- Sockets are accepted with `ctx.acceptWebSocket` and survive hibernation; the object does not.
  Everything a socket needs after a wake-up lives in its attachment (`serializeAttachment`,
  JSON text, at most 2 KiB): its session id, conversation, client IP, participant once
  authenticated, whether it joined, when it was last heard. A woken host rebuilds the room from
  storage and its sessions from `ctx.getWebSockets()`. The room keeps only its latest receipts
  in memory and looks older ones up in storage, as locally.
- `ws.send` never blocks: frames go out in the order the room decided them. A send that fails
  means the socket is gone: the room is told it left.
- The object's single alarm does the timed work: draining the outbox to the publisher (at once,
  or after a backoff when publishing failed), switching off silent typists at the room's
  `next_expiry`, and closing sockets silent for the idle timeout with 4408 (close events can be
  missed; clients ping well within the timeout).
- Visitors' new messages are charged to the send limiter (`ratelimit.DurableLimiter`: other
  objects, per visitor and per IP) before the room sees them, as the local host charges its
  `LocalLimiter`; a refusal is the same `rate_limited` error naming the client id. The charge is
  awaited outside the lock, so the room's other sockets never wait on a limiter's round trip;
  a resend of a message the room stored is free.
- The assistant runs as a task; its output re-enters through the lock. An answer in progress is
  lost if the object is evicted mid-stream (a deploy), as it is when the local edge restarts.

The edge's door (decoding frames, the join handshake, authentication) sits in front of this
host; see `helpway.edge.cloudflare`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from helpway.shared import errors, frames, limits

from ..assistant import Assistant
from ..effects import Ask, Cancel, Effect, Entry, Persist, Publish, Replay, Send, ServerFrame
from ..meta import RoomMeta
from ..outbox import PUBLISH_BATCH, Backoff, Publisher
from ..policy import DEFAULT_POLICY, RoomPolicy
from ..room import Room
from .ratelimit import SendLimiter
from .storage import DurableRoomStorage

log = logging.getLogger("helpway.rooms.cloudflare")

CLOSE_IDLE = 4408
CLOSE_ENDED = 4401  # as the local host: erased conversation, access removed
DEFAULT_BACKOFF = Backoff()
MAX_ATTACHMENT_BYTES = 2048
_OPEN_STATES = (0, 1)  # WebSocket CONNECTING, OPEN


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class Socket:
    """What a socket's attachment says about it."""

    id: str  # also its session id in the room
    conversation_id: str
    ip: str | None
    seen: int  # when it was last heard from (ms)
    participant: frames.Author | None = None  # set once its join's token checked out
    site_id: str | None = None
    joined: bool = False
    # The page origin the upgrade came from, for the door to check against the site's allowed
    # origins (None: no `Origin`, or the edge's own, e.g. the widget frame).
    origin: str | None = None

    def to_json(self) -> str:
        data = {
            "id": self.id,
            "c": self.conversation_id,
            "ip": self.ip,
            "seen": self.seen,
            "p": None if self.participant is None else self.participant.model_dump(),
            "site": self.site_id,
            "j": self.joined,
            "o": self.origin,
        }
        text = json.dumps(data, separators=(",", ":"))
        if len(text.encode()) > MAX_ATTACHMENT_BYTES:
            raise ValueError("socket attachment over 2 KiB")
        return text

    @classmethod
    def from_json(cls, text: str) -> Socket:
        data = json.loads(text)
        who = data["p"]
        return cls(
            id=data["id"],
            conversation_id=data["c"],
            ip=data["ip"],
            seen=data["seen"],
            participant=None if who is None else frames.Author.model_validate(who),
            site_id=data["site"],
            joined=data["j"],
            origin=data.get("o"),
        )


def socket_of(ws: Any) -> Socket | None:
    """The socket's attachment, or None for a socket this host never accepted."""
    text = ws.deserializeAttachment()
    return None if text is None else Socket.from_json(str(text))


def _store(ws: Any, socket: Socket) -> None:
    ws.serializeAttachment(socket.to_json())


class DurableRoomHost:
    """The room of one Durable Object. `ctx` is the object's state (`self.ctx`), `publish`
    receives committed entries at least once in seq order, `assistant` answers visitors,
    `encode` turns a frame into the socket's text, `limiter` bounds visitors' sends (None:
    unlimited)."""

    def __init__(
        self,
        ctx: Any,
        *,
        publish: Publisher,
        encode: Callable[[ServerFrame], str],
        assistant: Assistant | None = None,
        limiter: SendLimiter | None = None,
        backoff: Backoff = DEFAULT_BACKOFF,
        clock: Callable[[], int] = now_ms,
        policy: RoomPolicy = DEFAULT_POLICY,
        idle_timeout_ms: int = limits.IDLE_TIMEOUT_S * 1000,
    ) -> None:
        self._ctx = ctx
        self._storage = DurableRoomStorage(ctx.storage)
        self._publish = publish
        self._encode = encode
        self._assistant = assistant
        self._limiter = limiter
        self._backoff = backoff
        self._clock = clock
        self._policy = policy
        self._idle_timeout_ms = idle_timeout_ms
        self._lock = asyncio.Lock()
        self._room: Room | None = None
        self._sockets: dict[str, Any] = {}  # session id → WebSocket, for the joined sockets
        self._answer_task: asyncio.Task[None] | None = None
        self._retry_at: int | None = None  # when a failed publish is tried again
        self._attempt = 0
        self._erased = False

    # ------------------------------------------------------------------ sockets (the door's calls)

    def accept(
        self, ws: Any, conversation_id: str, ip: str | None, origin: str | None = None
    ) -> Socket:
        """Take a new server-side WebSocket into the object (hibernatable), before its join."""
        self._ctx.acceptWebSocket(ws)
        socket = Socket(secrets.token_urlsafe(9), conversation_id, ip, self._clock(), origin=origin)
        _store(ws, socket)
        return socket

    def heard(self, ws: Any) -> Socket | None:
        """A frame arrived on `ws`: note the time (for the idle timeout); its socket state."""
        socket = socket_of(ws)
        if socket is None:
            return None
        socket = replace(socket, seen=self._clock())
        _store(ws, socket)
        return socket

    def authenticated(self, ws: Any, participant: frames.Author, site_id: str) -> None:
        """The socket's join token resolved to `participant` of a conversation of `site_id`."""
        socket = socket_of(ws)
        if socket is not None:
            _store(ws, replace(socket, participant=participant, site_id=site_id))

    def send(self, ws: Any, frame: ServerFrame) -> None:
        """A frame of the door's own (a refusal), in order with the room's frames."""
        self._deliver(ws, frame)

    async def join(self, ws: Any, last_seq: int = 0) -> None:
        """Join an authenticated socket; a refused join (`room_full`) leaves it authenticated
        so that it may send `join` again."""
        socket = socket_of(ws)
        if socket is None or socket.participant is None or socket.site_id is None:
            raise ValueError("join needs an authenticated socket")
        participant, site_id = socket.participant, socket.site_id
        async with self._lock:
            room = self._loaded(socket.conversation_id, site_id)
            effects = room.join(socket.id, participant, last_seq)
            if room.has_session(socket.id) and socket.id not in self._sockets:
                self._sockets[socket.id] = ws
                _store(ws, replace(socket, joined=True))
            await self._perform(effects, origin=(socket.id, ws))
            await self._arm()

    async def receive(self, ws: Any, frame: frames.ClientFrame) -> None:
        """A decoded frame from a joined socket."""
        socket = socket_of(ws)
        client_id = frames.client_id_of(frame)
        if socket is None or not socket.joined:
            self._deliver(ws, _error(errors.NOT_JOINED, "send join first", client_id))
            return
        if isinstance(frame, frames.SendMessage):
            refusal = await self._charge(socket, frame.client_id)
            if refusal is not None:
                self._deliver(ws, refusal)
                return
        async with self._lock:
            room = self._loaded(socket.conversation_id, socket.site_id)
            effects = room.receive(socket.id, frame, self._clock())
            await self._perform(effects, origin=(socket.id, ws), client_id=client_id)
            await self._arm()

    async def assign(self, ws: Any, assignee: frames.Author | None) -> None:
        """An agent's `assign` frame, its agent id resolved by the door to `assignee`, an agent
        of the conversation's site (None: unassign)."""
        socket = socket_of(ws)
        if socket is None or not socket.joined:
            self._deliver(ws, _error(errors.NOT_JOINED, "send join first"))
            return
        async with self._lock:
            room = self._loaded(socket.conversation_id, socket.site_id)
            effects = room.assign(socket.id, assignee, self._clock())
            await self._perform(effects, origin=(socket.id, ws))
            await self._arm()

    async def _charge(self, socket: Socket, client_id: str) -> frames.Error | None:
        """Charge a new message to the send limits; a resend of a stored one is free."""
        if self._limiter is None or socket.participant is None:
            return None
        async with self._lock:
            room = self._loaded(socket.conversation_id, socket.site_id)
            if room.receipt(socket.participant.id, client_id) is not None:
                return None
        wait_ms = await self._limiter.admit(socket.participant, socket.ip)
        if not wait_ms:
            return None
        message = f"too many messages: retry in {wait_ms / 1000:.1f}s"
        return _error(errors.RATE_LIMITED, message, client_id)

    async def leave(self, ws: Any) -> None:
        """The socket closed or failed (`webSocketClose`, `webSocketError`). Idempotent."""
        socket = socket_of(ws)
        if socket is None or not socket.joined:
            return
        _store(ws, replace(socket, joined=False))
        async with self._lock:
            room = self._loaded(socket.conversation_id, socket.site_id)
            self._sockets.pop(socket.id, None)
            await self._perform(room.leave(socket.id))
            await self._arm()

    # ------------------------------------------------------------------ access and erasure

    async def erase(self) -> None:
        """Erase the room for good (GDPR, a deleted site): every socket is told `not_found`
        and closed, the answer stops, and the object's storage — log, outbox (entries not yet
        published included), meta — and its alarm are deleted. The conversation is already gone
        from D1, so no socket can join it again; this instance stores nothing more."""
        async with self._lock:
            self._erased = True
            if self._answer_task is not None:
                self._answer_task.cancel()
                self._answer_task = None
            for ws in self._open_sockets():
                self._end(ws, errors.NOT_FOUND, "this conversation was erased")
            self._sockets = {}
            self._room = None
            await self._ctx.storage.deleteAlarm()
            await self._ctx.storage.deleteAll()

    async def disconnect(self, participant_id: str) -> int:
        """End the sockets of `participant_id` (an agent removed from the site): told
        `unauthorized`, closed, and out of the room at once. Returns how many."""
        ended = 0
        for ws in self._open_sockets():
            socket = socket_of(ws)
            if socket is None or socket.participant is None:
                continue
            if socket.participant.id != participant_id:
                continue
            await self.leave(ws)
            self._end(ws, errors.UNAUTHORIZED, "no longer an agent of this site")
            ended += 1
        return ended

    def room_log(self, after_seq: int) -> list[Entry]:
        """The log after `after_seq` (for a data export: entries not yet copied to D1)."""
        if self._erased:
            return []
        stored = self._storage.load()
        if stored is None:
            return []
        return self._read(after_seq, stored.meta.last_seq)

    def _end(self, ws: Any, code: frames.ErrorCode, message: str) -> None:
        self._deliver(ws, _error(code, message))
        try:
            ws.close(CLOSE_ENDED, code)
        except Exception as exc:  # already closing
            log.debug("closing a socket failed: %r", exc)

    # ------------------------------------------------------------------ the alarm

    async def alarm(self) -> None:
        """The object's alarm: expire typists, close idle sockets, drain the outbox, re-arm."""
        if self._erased:
            return
        now = self._clock()
        async with self._lock:
            room = self._restore()
            if room is not None:
                await self._perform(room.expire(now))
            await self._close_idle(now)
        if room is not None:
            await self._drain(room.meta.conversation_id)
        async with self._lock:
            await self._arm()

    async def _close_idle(self, now: int) -> None:
        for ws in self._open_sockets():
            socket = socket_of(ws)
            if socket is None or socket.seen + self._idle_timeout_ms > now:
                continue
            try:
                ws.close(CLOSE_IDLE, "idle")
            except Exception as exc:  # already closing: the runtime reports it either way
                log.debug("closing an idle socket failed: %r", exc)
            if socket.joined and self._room is not None:
                _store(ws, replace(socket, joined=False))
                self._sockets.pop(socket.id, None)
                await self._perform(self._room.leave(socket.id))

    async def _arm(self) -> None:
        """Set the alarm for the earliest timed work, unless it is already set earlier."""
        due: list[int] = []
        if self._retry_at is not None:
            due.append(self._retry_at)
        elif self._storage.unpublished(1):
            due.append(self._clock())
        if self._room is not None and self._room.next_expiry is not None:
            due.append(self._room.next_expiry)
        seen = [s.seen for ws in self._open_sockets() if (s := socket_of(ws)) is not None]
        if seen:
            due.append(min(seen) + self._idle_timeout_ms)
        if not due:
            return
        at = min(due)
        current = await self._ctx.storage.getAlarm()
        if current is None or at < int(current):
            await self._ctx.storage.setAlarm(at)

    # ------------------------------------------------------------------ the room

    def _open_sockets(self) -> list[Any]:
        return [ws for ws in self._ctx.getWebSockets() if ws.readyState in _OPEN_STATES]

    def _restore(self) -> Room | None:
        """The room in memory, rebuilt from storage and the sockets' attachments after a
        wake-up; None if nothing was ever stored."""
        if self._room is not None:
            return self._room
        stored = self._storage.load()
        if stored is None:
            return None
        self._room = Room(
            stored.meta, stored.receipts, self._rejoin(), self._policy, self._storage.receipt
        )
        return self._room

    def _loaded(self, conversation_id: str, site_id: str | None) -> Room:
        if self._erased:
            raise LookupError(f"conversation {conversation_id!r} was erased")
        room = self._restore()
        if room is not None:
            return room
        if site_id is None:
            raise LookupError(f"no stored room for conversation {conversation_id!r}")
        # Without an assistant, rooms start with it off: questions wait for a human.
        meta = RoomMeta(conversation_id, site_id, ai_active=self._assistant is not None)
        self._room = Room(
            meta, sessions=self._rejoin(), policy=self._policy, lookup=self._storage.receipt
        )
        return self._room

    def _rejoin(self) -> dict[str, frames.Author]:
        """The joined sockets, as the room's sessions (after a wake-up or a reload)."""
        self._sockets = {}
        sessions: dict[str, frames.Author] = {}
        for ws in self._open_sockets():
            socket = socket_of(ws)
            if socket is not None and socket.joined and socket.participant is not None:
                self._sockets[socket.id] = ws
                sessions[socket.id] = socket.participant
        return sessions

    def _deliver(self, ws: Any, frame: ServerFrame) -> bool:
        try:
            ws.send(self._encode(frame))
        except Exception as exc:  # the socket is gone
            log.info("send failed: %r", exc)
            return False
        return True

    async def _perform(
        self,
        effects: list[Effect],
        origin: tuple[str, Any] | None = None,
        client_id: str | None = None,
    ) -> None:
        gone: list[str] = []

        def deliver(session_id: str, frame: ServerFrame) -> None:
            ws = self._sockets.get(session_id)
            if ws is None and origin is not None and origin[0] == session_id:
                ws = origin[1]  # a refused join: the socket is not in the room
            if ws is not None and not self._deliver(ws, frame) and session_id not in gone:
                gone.append(session_id)

        room = self._room
        assert room is not None
        for effect in effects:
            if isinstance(effect, Persist):
                try:
                    self._storage.commit(effect.entries, effect.meta)
                except Exception:
                    log.exception("commit failed; reloading the room from storage")
                    self._reload()
                    if origin is not None:
                        refusal = _error(errors.INTERNAL, "not stored, please retry", client_id)
                        deliver(origin[0], refusal)
                    return
            elif isinstance(effect, Send):
                for session_id in effect.to:
                    deliver(session_id, effect.frame)
            elif isinstance(effect, Replay):
                for entry in self._read(effect.after_seq, effect.through_seq):
                    if effect.shows(entry):
                        deliver(effect.to, entry)
            elif isinstance(effect, Publish):
                pass  # the outbox is in storage; `_arm` sets the alarm that drains it
            elif isinstance(effect, Ask):
                self._answer_task = asyncio.create_task(self._answer(effect))
            elif isinstance(effect, Cancel) and self._answer_task is not None:
                self._answer_task.cancel()
                self._answer_task = None
        for session_id in gone:
            ws = self._sockets.pop(session_id, None)
            if ws is not None:
                socket = socket_of(ws)
                if socket is not None:
                    _store(ws, replace(socket, joined=False))
            await self._perform(room.leave(session_id))

    def _reload(self) -> None:
        """After a failed commit the core is ahead of storage: rebuild it on next use."""
        if self._answer_task is not None:
            self._answer_task.cancel()
            self._answer_task = None
        self._room = None

    def _read(self, after_seq: int, through_seq: int) -> list[Entry]:
        out: list[Entry] = []
        while after_seq < through_seq:
            page = self._storage.entries(after_seq, through_seq, limits.HISTORY_PAGE)
            if not page:
                break
            out += page
            after_seq = page[-1].seq
        return out

    # ------------------------------------------------------------------ the assistant

    async def _answer(self, ask: Ask) -> None:
        me = asyncio.current_task()

        async def feed(step: Callable[[Room], list[Effect]], last: bool = False) -> None:
            async with self._lock:
                if last and self._answer_task is me:
                    self._answer_task = None  # before the step: it may start the next answer
                room = self._restore()
                if room is not None:
                    await self._perform(step(room))
                    await self._arm()

        answer_id = ask.answer_id
        try:
            if self._assistant is not None:
                async for item in self._assistant(ask.site_id, ask.question):
                    if isinstance(item, str):
                        await feed(partial(Room.assistant_delta, answer_id=answer_id, text=item))
                        continue
                    now = self._clock()
                    await feed(
                        partial(Room.assistant_final, answer_id=answer_id, answer=item, now=now),
                        last=True,
                    )
                    return
        except Exception:
            log.exception("the assistant failed")
        await feed(
            partial(Room.assistant_failed, answer_id=answer_id, now=self._clock()), last=True
        )

    # ------------------------------------------------------------------ the outbox

    async def _drain(self, conversation_id: str) -> None:
        """Publish the outbox in order, batch by batch; a failure schedules a retry."""
        while True:
            async with self._lock:
                batch = self._storage.unpublished(PUBLISH_BATCH)
            if not batch:
                self._retry_at, self._attempt = None, 0
                return
            try:
                await self._publish(conversation_id, batch)
            except Exception as exc:
                delay = self._backoff.delay(self._attempt)
                self._attempt += 1
                self._retry_at = self._clock() + int(delay * 1000)
                log.warning("publish failed (%r); retry %d in %.2fs", exc, self._attempt, delay)
                return
            self._retry_at, self._attempt = None, 0
            async with self._lock:
                self._storage.mark_published(batch[-1].seq)


def _error(code: frames.ErrorCode, message: str, client_id: str | None = None) -> frames.Error:
    return frames.Error(type="error", code=code, message=message, client_id=client_id)
