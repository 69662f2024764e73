"""The local room host: what the Durable Object runtime does for rooms on Cloudflare, in asyncio.

- Exactly one live `Room` per conversation id, loaded from its storage on first use, in a
  commit thread: opening a room's file (creating it, a synced write, for a new conversation)
  waits for the disk, and every other room's sockets must not wait with it.
- A per-room lock is the input gate: one group of inputs at a time, their effects performed in
  order (persist → ack → broadcast → publish) before the next group starts. A group is every
  input that arrived while the room was busy: decided in arrival order, all they persist
  committed in one transaction, then each one's frames — as a Durable Object's output gate
  holds frames until the writes before them are durable, and coalesces those writes.
- Sessions outlive the room's stay in memory, as hibernating WebSockets outlive a Durable
  Object's instance: an idle room is evicted (storage closed) and rebuilt on its next event with
  the sessions it had.
- The assistant runs as a task whose output re-enters the room through the same gate.
- Each room's outbox is drained to the injected publisher by one task with retries, in order.
  What a commit just stored is handed to that task from memory (`_Live.fresh`), so the usual
  drain reads and writes nothing on the event loop: it reads the outbox only for a backlog (a
  previous run's, or more than `FRESH_MAX` entries while the publisher fails), and deletes
  what it published in the room's next commit, or when the room is evicted or closed. A crash
  in between publishes those entries again, which the publisher takes idempotently.
- A room with typists has an alarm at its `next_expiry` that switches silent typists off.
- Visitors' new messages are charged to a `LocalLimiter` (per visitor and per IP, across
  rooms) before the room sees them; a refusal is a `rate_limited` error naming the client id.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TypeVar

from helpway.shared import errors, frames, limits

from .assistant import Assistant
from .effects import Ask, Cancel, Effect, Entry, Persist, Publish, Replay, Send, ServerFrame
from .meta import RoomMeta
from .outbox import PUBLISH_BATCH, Backoff, Publisher
from .policy import DEFAULT_POLICY, RoomPolicy
from .ratelimit import DEFAULT_SEND_LIMITS, LocalLimiter, SendLimits
from .room import Room
from .session import Outlet, Session
from .sqlite_storage import SqliteRoomFolder
from .storage import RoomFolder, RoomStorage, StoredRoom

log = logging.getLogger("helpway.rooms")
T = TypeVar("T")

DEFAULT_IDLE_EVICT_S = 300.0
# The close code of a socket the host ends (erased conversation, access removed): the edge's
# `unauthorized` close, so clients do not reconnect into a door that stays shut.
CLOSE_ENDED = 4401
DEFAULT_BACKOFF = Backoff()
COMMIT_THREADS = 32
# Committed entries a room holds in memory for its drain; beyond that the drain reads them
# back from the outbox (a publisher failing for long must not fill the memory).
FRESH_MAX = PUBLISH_BATCH


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(eq=False)
class _Pending:
    """An input waiting for its room: how to decide it, and who to tell if it is not stored."""

    step: Callable[[_Live], list[Effect]]
    origin: Session | None
    client_id: str | None
    done: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    def finish(self) -> None:
        if not self.done.done():
            self.done.set_result(None)

    def fail(self, exc: BaseException) -> None:
        if not self.done.done():
            self.done.set_exception(exc)


def _fail_queued(
    queued: dict[str, list[_Pending]],
    conversation_id: str,
    group: list[_Pending],
    task: asyncio.Future[None],
) -> None:
    """The group's leader ended: an input it did not decide (the room could not be loaded,
    or the host closed) fails with the leader's error."""
    if queued.get(conversation_id) is group:
        del queued[conversation_id]
    error = None if task.cancelled() else task.exception()
    for pending in group:
        if error is not None:
            pending.fail(error)
        elif task.cancelled():
            pending.fail(asyncio.CancelledError())
        else:
            pending.finish()


@dataclass(eq=False)
class _Live:
    room: Room
    storage: RoomStorage
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last_used: float = field(default_factory=time.monotonic)
    answer: asyncio.Task[None] | None = None
    # The alarm that calls the room's `expire` at its `next_expiry`.
    alarm: asyncio.Task[None] | None = None
    alarm_due: int = 0
    evicted: bool = False
    # The outbox as the drain sees it: entries committed and not yet published, in seq order,
    # unless `backlog` (the outbox may hold entries these do not, so the drain reads it).
    fresh: deque[Entry] = field(default_factory=deque)
    backlog: bool = False
    # Published through this seq; the outbox rows through `marked` are deleted.
    published: int = 0
    marked: int = 0

    def stored(self, entries: tuple[Entry, ...]) -> None:
        """`entries` were just committed: the drain takes them from here."""
        if self.backlog:
            return
        if len(self.fresh) + len(entries) > FRESH_MAX:
            self.fresh.clear()
            self.backlog = True
            return
        self.fresh.extend(entries)

    def published_through(self, seq: int) -> None:
        self.published = max(self.published, seq)
        while self.fresh and self.fresh[0].seq <= seq:
            self.fresh.popleft()

    def mark(self) -> None:
        """Delete the published entries from the outbox (under the room's lock)."""
        published = self.published  # read once: a commit thread runs this too
        if published > self.marked:
            self.storage.mark_published(published)
            self.marked = published

    def close(self) -> None:
        """Close the storage for good (evicted, the host closing), after marking."""
        self.evicted = True
        try:
            self.mark()
        finally:
            self.storage.close()


class LocalRoomHost:
    """Rooms for the local edge. Call `start()` once inside the event loop, `aclose()` at exit.

    `folder` holds one SQLite file per room (or pass any `RoomFolder`). `publish` receives every
    committed entry at least once, in seq order per conversation. `assistant` answers visitor
    questions; without one, new rooms start with the assistant off (humans answer). Rooms idle for
    `idle_evict_s` are evicted from memory (None: never). `policy` sizes every room; `send_limits`
    bound visitors' sends across rooms (None: unlimited)."""

    def __init__(
        self,
        folder: Path | RoomFolder,
        *,
        publish: Publisher,
        assistant: Assistant | None = None,
        backoff: Backoff = DEFAULT_BACKOFF,
        idle_evict_s: float | None = DEFAULT_IDLE_EVICT_S,
        clock: Callable[[], int] = now_ms,
        policy: RoomPolicy = DEFAULT_POLICY,
        send_limits: SendLimits | None = DEFAULT_SEND_LIMITS,
    ) -> None:
        self._folder: RoomFolder = SqliteRoomFolder(folder) if isinstance(folder, Path) else folder
        self._publish = publish
        self._assistant = assistant
        self._backoff = backoff
        self._idle_evict_s = idle_evict_s
        self._clock = clock
        self._policy = policy
        self._limiter = None if send_limits is None else LocalLimiter(send_limits)
        self._rooms: dict[str, _Live] = {}
        # conversation id → the load in progress, shared by every caller that needs the room.
        self._loading: dict[str, asyncio.Future[_Live]] = {}
        # conversation id → session id → outlet: the host's "sockets", kept across evictions.
        self._outlets: dict[str, dict[str, Outlet]] = {}
        self._drains: dict[str, asyncio.Task[None]] = {}
        # conversation id → inputs waiting for the room, decided together (`_input`).
        self._queued: dict[str, list[_Pending]] = {}
        # Rooms' commits wait for the disk side by side: the file system syncs concurrent
        # commits of many rooms together, so more of them in flight means more per sync.
        self._committers = ThreadPoolExecutor(COMMIT_THREADS, thread_name_prefix="room-commit")
        self._sweeper: asyncio.Task[None] | None = None
        self._closed = False
        # Erased conversations: never loaded (so never re-created on disk) again.
        self._erased: set[str] = set()

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Resume draining outboxes a previous run left behind, and start the idle sweeper."""
        for conversation_id in self._folder.conversation_ids():
            storage = self._folder.open(conversation_id)
            if storage.unpublished(1):
                storage.close()
                await self._loaded(conversation_id, None)
                self._drain_soon(conversation_id)
            else:
                storage.close()
        if self._idle_evict_s is not None:
            self._sweeper = asyncio.create_task(self._sweep(self._idle_evict_s), name="sweeper")

    async def aclose(self) -> None:
        """Stop every task and close every storage, after any input in progress has finished.
        Unpublished entries stay in the outboxes and are drained by the next `start()`."""
        self._closed = True
        tasks: list[asyncio.Task[None]] = [*self._drains.values()]
        tasks += [live.answer for live in self._rooms.values() if live.answer is not None]
        tasks += [live.alarm for live in self._rooms.values() if live.alarm is not None]
        if self._sweeper is not None:
            tasks.append(self._sweeper)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        outlets = [outlet for room in self._outlets.values() for outlet in room.values()]
        self._outlets.clear()
        await asyncio.gather(*(outlet.aclose() for outlet in outlets))
        for live in list(self._rooms.values()):
            async with live.lock:
                live.close()
        self._rooms.clear()
        self._committers.shutdown(wait=False)

    # ------------------------------------------------------------------ the edge's calls

    async def join(self, session: Session, last_seq: int = 0) -> None:
        """Attach an authenticated session; it gets `welcome`, the entries after `last_seq`,
        then live frames. A second join of the same session gets `already_joined`; a join into
        a full room gets `room_full`, and the session may send `join` again later."""

        def step(live: _Live) -> list[Effect]:
            effects = live.room.join(session.id, session.participant, last_seq)
            outlets = self._outlets.setdefault(session.conversation_id, {})
            if live.room.has_session(session.id) and session.id not in outlets:
                outlets[session.id] = Outlet(session, self.leave)
            elif not outlets:
                del self._outlets[session.conversation_id]
            return effects

        await self._input(session.conversation_id, session.site_id, step, session)

    async def receive(self, session: Session, frame: frames.ClientFrame) -> None:
        """A validated client frame from the session's socket; returns once its effects are
        performed."""
        await self.submit(session, frame)

    def submit(self, session: Session, frame: frames.ClientFrame) -> Awaitable[None]:
        """`receive` without waiting: the frame is queued for its room at once, and what is
        returned is done once its effects are performed. A socket reads its next frame
        meanwhile, so the frames it sends while the room's commit waits for the disk are
        decided and stored together in the next one, in the order they were submitted (as a
        Durable Object takes its next event while its output gate holds the last one's
        frames). A frame of a session not attached (a `join` after `room_full`) is handled
        by a task of its own: its caller awaits it before submitting more."""
        if not self._attached(session):
            return asyncio.ensure_future(self._unattached(session, frame))
        now = self._clock()

        def step(live: _Live) -> list[Effect]:
            if isinstance(frame, frames.SendMessage):
                refusal = self._charge(live.room, session, frame.client_id, now)
                if refusal is not None:
                    return [Send((session.id,), refusal)]
            return live.room.receive(session.id, frame, now)

        client_id = frames.client_id_of(frame)
        return self._enqueue(
            session.conversation_id, session.site_id, step, session, client_id, grouped=True
        )

    async def _unattached(self, session: Session, frame: frames.ClientFrame) -> None:
        if isinstance(frame, frames.Join):  # a retry after `room_full`
            await self.join(session, frame.last_seq)
        else:
            client_id = frames.client_id_of(frame)
            await session.send(_error(errors.NOT_JOINED, "send join first", client_id))

    def _charge(
        self, room: Room, session: Session, client_id: str, now: int
    ) -> frames.Error | None:
        """Charge a new message to the send limits; a resend of a stored one is free."""
        if self._limiter is None or room.receipt(session.participant.id, client_id) is not None:
            return None
        wait_ms = self._limiter.admit(session, now)
        if not wait_ms:
            return None
        message = f"too many messages: retry in {wait_ms / 1000:.1f}s"
        return _error(errors.RATE_LIMITED, message, client_id)

    async def leave(self, session: Session) -> None:
        """The session's socket closed (or failed). Idempotent."""
        if not self._attached(session):
            return

        def step(live: _Live) -> list[Effect]:
            outlets = self._outlets[session.conversation_id]
            outlets.pop(session.id).stop()
            if not outlets:
                del self._outlets[session.conversation_id]
            return live.room.leave(session.id)

        await self._input(session.conversation_id, session.site_id, step, None)

    async def send(self, session: Session, frame: ServerFrame) -> None:
        """A frame of the edge's own (a refusal of a malformed frame) in order with the room's."""
        outlet = self._outlets.get(session.conversation_id, {}).get(session.id)
        if outlet is None:
            await session.send(frame)
        else:
            outlet.put(frame)

    async def assign(self, session: Session, assignee: frames.Author | None) -> None:
        """An agent's `assign` frame, its agent id resolved by the edge to `assignee`, an agent
        of the conversation's site (None: unassign)."""
        if not self._attached(session):
            await session.send(_error(errors.NOT_JOINED, "send join first"))
            return
        now = self._clock()

        def step(live: _Live) -> list[Effect]:
            return live.room.assign(session.id, assignee, now)

        await self._input(session.conversation_id, session.site_id, step, session)

    # ------------------------------------------------------------------ access and erasure

    async def erase(self, conversation_id: str) -> None:
        """Erase the room for good (GDPR, a deleted site): its sockets are told `not_found`
        and closed, its answer, alarm and outbox drain stop (entries not yet published are
        dropped with the rest), and its storage file is deleted. The conversation must already
        be gone from D1, so nobody can join it again; this host never reloads it."""
        self._erased.add(conversation_id)
        live = self._rooms.pop(conversation_id, None)
        tasks = [self._drains.pop(conversation_id, None)]
        if live is not None:
            tasks += [live.answer, live.alarm]
        pending = [task for task in tasks if task is not None]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        if live is not None:
            async with live.lock:  # an input in progress finishes first
                live.evicted = True
                live.storage.close()
        outlets = self._outlets.pop(conversation_id, {})
        for outlet in outlets.values():
            outlet.stop()
        gone = "this conversation was erased"
        await asyncio.gather(*(_end(o.session, errors.NOT_FOUND, gone) for o in outlets.values()))
        self._folder.delete(conversation_id)

    async def disconnect(self, site_id: str, participant_id: str) -> int:
        """End the sockets of `participant_id` in the site's rooms (an agent removed from the
        site): each is told `unauthorized` and closed, and leaves its room at once. Returns
        how many were ended."""
        ended = [
            outlet.session
            for outlets in self._outlets.values()
            for outlet in outlets.values()
            if outlet.session.site_id == site_id and outlet.session.participant.id == participant_id
        ]
        for session in ended:
            await self.leave(session)
            await _end(session, errors.UNAUTHORIZED, "no longer an agent of this site")
        return len(ended)

    async def room_log(self, conversation_id: str, after_seq: int) -> list[Entry]:
        """The room's log after `after_seq` (entries its outbox has not copied to D1 yet, for a
        data export); empty for a room never stored or erased."""
        if conversation_id in self._erased or not (
            self.is_live(conversation_id) or self._folder.exists(conversation_id)
        ):
            return []

        async def read(live: _Live) -> list[Entry]:
            return self._read(live.storage, after_seq, live.room.meta.last_seq)

        try:
            return await self._locked(conversation_id, None, read)
        except LookupError:
            return []

    # ------------------------------------------------------------------ memory

    def is_live(self, conversation_id: str) -> bool:
        return conversation_id in self._rooms

    async def evict(self, conversation_id: str) -> bool:
        """Drop a room from memory and close its storage, unless it is busy answering or
        publishing. Its sessions stay attached; the next event restores it."""
        live = self._rooms.get(conversation_id)
        if live is None:
            return False
        async with live.lock:
            busy = live.answer is not None or live.room.answering is not None
            # A pending alarm (typists to switch off) keeps the room until it has fired.
            busy = busy or live.alarm is not None
            if live.evicted or busy or conversation_id in self._drains:
                return False
            del self._rooms[conversation_id]
            live.close()
        return True

    async def evict_idle(self, idle_s: float) -> list[str]:
        """Evict every room without an event for `idle_s` seconds; returns their ids."""
        horizon = time.monotonic() - idle_s
        stale = [cid for cid, live in self._rooms.items() if live.last_used <= horizon]
        return [cid for cid in stale if await self.evict(cid)]

    async def _sweep(self, idle_s: float) -> None:
        while True:
            await asyncio.sleep(idle_s / 2)
            evicted = await self.evict_idle(idle_s)
            if evicted:
                log.debug("evicted %d idle rooms", len(evicted))

    # ------------------------------------------------------------------ the input gate

    def _attached(self, session: Session) -> bool:
        return session.id in self._outlets.get(session.conversation_id, {})

    async def _loaded(self, conversation_id: str, site_id: str | None) -> _Live:
        """The room in memory, loading (or creating) it; callers asking while it loads share
        the one load, so a room is never loaded twice."""
        while True:
            live = self._rooms.get(conversation_id)
            if live is not None:
                return live
            if self._closed:
                raise RuntimeError("the room host is closed")
            if conversation_id in self._erased:
                raise LookupError(f"conversation {conversation_id!r} was erased")
            loading = self._loading.get(conversation_id)
            if loading is None:
                loading = asyncio.ensure_future(self._load(conversation_id, site_id))
                self._loading[conversation_id] = loading
            try:
                return await asyncio.shield(loading)
            except LookupError:
                if site_id is None:
                    raise
                # That load was for a caller that may not create the room; this one may.

    async def _load(self, conversation_id: str, site_id: str | None) -> _Live:
        opened = partial(_open, self._folder, conversation_id)
        try:
            storage, stored, backlog = await asyncio.get_running_loop().run_in_executor(
                self._committers, opened
            )
        finally:
            del self._loading[conversation_id]
        if self._closed or conversation_id in self._erased:
            storage.close()
            if conversation_id in self._erased:
                self._folder.delete(conversation_id)  # opening it made the file again
                raise LookupError(f"conversation {conversation_id!r} was erased")
            raise RuntimeError("the room host is closed")
        try:
            room = self._room_from(conversation_id, site_id, stored, storage)
        except LookupError:
            storage.close()
            raise
        live = self._rooms[conversation_id] = _Live(room, storage, backlog=backlog)
        return live

    def _room_from(
        self,
        conversation_id: str,
        site_id: str | None,
        stored: StoredRoom | None,
        storage: RoomStorage,
    ) -> Room:
        sessions = {
            sid: outlet.session.participant
            for sid, outlet in self._outlets.get(conversation_id, {}).items()
        }
        if stored is not None:
            return Room(stored.meta, stored.receipts, sessions, self._policy, storage.receipt)
        if site_id is None:
            raise LookupError(f"no stored room for conversation {conversation_id!r}")
        # A host without an assistant starts rooms with it off: questions wait for a human.
        meta = RoomMeta(conversation_id, site_id, ai_active=self._assistant is not None)
        return Room(meta, sessions=sessions, policy=self._policy, lookup=storage.receipt)

    async def _locked(
        self, conversation_id: str, site_id: str | None, fn: Callable[[_Live], Awaitable[T]]
    ) -> T:
        while True:
            live = await self._loaded(conversation_id, site_id)
            async with live.lock:
                if live.evicted:
                    continue  # evicted while we waited: load it again
                live.last_used = time.monotonic()
                return await fn(live)

    def _enqueue(
        self,
        conversation_id: str,
        site_id: str | None,
        step: Callable[[_Live], list[Effect]],
        origin: Session | None,
        client_id: str | None = None,
        *,
        grouped: bool = False,
    ) -> asyncio.Future[None]:
        """Queue an input for the room; the future is done once its effects are performed.

        Group commit: the client frames (`grouped`) that arrive while the room is busy (its
        previous commit is waiting for the disk) are decided together once it is free, and
        everything they persist goes in one transaction, before any of their frames is sent:
        one disk sync for a burst, each ack still after its message is durable, each input's
        frames in order. Any other input (a join, a leave, the alarm, the assistant) is a group
        of its own, and closes the group before it, so inputs are decided in arrival order."""
        pending = _Pending(step, origin, client_id)
        group = self._queued.get(conversation_id) if grouped else None
        if group is not None:
            group.append(pending)
        else:
            group = [pending]
            if grouped:
                self._queued[conversation_id] = group  # open: later frames join it
            else:
                self._queued.pop(conversation_id, None)  # closed: later inputs go after this

            async def run(live: _Live) -> None:
                await self._decide(conversation_id, live, group)

            # The group's leader decides it once the room is free.
            task = asyncio.ensure_future(self._locked(conversation_id, site_id, run))
            task.add_done_callback(partial(_fail_queued, self._queued, conversation_id, group))
        # The group's leader, not the caller, performs the effects: once an input is decided
        # they are performed to the end even if its caller (a socket handler) is cancelled
        # with this future — a stored message is always broadcast. (Not shielded: a shield
        # costs a turn of the event loop per input.)
        return pending.done

    async def _input(
        self,
        conversation_id: str,
        site_id: str | None,
        step: Callable[[_Live], list[Effect]],
        origin: Session | None,
    ) -> None:
        """Queue an input that is a group of its own and wait until its effects are performed."""
        await self._enqueue(conversation_id, site_id, step, origin)

    async def _decide(self, conversation_id: str, live: _Live, group: list[_Pending]) -> None:
        """Decide the group's inputs, commit what they persist at once, then perform the rest
        of their effects in order. If the commit fails, none of the group's frames is sent
        (they may speak of what was not stored): every input that stored something, or that
        names a client id (a resend), is told "not stored, please retry"."""
        if self._queued.get(conversation_id) is group:
            del self._queued[conversation_id]  # closed: later frames start the next group
        decided: list[tuple[_Pending, list[Effect]]] = []
        for pending in group:
            try:
                decided.append((pending, pending.step(live)))
            except Exception as exc:
                pending.fail(exc)
        persists = [e for _, effects in decided for e in effects if isinstance(e, Persist)]
        if persists:
            entries = tuple(entry for persist in persists for entry in persist.entries)
            try:
                # Off the event loop: a durable commit waits for the disk, other rooms need not.
                commit = partial(_commit, live, entries, persists[-1].meta)
                await asyncio.get_running_loop().run_in_executor(self._committers, commit)
                live.stored(entries)
            except Exception:
                log.exception("room %s: commit failed; reloading it", conversation_id)
                self._reload(conversation_id, live)
                outlets = self._outlets.get(conversation_id, {})
                for pending, effects in decided:
                    origin = pending.origin
                    stored = any(isinstance(e, Persist) for e in effects)
                    told = stored or pending.client_id is not None
                    if told and origin is not None and origin.id in outlets:
                        refusal = _error(
                            errors.INTERNAL, "not stored, please retry", pending.client_id
                        )
                        outlets[origin.id].put(refusal)
                    pending.finish()
                return
        for pending, effects in decided:
            try:
                await self._perform(conversation_id, live, effects, pending.origin)
            except Exception as exc:
                pending.fail(exc)
            else:
                pending.finish()
        self._set_alarm(conversation_id, live)

    async def _perform(
        self,
        conversation_id: str,
        live: _Live,
        effects: list[Effect],
        origin: Session | None,
    ) -> None:
        """Perform a decided input's effects; its `Persist` is already committed."""
        outlets = self._outlets.get(conversation_id, {})
        for effect in effects:
            if isinstance(effect, Send):
                for session_id in effect.to:
                    outlet = outlets.get(session_id)
                    if outlet is not None:
                        outlet.put(effect.frame)
                    elif origin is not None and session_id == origin.id:
                        await origin.send(effect.frame)  # a refused join: no outlet yet
            elif isinstance(effect, Replay):
                outlet = outlets.get(effect.to)
                if outlet is not None:
                    for entry in self._read(live.storage, effect.after_seq, effect.through_seq):
                        if effect.shows(entry):
                            outlet.put(entry)
            elif isinstance(effect, Publish):
                self._drain_soon(conversation_id)
            elif isinstance(effect, Ask):
                live.answer = asyncio.create_task(
                    self._answer(conversation_id, effect), name=f"answer {effect.answer_id}"
                )
            elif isinstance(effect, Cancel) and live.answer is not None:
                live.answer.cancel()
                live.answer = None

    def _reload(self, conversation_id: str, live: _Live) -> None:
        """After a failed commit the core is ahead of storage: rebuild it from storage."""
        if live.answer is not None:
            live.answer.cancel()
            live.answer = None
        stored = live.storage.load()
        live.room = self._room_from(conversation_id, live.room.meta.site_id, stored, live.storage)

    @staticmethod
    def _read(storage: RoomStorage, after_seq: int, through_seq: int) -> list[Entry]:
        out: list[Entry] = []
        while after_seq < through_seq:
            page = storage.entries(after_seq, through_seq, limits.HISTORY_PAGE)
            if not page:
                break
            out += page
            after_seq = page[-1].seq
        return out

    # ------------------------------------------------------------------ the alarm

    def _set_alarm(self, conversation_id: str, live: _Live) -> None:
        """Make sure the room's `expire` runs at its `next_expiry`. An alarm that fires early
        expires nothing and the next input sets the next one; one due later than the new
        deadline (a held-back typing start) is replaced."""
        due = live.room.next_expiry
        if due is None or (live.alarm is not None and live.alarm_due <= due):
            return
        if live.alarm is not None:
            live.alarm.cancel()
        live.alarm_due = due
        live.alarm = asyncio.create_task(
            self._alarm(conversation_id, due), name=f"alarm {conversation_id}"
        )

    async def _alarm(self, conversation_id: str, due: int) -> None:
        await asyncio.sleep(max(due - self._clock(), 0) / 1000)
        me = asyncio.current_task()

        def step(live: _Live) -> list[Effect]:
            if live.alarm is me:  # not replaced meanwhile: this input sets the next one
                live.alarm = None
            return live.room.expire(self._clock())

        await self._input(conversation_id, None, step, None)

    # ------------------------------------------------------------------ the assistant

    async def _answer(self, conversation_id: str, ask: Ask) -> None:
        """Run the assistant for one question, feeding its output back through the gate."""

        me = asyncio.current_task()

        async def feed(step: Callable[[Room], list[Effect]], last: bool = False) -> None:
            def run(live: _Live) -> list[Effect]:
                if last and live.answer is me:
                    live.answer = None  # before the step: it may start the next answer
                return step(live.room)

            await self._input(conversation_id, None, run, None)

        answer_id = ask.answer_id
        try:
            if self._assistant is not None:
                async for item in self._assistant(ask.site_id, ask.question):
                    if isinstance(item, str):
                        await feed(partial(Room.assistant_delta, answer_id=answer_id, text=item))
                        continue
                    final = partial(
                        Room.assistant_final,
                        answer_id=answer_id,
                        answer=item,
                        now=self._clock(),
                    )
                    await feed(final, last=True)
                    return
        except Exception:
            log.exception("room %s: the assistant failed", conversation_id)
        await feed(
            partial(Room.assistant_failed, answer_id=answer_id, now=self._clock()), last=True
        )

    # ------------------------------------------------------------------ the outbox

    def _drain_soon(self, conversation_id: str) -> None:
        if conversation_id not in self._drains:
            self._drains[conversation_id] = asyncio.create_task(
                self._drain(conversation_id), name=f"drain {conversation_id}"
            )

    async def _drain(self, conversation_id: str) -> None:
        async def from_outbox(live: _Live) -> list[Entry]:
            live.mark()  # so the outbox holds only what is left to publish
            batch = live.storage.unpublished(PUBLISH_BATCH)
            # Decided under the room's lock, so a commit cannot slip in unseen: from here on
            # each commit hands its entries over in memory.
            live.backlog = bool(batch)
            return batch

        attempt = 0
        try:
            while True:
                live = self._rooms.get(conversation_id)
                if live is None:  # erased (a draining room is never evicted)
                    return
                if live.backlog:
                    batch = await self._locked(conversation_id, None, from_outbox)
                else:
                    batch = list(live.fresh)[:PUBLISH_BATCH]
                if not batch:
                    # Nothing awaited since the check: the next commit's `Publish` starts a
                    # new drain.
                    del self._drains[conversation_id]
                    return
                try:
                    await self._publish(conversation_id, batch)
                except Exception as exc:
                    delay = self._backoff.delay(attempt)
                    attempt += 1
                    log.warning(
                        "room %s: publish failed (%r); retry %d in %.2fs",
                        conversation_id,
                        exc,
                        attempt,
                        delay,
                    )
                    await asyncio.sleep(delay)
                    continue
                attempt = 0
                live.published_through(batch[-1].seq)
        finally:
            if self._drains.get(conversation_id) is asyncio.current_task():
                del self._drains[conversation_id]


def _open(folder: RoomFolder, conversation_id: str) -> tuple[RoomStorage, StoredRoom | None, bool]:
    """A room's storage, what it holds, and whether its outbox has entries (in a thread)."""
    storage = folder.open(conversation_id)
    try:
        return storage, storage.load(), bool(storage.unpublished(1))
    except BaseException:
        storage.close()
        raise


def _commit(live: _Live, entries: tuple[Entry, ...], meta: RoomMeta) -> None:
    """A group's commit, in a commit thread under the room's lock; the outbox rows published
    since the last one are deleted first (not synced on their own: losing that to a crash only
    publishes them again)."""
    live.mark()
    live.storage.commit(entries, meta)


async def _end(session: Session, code: frames.ErrorCode, message: str) -> None:
    """Tell a session why it ends and close its socket (best effort: it may be gone)."""
    try:
        await session.send(_error(code, message))
        if session.close is not None:
            await session.close(CLOSE_ENDED, code)
    except Exception as exc:
        log.info("session %s: ending it failed: %r", session.id, exc)


def _error(code: frames.ErrorCode, message: str, client_id: str | None = None) -> frames.Error:
    return frames.Error(type="error", code=code, message=message, client_id=client_id)
