"""The local room host over real SQLite files and real asyncio tasks: what only it does
(eviction and restore, cancelled callers, slow readers, its limiter, its storage files). The
behaviour it shares with the Durable Object host is in test_rooms_host_contract.py."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

import pytest

from helpway.rooms import Backoff, Entry, Final, FinalAnswer, LocalRoomHost, ServerFrame, Session
from helpway.rooms import session as session_module
from helpway.rooms.meta import RoomMeta
from helpway.rooms.policy import RoomPolicy
from helpway.rooms.ratelimit import Bucket, LocalLimiter, Rate, SendLimits
from helpway.rooms.sqlite_storage import SqliteRoomFolder, SqliteRoomStorage, Sync
from helpway.shared import frames

VISITOR = frames.Author(id="v1", role="visitor", name="Visitor v1")
AGENT = frames.Author(id="a1", role="agent", name="Ada")
FAST = Backoff(initial_s=0.005, maximum_s=0.02)
HANDOFF = frames.RequestHuman(type="handoff.request")
CLOSE = frames.Close(type="close")


async def eventually(condition: Callable[[], bool]) -> None:
    """Wait until `condition()` holds; a bound on liveness, not a timing assertion."""
    async with asyncio.timeout(5):
        while not condition():  # noqa: ASYNC110 - state other tasks change
            await asyncio.sleep(0.002)


class Client:
    """A socket stand-in: records every frame the host sends it."""

    def __init__(self, conversation_id: str, author: frames.Author, site_id: str = "demo") -> None:
        self.frames: list[ServerFrame] = []
        self.session = Session(conversation_id, site_id, author, self._send)
        self.fail = False

    async def _send(self, frame: ServerFrame) -> None:
        if self.fail:
            raise ConnectionError("socket closed")
        self.frames.append(frame)

    @staticmethod
    async def noop(frame: ServerFrame) -> None:
        pass

    def entries(self) -> list[Entry]:
        return [
            f for f in self.frames if isinstance(f, frames.Message | frames.Event | frames.Note)
        ]

    def of_type(self, kind: type[ServerFrame]) -> list[ServerFrame]:
        return [f for f in self.frames if isinstance(f, kind)]

    def message(self, client_id: str, text: str = "hello") -> frames.SendMessage:
        return frames.SendMessage(type="message.send", client_id=client_id, text=text)


class Publisher:
    """Records published entries per conversation; fails while `failing` is set."""

    def __init__(self) -> None:
        self.batches: list[tuple[str, list[Entry]]] = []
        self.failing = False
        self.failures = 0

    async def __call__(self, conversation_id: str, entries: Sequence[Entry]) -> None:
        await asyncio.sleep(0)
        if self.failing:
            self.failures += 1
            raise ConnectionError("D1 unavailable")
        self.batches.append((conversation_id, list(entries)))

    def seqs(self, conversation_id: str) -> list[int]:
        return [e.seq for cid, batch in self.batches if cid == conversation_id for e in batch]


def stored_seqs(folder: Path, conversation_id: str) -> list[int]:
    """Read a room's log with a separate connection, as a crash-restarted process would."""
    with sqlite3.connect(folder / f"{conversation_id}.room.sqlite") as conn:
        return [seq for (seq,) in conn.execute("SELECT seq FROM log ORDER BY seq")]


@pytest.fixture
def publisher() -> Publisher:
    return Publisher()


@pytest.fixture
async def host(tmp_path: Path, publisher: Publisher) -> AsyncIterator[LocalRoomHost]:
    room_host = LocalRoomHost(tmp_path / "rooms", publish=publisher, backoff=FAST, send_limits=None)
    await room_host.start()
    yield room_host
    await room_host.aclose()


async def test_stored_before_ack_and_acked_before_broadcast(tmp_path: Path) -> None:
    folder = tmp_path / "rooms"
    seen_at_ack: list[list[int]] = []
    order: list[str] = []
    visitor, agent = Client("c1", VISITOR), Client("c1", AGENT)

    async def visitor_send(frame: frames.Frame) -> None:
        if isinstance(frame, frames.Ack):
            seen_at_ack.append(stored_seqs(folder, "c1"))
            order.append("ack")
        visitor.frames.append(frame)  # type: ignore[arg-type]

    async def agent_send(frame: frames.Frame) -> None:
        if isinstance(frame, frames.Message) and frame.client_id == "x1":
            order.append("broadcast")
        agent.frames.append(frame)  # type: ignore[arg-type]

    visitor.session.send = visitor_send
    agent.session.send = agent_send
    room_host = LocalRoomHost(folder, publish=Publisher(), backoff=FAST)
    await room_host.join(agent.session)
    await room_host.join(visitor.session)
    await room_host.receive(visitor.session, visitor.message("x1"))
    await eventually(lambda: len(order) == 2)
    assert order == ["ack", "broadcast"]
    assert seen_at_ack == [[1]]
    # The sender sees its ack before its own message comes back in the log.
    assert [f.type for f in visitor.frames[1:3]] == ["ack", "message"]
    await room_host.aclose()


def scripted(*items: str | Final, gate: asyncio.Event | None = None):  # type: ignore[no-untyped-def]
    """An assistant that yields the given items, optionally waiting on `gate` after the first."""
    calls: list[tuple[str, str]] = []
    closed: list[bool] = []

    async def assistant(site_id: str, question: str) -> AsyncIterator[str | Final]:
        calls.append((site_id, question))
        try:
            for i, item in enumerate(items):
                if i == 1 and gate is not None:
                    await gate.wait()
                yield item
        finally:
            closed.append(True)

    return assistant, calls, closed


async def test_evicted_room_is_restored_with_its_sessions(
    host: LocalRoomHost, publisher: Publisher
) -> None:
    visitor, agent = Client("c1", VISITOR), Client("c1", AGENT)
    await host.join(visitor.session)
    await host.join(agent.session)
    await host.receive(visitor.session, visitor.message("x1", "before"))
    await eventually(lambda: publisher.seqs("c1") == [1])

    assert await host.evict_idle(0) == ["c1"]
    assert not host.is_live("c1")
    assert await host.evict("c1") is False

    # The next event restores the room, and both sessions are still in it.
    await host.receive(agent.session, agent.message("y1", "after"))
    await eventually(lambda: len(visitor.entries()) == 3)
    assert host.is_live("c1")
    assert visitor.entries() == agent.entries()
    assert [e.seq for e in visitor.entries()] == [1, 2, 3]  # agent.joined, then the message
    # Receipts are restored too.
    await host.receive(visitor.session, visitor.message("x1", "before"))
    await eventually(lambda: len(visitor.of_type(frames.Ack)) == 2)
    assert [a.seq for a in visitor.of_type(frames.Ack)] == [1, 1]  # type: ignore[union-attr]


async def test_busy_rooms_are_not_evicted(tmp_path: Path) -> None:
    gate = asyncio.Event()
    assistant, _, _ = scripted("a", FinalAnswer("done"), gate=gate)
    publisher = Publisher()
    publisher.failing = True
    room_host = LocalRoomHost(
        tmp_path / "rooms", publish=publisher, assistant=assistant, backoff=FAST
    )
    visitor = Client("c1", VISITOR)
    await room_host.join(visitor.session)
    await room_host.receive(visitor.session, visitor.message("x1"))
    await eventually(lambda: bool(visitor.of_type(frames.AssistantDelta)))
    assert await room_host.evict("c1") is False  # answering and publishing
    gate.set()
    publisher.failing = False
    await eventually(lambda: publisher.seqs("c1") == [1, 2])
    for _ in range(500):  # idle once the drain has seen the outbox empty
        if await room_host.evict("c1"):
            break
        await asyncio.sleep(0.002)
    assert not room_host.is_live("c1")
    await room_host.aclose()


async def test_an_input_is_carried_out_even_if_its_caller_is_cancelled(
    host: LocalRoomHost, tmp_path: Path
) -> None:
    visitor, agent = Client("c1", VISITOR), Client("c1", AGENT)
    await host.join(visitor.session)
    await host.join(agent.session)
    caller = asyncio.create_task(host.receive(visitor.session, visitor.message("x1")))
    await asyncio.sleep(0)  # the input is under way (its commit runs in a thread)
    caller.cancel()
    # The socket handler went away, but what was stored is still acked and broadcast.
    await eventually(lambda: bool(visitor.of_type(frames.Ack)) and len(agent.entries()) == 1)
    assert stored_seqs(tmp_path / "rooms", "c1") == [1]


async def test_a_session_that_stops_reading_is_dropped(
    host: LocalRoomHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_module, "MAX_PENDING_FRAMES", 5)
    visitor, agent = Client("c1", VISITOR), Client("c1", AGENT)
    await host.join(visitor.session)
    await host.join(agent.session)
    await host.receive(agent.session, frames.SetTyping(type="typing", active=True))
    await eventually(lambda: bool(visitor.of_type(frames.Typing)))

    async def hang(frame: ServerFrame) -> None:
        await asyncio.Event().wait()

    agent.session.send = hang
    for i in range(10):
        await host.receive(visitor.session, visitor.message(f"x{i}"))
    # The visitor is unaffected; the hung agent socket was dropped (its typing went off).
    await eventually(lambda: len(visitor.entries()) == 10)
    await eventually(lambda: len(visitor.of_type(frames.Typing)) == 2)


async def test_frames_before_join_and_edge_refusals(host: LocalRoomHost) -> None:
    visitor = Client("c1", VISITOR)
    await host.receive(visitor.session, visitor.message("x1"))
    [error] = visitor.frames
    assert isinstance(error, frames.Error)
    assert (error.code, error.client_id) == ("not_joined", "x1")

    await host.join(visitor.session)
    await host.join(visitor.session)
    refusal = frames.Error(type="error", code="bad_frame", message="frame is not JSON")
    await host.send(visitor.session, refusal)
    await host.receive(visitor.session, frames.Ping(type="ping"))
    await eventually(lambda: len(visitor.frames) == 5)
    assert [f.type for f in visitor.frames[1:]] == ["welcome", "error", "error", "pong"]
    assert visitor.frames[2].code == "already_joined"  # type: ignore[union-attr]


async def test_closed_conversation_is_reopened_by_a_visitor_message(host: LocalRoomHost) -> None:
    visitor, agent = Client("c1", VISITOR), Client("c1", AGENT)
    await host.join(visitor.session)
    await host.join(agent.session)
    await host.receive(agent.session, CLOSE)
    await host.receive(visitor.session, visitor.message("x1", "one more question"))
    await eventually(lambda: len(visitor.entries()) >= 3)
    names = [e.name if isinstance(e, frames.Event) else e.type for e in visitor.entries()[:3]]
    assert names == ["closed", "reopened", "message"]
    assert visitor.of_type(frames.Ack)[0].seq == 3  # type: ignore[union-attr]


def test_storage_round_trips_entries_and_meta(tmp_path: Path) -> None:
    from helpway.rooms.meta import RoomMeta

    storage = SqliteRoomStorage(tmp_path / "r.sqlite")
    assert storage.load() is None
    message = frames.Message(
        type="message",
        seq=1,
        id="c.1",
        client_id="k",
        author=VISITOR,
        text="hé 👋",
        created_at=5,
    )
    meta = RoomMeta("c", "demo", last_seq=1, agent_ids=frozenset({"a1"}))
    storage.commit([message], meta)
    stored = storage.load()
    assert stored is not None
    assert (stored.meta, stored.receipts) == (meta, {("v1", "k"): (1, "c.1", "message")})
    assert storage.entries(0, 1, 10) == [message]
    assert storage.unpublished(10) == [message]
    storage.mark_published(1)
    assert storage.unpublished(10) == []
    with pytest.raises(sqlite3.IntegrityError):
        storage.commit([message], meta)  # a seq is written once
    assert storage.entries(0, 5, 10) == [message]
    storage.close()


def test_room_folder_refuses_ids_that_are_not_file_safe(tmp_path: Path) -> None:
    folder = SqliteRoomFolder(tmp_path)
    with pytest.raises(ValueError):
        folder.open("../escape")
    folder.open("ok_id-1").close()
    assert list(folder.conversation_ids()) == ["ok_id-1"]


# ---------------------------------------------------------------- presence and limits


def typing(active: bool) -> frames.SetTyping:
    return frames.SetTyping(type="typing", active=active)


async def test_a_silent_typist_is_switched_off_by_the_rooms_alarm(tmp_path: Path) -> None:
    policy = RoomPolicy(typing_ttl_ms=40)
    room_host = LocalRoomHost(tmp_path / "rooms", publish=Publisher(), policy=policy)
    visitor, agent = Client("c1", VISITOR), Client("c1", AGENT)
    await room_host.join(visitor.session)
    await room_host.join(agent.session)
    await room_host.receive(agent.session, typing(True))
    assert await room_host.evict("c1") is False  # the alarm is pending: the room stays
    # The agent's socket neither closes nor says "stopped": the room's alarm does.
    await eventually(lambda: len(visitor.of_type(frames.Typing)) == 2)
    assert [f.active for f in visitor.of_type(frames.Typing)] == [True, False]  # type: ignore[union-attr]
    assert await room_host.evict("c1") is True
    await room_host.aclose()


async def test_visitor_sends_are_rate_limited_and_the_session_carries_on(tmp_path: Path) -> None:
    limits_ = SendLimits(per_visitor=Rate(burst=3, per_second=0.001), per_ip=Rate(100, 100))
    room_host = LocalRoomHost(tmp_path / "rooms", publish=Publisher(), send_limits=limits_)
    visitor, agent = Client("c1", VISITOR), Client("c1", AGENT)
    await room_host.join(visitor.session)
    await room_host.join(agent.session)
    for n in range(5):
        await room_host.receive(visitor.session, visitor.message(f"x{n}", f"line {n}"))
    await eventually(lambda: len(visitor.of_type(frames.Error)) == 2)
    refusals = visitor.of_type(frames.Error)
    assert [(e.code, e.client_id) for e in refusals] == [  # type: ignore[union-attr]
        ("rate_limited", "x3"),
        ("rate_limited", "x4"),
    ]
    assert "retry in" in refusals[0].message  # type: ignore[union-attr]
    # A resend of a stored message is answered from the receipts, not refused.
    await room_host.receive(visitor.session, visitor.message("x0", "line 0"))
    await room_host.receive(visitor.session, frames.Ping(type="ping"))
    await eventually(lambda: bool(visitor.of_type(frames.Pong)))
    assert [a.client_id for a in visitor.of_type(frames.Ack)] == ["x0", "x1", "x2", "x0"]  # type: ignore[union-attr]
    # Agents are not limited.
    for n in range(10):
        await room_host.receive(agent.session, agent.message(f"a{n}"))
    await eventually(lambda: len(agent.of_type(frames.Ack)) == 10)
    assert stored_seqs(tmp_path / "rooms", "c1") == list(range(1, 3 + 1 + 10 + 1))
    await room_host.aclose()


async def test_the_per_ip_limit_spans_visitors_and_rooms(tmp_path: Path) -> None:
    limits_ = SendLimits(per_visitor=Rate(100, 100), per_ip=Rate(burst=4, per_second=0.001))
    room_host = LocalRoomHost(tmp_path / "rooms", publish=Publisher(), send_limits=limits_)
    others = frames.Author(id="v2", role="visitor", name="Visitor v2")
    one, two = Client("c1", VISITOR), Client("c2", others)
    elsewhere = Client("c3", frames.Author(id="v3", role="visitor", name="Visitor v3"))
    one.session.ip = two.session.ip = "192.0.2.7"
    elsewhere.session.ip = "198.51.100.1"
    for client in (one, two, elsewhere):
        await room_host.join(client.session)
    for n in range(3):
        for client in (one, two, elsewhere):
            await room_host.receive(client.session, client.message(f"m{n}"))
    await eventually(lambda: len(one.of_type(frames.Ack)) + len(two.of_type(frames.Ack)) == 4)
    await eventually(lambda: len(one.of_type(frames.Error)) + len(two.of_type(frames.Error)) == 2)
    assert len(elsewhere.of_type(frames.Ack)) == 3
    await room_host.aclose()


def test_buckets_refill_at_their_rate_and_are_forgotten_when_full() -> None:
    rate = Rate(burst=2, per_second=4.0)
    bucket = Bucket.full(rate, now_ms=0).take(rate, 0).take(rate, 0)
    assert bucket.wait_ms(rate, 0) == 250
    assert bucket.wait_ms(rate, 125) == 125
    assert bucket.wait_ms(rate, 250) == 0
    assert bucket.level(rate, 10_000) == 2  # never above the burst
    limiter = LocalLimiter(SendLimits(per_visitor=rate, per_ip=rate))
    visitors = [
        Session("c", "demo", frames.Author(id=f"v{n}", role="visitor", name="V"), Client.noop)
        for n in range(LocalLimiter.PRUNE_EVERY)
    ]
    for n, session in enumerate(visitors):
        assert limiter.admit(session, now_ms=n) == 0
    # Pruned at the 1024th take: only the buckets taken in the last 250 ms (one refill) remain.
    assert len(limiter) == 250


class Closable(Client):
    """A client whose socket the host may end: records the close code."""

    def __init__(self, conversation_id: str, author: frames.Author, site_id: str = "demo") -> None:
        super().__init__(conversation_id, author, site_id)
        self.closed: list[int] = []
        self.session.close = self._close

    async def _close(self, code: int, reason: str) -> None:
        self.closed.append(code)


def room_files(folder: Path, conversation_id: str) -> list[str]:
    return sorted(p.name for p in folder.glob(f"{conversation_id}.room.sqlite*"))


async def test_erase_closes_sockets_drops_the_outbox_and_deletes_the_file(
    host: LocalRoomHost, publisher: Publisher, tmp_path: Path
) -> None:
    folder = tmp_path / "rooms"
    visitor, agent = Closable("c1", VISITOR), Closable("c1", AGENT)
    await host.join(visitor.session)
    await host.join(agent.session)
    publisher.failing = True  # entries stay in the outbox, unpublished
    await host.receive(visitor.session, visitor.message("v1", "my address is 1 Main St"))
    await eventually(lambda: publisher.failures > 0)
    assert room_files(folder, "c1") and stored_seqs(folder, "c1") == [1]
    assert [e.seq for e in await host.room_log("c1", 0)] == [1]

    await host.erase("c1")
    for client in (visitor, agent):
        assert client.closed == [4401]
        error = client.of_type(frames.Error)[-1]
        assert isinstance(error, frames.Error) and error.code == "not_found"
    assert room_files(folder, "c1") == []
    assert await host.room_log("c1", 0) == []
    publisher.failing = False
    published_before = len(publisher.batches)
    # A frame still in flight from a closed socket does not bring the room back.
    await host.receive(visitor.session, visitor.message("v2", "again"))
    with pytest.raises(LookupError):
        await host.join(Client("c1", VISITOR).session)
    await asyncio.sleep(0.05)  # the drain's backoff is 5-20 ms: it would have retried by now
    assert room_files(folder, "c1") == [] and len(publisher.batches) == published_before
    assert "c1" not in list(SqliteRoomFolder(folder).conversation_ids())


async def test_disconnect_ends_one_participants_sockets_in_one_site(host: LocalRoomHost) -> None:
    visitor, agent = Closable("c1", VISITOR), Closable("c1", AGENT)
    elsewhere = Closable("c2", AGENT, site_id="other")
    for client in (visitor, agent, elsewhere):
        await host.join(client.session)
    assert await host.disconnect("demo", AGENT.id) == 1
    assert agent.closed == [4401] and visitor.closed == [] and elsewhere.closed == []
    error = agent.of_type(frames.Error)[-1]
    assert isinstance(error, frames.Error) and error.code == "unauthorized"
    seen = len(agent.frames)
    await host.receive(visitor.session, visitor.message("v1", "after the agent left"))
    await eventually(lambda: any(e.seq == 1 for e in visitor.entries()))
    assert len(agent.frames) == seen  # nothing more reaches the removed agent


async def test_reading_the_log_of_a_room_never_stored_creates_nothing(
    host: LocalRoomHost, tmp_path: Path
) -> None:
    assert await host.room_log("never", 0) == []
    assert room_files(tmp_path / "rooms", "never") == []


class CountingFolder(SqliteRoomFolder):
    """Real SQLite room files, counting each room's commits (transactions)."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.commits: list[int] = []  # entries per commit

    def open(self, conversation_id: str) -> SqliteRoomStorage:
        storage = super().open(conversation_id)
        commit = storage.commit

        def counted(entries: Sequence[Entry], meta: RoomMeta) -> None:
            commit(entries, meta)
            self.commits.append(len(entries))

        storage.commit = counted  # type: ignore[method-assign]
        return storage


async def test_a_burst_into_a_room_is_stored_in_one_commit_before_any_ack(tmp_path: Path) -> None:
    folder = CountingFolder(tmp_path / "rooms")
    visitor, agent = Client("c1", VISITOR), Client("c1", AGENT)
    stored_at_ack: dict[str, list[int]] = {}

    async def visitor_send(frame: frames.Frame) -> None:
        if isinstance(frame, frames.Ack):
            stored_at_ack[frame.client_id] = stored_seqs(folder.folder, "c1")
        visitor.frames.append(frame)  # type: ignore[arg-type]

    visitor.session.send = visitor_send
    room_host = LocalRoomHost(folder, publish=Publisher(), backoff=FAST, send_limits=None)
    await room_host.join(agent.session)
    await room_host.join(visitor.session)
    burst = [visitor.message(f"x{i}", f"message {i}") for i in range(20)]
    await asyncio.gather(*(room_host.receive(visitor.session, frame) for frame in burst))
    await eventually(lambda: len(agent.entries()) == 20)

    assert sum(folder.commits) == 20 and len(folder.commits) < 20  # grouped, none lost
    assert [m.text for m in agent.entries()] == [f"message {i}" for i in range(20)]
    for frame in visitor.of_type(frames.Ack):
        assert isinstance(frame, frames.Ack)
        assert frame.seq in stored_at_ack[frame.client_id]  # durable before its ack
    await room_host.aclose()


async def test_a_burst_whose_commit_fails_is_refused_whole_and_loses_nothing(
    tmp_path: Path,
) -> None:
    folder = SqliteRoomFolder(tmp_path / "rooms", busy_timeout_s=0.01)
    visitor, agent = Client("c1", VISITOR), Client("c1", AGENT)
    room_host = LocalRoomHost(folder, publish=Publisher(), backoff=FAST, send_limits=None)
    await room_host.join(agent.session)
    await room_host.join(visitor.session)
    await room_host.receive(visitor.session, visitor.message("x0", "stored"))
    burst = [visitor.message(f"x{i}", f"message {i}") for i in range(1, 6)]
    burst.append(visitor.message("x0", "stored"))  # a resend of the stored one, in the group
    locker = sqlite3.connect(tmp_path / "rooms" / "c1.room.sqlite", isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")  # another writer holds the room's file
    await asyncio.gather(*(room_host.receive(visitor.session, frame) for frame in burst))
    await eventually(lambda: len(visitor.of_type(frames.Error)) >= 5)
    locker.execute("ROLLBACK")
    locker.close()

    errors = visitor.of_type(frames.Error)
    assert all(isinstance(e, frames.Error) and e.code == "internal" for e in errors)
    refused = {e.client_id for e in errors if isinstance(e, frames.Error)}
    assert {f"x{i}" for i in range(1, 6)} <= refused
    assert [m.text for m in agent.entries()] == ["stored"]  # nothing unstored went out
    for frame in burst:  # the client's retries
        await room_host.receive(visitor.session, frame)
    await eventually(lambda: len(agent.entries()) == 6)
    assert [m.text for m in agent.entries()] == ["stored"] + [f"message {i}" for i in range(1, 6)]
    assert stored_seqs(tmp_path / "rooms", "c1") == [1, 2, 3, 4, 5, 6]
    await room_host.aclose()


def outbox_seqs(folder: Path, conversation_id: str) -> list[int]:
    with sqlite3.connect(folder / f"{conversation_id}.room.sqlite") as conn:
        return [seq for (seq,) in conn.execute("SELECT seq FROM outbox ORDER BY seq")]


class OutboxReadsFolder(SqliteRoomFolder):
    """Real SQLite room files, counting each time a room's outbox is read."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.reads = 0

    def open(self, conversation_id: str) -> SqliteRoomStorage:
        storage = super().open(conversation_id)
        unpublished = storage.unpublished

        def counted(limit: int) -> list[Entry]:
            self.reads += 1
            return unpublished(limit)

        storage.unpublished = counted  # type: ignore[method-assign]
        return storage


async def test_the_drain_takes_new_entries_from_memory_and_the_next_commit_clears_them(
    tmp_path: Path,
) -> None:
    folder = OutboxReadsFolder(tmp_path / "rooms")
    publisher = Publisher()
    room_host = LocalRoomHost(folder, publish=publisher, backoff=FAST, send_limits=None)
    visitor = Client("c1", VISITOR)
    await room_host.join(visitor.session)
    reads_at_load = folder.reads
    for n in range(1, 6):
        await room_host.receive(visitor.session, visitor.message(f"x{n}"))
        await eventually(lambda n=n: publisher.seqs("c1") == list(range(1, n + 1)))  # type: ignore[misc]

    assert folder.reads == reads_at_load  # published without reading the outbox back
    # Each commit deleted what was published before it; the last one waits for the next.
    assert outbox_seqs(folder.folder, "c1") == [5]
    assert await room_host.evict("c1")
    assert outbox_seqs(folder.folder, "c1") == []  # the eviction deleted it
    await room_host.aclose()


async def test_a_backlog_beyond_memory_is_read_back_from_the_outbox_in_order(
    tmp_path: Path,
) -> None:
    from helpway.rooms.host import FRESH_MAX

    publisher = Publisher()
    publisher.failing = True
    room_host = LocalRoomHost(tmp_path / "rooms", publish=publisher, backoff=FAST, send_limits=None)
    visitor = Client("c1", VISITOR)
    await room_host.join(visitor.session)
    total = FRESH_MAX + 20
    for n in range(1, total + 1):
        await room_host.receive(visitor.session, visitor.message(f"x{n}"))
    assert outbox_seqs(tmp_path / "rooms", "c1") == list(range(1, total + 1))
    publisher.failing = False
    await eventually(lambda: publisher.seqs("c1") == list(range(1, total + 1)))
    await room_host.aclose()
    assert outbox_seqs(tmp_path / "rooms", "c1") == []  # closing deleted the published rows


@pytest.mark.parametrize(("sync", "level"), [("full", 2), ("normal", 1)])
def test_storage_commits_in_its_sync_mode_and_keeps_it_after_marking(
    tmp_path: Path, sync: Sync, level: int
) -> None:
    storage = SqliteRoomStorage(tmp_path / "r.sqlite", sync=sync)
    conn = storage._conn
    assert conn.execute("PRAGMA synchronous").fetchone() == (level,)
    storage.mark_published(1)  # not synced on its own, whatever the mode
    assert conn.execute("PRAGMA synchronous").fetchone() == (level,)
    assert SqliteRoomFolder(tmp_path, sync=sync).open("c1")._conn.execute(
        "PRAGMA synchronous"
    ).fetchone() == (level,)
    storage.close()


class OpeningFolder(SqliteRoomFolder):
    """Real SQLite room files, recording the thread each room's file is opened on."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.opened_on: list[threading.Thread] = []

    def open(self, conversation_id: str) -> SqliteRoomStorage:
        self.opened_on.append(threading.current_thread())
        return super().open(conversation_id)


async def test_a_room_is_opened_once_off_the_event_loop_for_callers_at_once(
    tmp_path: Path,
) -> None:
    folder = OpeningFolder(tmp_path / "rooms")
    room_host = LocalRoomHost(folder, publish=Publisher(), backoff=FAST, send_limits=None)
    visitor, agent = Client("c1", VISITOR), Client("c1", AGENT)
    await asyncio.gather(room_host.join(visitor.session), room_host.join(agent.session))

    assert len(folder.opened_on) == 1  # one load, shared
    assert folder.opened_on[0] is not threading.current_thread()  # the disk waits elsewhere
    await room_host.receive(visitor.session, visitor.message("x1", "hi"))
    await eventually(lambda: [m.text for m in agent.entries()] == ["hi"])
    await room_host.aclose()
