"""The room host's contract, run on both hosts: `LocalRoomHost` (real SQLite files, asyncio
tasks) and `DurableRoomHost` (the Durable Object host over the doubles of `ctx` and of
hibernatable WebSockets, driven as the runtime drives it).

Each test talks to a `Harness`, which hides only how a host is reached: a local session or an
accepted socket, frames as objects or JSON text (both compared as JSON here), the local host's
timers or the object's alarm. What differs legitimately:
- A restart (`wake`): the local host is a process, so its sockets die with it and clients join
  again; a Durable Object keeps its sockets across hibernation. The shared tests join anew
  after a wake-up; the objects' kept sockets are tested in test_cf_rooms_durable_host.py.
- Time: the local host's outbox and typing timers run by themselves; an object only runs when
  its alarm fires, so `settle` fires the due alarms and the tests wait until the state holds.
- A failed commit: another process holding the room file's write lock locally, the storage
  refusing `transactionSync` on Cloudflare.
Implementation-only behaviour stays in test_rooms_host.py (eviction, cancelled callers, slow
readers, rate limits) and test_cf_rooms_durable_host.py (hibernation, receipt window, alarm
backoff, idle sockets).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from helpway.rooms import (
    Backoff,
    Entry,
    Final,
    FinalAnswer,
    LocalRoomHost,
    RoomPolicy,
    ServerFrame,
    Session,
)
from helpway.rooms.cloudflare.host import DurableRoomHost, socket_of
from helpway.rooms.cloudflare.testing import FakeDurableObjectState, FakeWebSocket
from helpway.rooms.room import DECLINE_TEXT
from helpway.rooms.sqlite_storage import SqliteRoomFolder
from helpway.shared import frames, limits

VISITOR = frames.Author(id="v1", role="visitor", name="Visitor v1")
AGENT = frames.Author(id="a1", role="agent", name="Ada")
AGENT2 = frames.Author(id="a2", role="agent", name="Bob")
HANDOFF = frames.RequestHuman(type="handoff.request")
Assistant = Callable[[str, str], AsyncIterator[str | Final]]


def send(client_id: str, text: str = "hello") -> frames.SendMessage:
    return frames.SendMessage(type="message.send", client_id=client_id, text=text)


def typing(active: bool) -> frames.SetTyping:
    return frames.SetTyping(type="typing", active=active)


def as_json(frame: ServerFrame) -> dict[str, Any]:
    return dict(json.loads(frame.model_dump_json(exclude_none=True)))


async def eventually(condition: Callable[[], bool]) -> None:
    """Wait until `condition()` holds; a bound on liveness, not a timing assertion."""
    async with asyncio.timeout(5):
        while not condition():  # noqa: ASYNC110 - state other tasks change
            await asyncio.sleep(0.002)


class Publisher:
    """Records published entries; fails while `failing` is set."""

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

    def seqs(self) -> list[int]:
        return [e.seq for _, batch in self.batches for e in batch]


class Peer:
    """One participant's connection: a local session or an object's socket."""

    def __init__(self, handle: Any, received: Callable[[], list[dict[str, Any]]]) -> None:
        self.handle = handle
        self._received = received

    def frames(self) -> list[dict[str, Any]]:
        return self._received()

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [f for f in self.frames() if f["type"] == kind]

    def entries(self) -> list[dict[str, Any]]:
        return [f for f in self.frames() if f["type"] in ("message", "event")]


class LocalHarness:
    def __init__(self, folder: Path, **options: Any) -> None:
        self.folder = folder / "rooms"
        self.publisher = Publisher()
        self._options = options
        self.host = self._new_host()

    def _new_host(self) -> LocalRoomHost:
        return LocalRoomHost(
            SqliteRoomFolder(self.folder, busy_timeout_s=0.05),
            publish=self.publisher,
            backoff=Backoff(initial_s=0.005, maximum_s=0.02),
            send_limits=None,
            **self._options,
        )

    def _peer(self, who: frames.Author) -> Peer:
        received: list[ServerFrame] = []
        failing: list[bool] = []

        async def deliver(frame: ServerFrame) -> None:
            if failing:
                raise ConnectionError("socket closed")
            received.append(frame)

        session = Session("c1", "demo", who, deliver)
        session.failing = failing  # type: ignore[attr-defined]
        return Peer(session, lambda: [as_json(f) for f in received])

    async def start(self) -> None:
        await self.host.start()

    async def close(self) -> None:
        await self.host.aclose()

    async def connect(self, who: frames.Author, last_seq: int = 0) -> Peer:
        peer = self._peer(who)
        await self.host.join(peer.handle, last_seq)
        return peer

    def stranger(self, who: frames.Author) -> Peer:
        return self._peer(who)

    async def receive(self, peer: Peer, frame: frames.ClientFrame) -> None:
        await self.host.receive(peer.handle, frame)

    async def assign(self, peer: Peer, assignee: frames.Author | None) -> None:
        await self.host.assign(peer.handle, assignee)

    async def rejoin(self, peer: Peer) -> None:
        join = frames.Join(type="join", v=1, token="checked by the edge", last_seq=0)
        await self.host.receive(peer.handle, join)

    async def leave(self, peer: Peer) -> None:
        await self.host.leave(peer.handle)

    def fail_sends(self, peer: Peer) -> None:
        peer.handle.failing.append(True)

    async def wake(self) -> None:
        """The process restarts over the same folder (its sessions are gone)."""
        await self.host.aclose()
        self.host = self._new_host()
        await self.host.start()

    async def settle(self) -> None:
        """The local host's timers run by themselves: give them a turn."""
        await asyncio.sleep(0.005)

    def stored_seqs(self) -> list[int]:
        with sqlite3.connect(self.folder / "c1.room.sqlite") as conn:
            return [seq for (seq,) in conn.execute("SELECT seq FROM log ORDER BY seq")]

    @contextlib.contextmanager
    def commits_fail(self) -> Iterator[None]:
        """Another process holds the room file's write lock."""
        blocker = sqlite3.connect(self.folder / "c1.room.sqlite", isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000

    def __call__(self) -> int:
        return self.now


class DurableHarness:
    def __init__(self, folder: Path, **options: Any) -> None:
        folder.mkdir(parents=True)
        self.ctx = FakeDurableObjectState(folder / "room.sqlite")
        self.clock = Clock()
        self.publisher = Publisher()
        self._options = options
        self.host = self._new_host()

    def _new_host(self) -> DurableRoomHost:
        return DurableRoomHost(
            self.ctx,
            publish=self.publisher,
            encode=lambda frame: frame.model_dump_json(exclude_none=True),
            clock=self.clock,
            backoff=Backoff(initial_s=1, maximum_s=8),
            **self._options,
        )

    @staticmethod
    def _peer(ws: FakeWebSocket) -> Peer:
        return Peer(ws, ws.frames)

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        self.ctx.storage.close()

    async def connect(self, who: frames.Author, last_seq: int = 0) -> Peer:
        ws = FakeWebSocket()
        self.host.accept(ws, "c1", "192.0.2.1")
        self.host.authenticated(ws, who, "demo")
        await self.host.join(ws, last_seq)
        return self._peer(ws)

    def stranger(self, who: frames.Author) -> Peer:
        ws = FakeWebSocket()
        self.host.accept(ws, "c1", None)
        return self._peer(ws)

    async def receive(self, peer: Peer, frame: frames.ClientFrame) -> None:
        await self.host.receive(peer.handle, frame)

    async def assign(self, peer: Peer, assignee: frames.Author | None) -> None:
        await self.host.assign(peer.handle, assignee)

    async def rejoin(self, peer: Peer) -> None:
        """The door's retry: an authenticated socket's next `join`."""
        await self.host.join(peer.handle)

    async def leave(self, peer: Peer) -> None:
        await self.host.leave(peer.handle)

    def fail_sends(self, peer: Peer) -> None:
        peer.handle.fail_sends = True

    async def wake(self) -> None:
        """Hibernation or eviction: a new instance over the same state."""
        self.host = self._new_host()

    async def settle(self) -> None:
        """The runtime fires the object's alarm once it is due (the clock jumps to it)."""
        if self.ctx.storage.alarm is not None:
            self.clock.now = max(self.clock.now, self.ctx.storage.take_alarm())
            await self.host.alarm()
        await asyncio.sleep(0)

    def stored_seqs(self) -> list[int]:
        rows = self.ctx.storage.sql.exec("SELECT seq FROM log ORDER BY seq").toArray()
        return [row["seq"] for row in rows]

    @contextlib.contextmanager
    def commits_fail(self) -> Iterator[None]:
        """The object's storage refuses the transaction (overloaded, or reset)."""
        storage = self.ctx.storage
        real = storage.transactionSync

        def failing(fn: Callable[[], Any]) -> Any:
            raise RuntimeError("storage overloaded")

        storage.transactionSync = failing  # type: ignore[method-assign]
        try:
            yield
        finally:
            storage.transactionSync = real  # type: ignore[method-assign]


Harness = LocalHarness | DurableHarness


@pytest.fixture(params=["local", "durable"])
async def make(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """`await make(**host options)`: a started harness of this run's host, closed after."""
    made: list[Harness] = []
    kind = LocalHarness if request.param == "local" else DurableHarness

    async def build(**options: Any) -> Harness:
        harness = kind(tmp_path / str(len(made)), **options)
        made.append(harness)
        await harness.start()
        return harness

    yield build
    for harness in made:
        await harness.close()


@pytest.fixture
async def room(make: Callable[..., Any]) -> Harness:
    harness: Harness = await make()
    return harness


async def until(harness: Harness, condition: Callable[[], bool]) -> None:
    """Let the host's time pass (timers, alarms) until `condition()` holds."""
    async with asyncio.timeout(5):
        while not condition():
            await harness.settle()


# ---------------------------------------------------------------- the log


async def test_sessions_see_one_ordered_log_stored_before_it_is_acked(room: Harness) -> None:
    visitor, agent = await room.connect(VISITOR), await room.connect(AGENT)
    await asyncio.gather(
        *(room.receive(visitor, send(f"v{i}", f"visitor {i}")) for i in range(10)),
        *(room.receive(agent, send(f"a{i}", f"agent {i}")) for i in range(10)),
    )
    await eventually(lambda: len(visitor.entries()) == 21 and len(agent.entries()) == 21)
    assert visitor.entries() == agent.entries()
    assert [e["seq"] for e in visitor.entries()] == list(range(1, 22))  # agent.joined + 20
    assert room.stored_seqs() == list(range(1, 22))
    kinds = [f["type"] for f in visitor.frames()]
    assert kinds[0] == "welcome"
    # The sender sees its ack before its own message comes back in the log.
    own = [f for f in visitor.frames() if f.get("client_id") == "v0"]
    assert [f["type"] for f in own] == ["ack", "message"]


async def test_resends_get_the_original_ack_and_one_message(room: Harness) -> None:
    tab1, tab2, agent = [await room.connect(who) for who in (VISITOR, VISITOR, AGENT)]
    await asyncio.gather(
        room.receive(tab1, send("x1", "once")),
        room.receive(tab1, send("x1", "once")),
        room.receive(tab2, send("x1", "once")),
    )
    await eventually(lambda: len(tab1.of_type("ack")) == 2 and len(tab2.of_type("ack")) == 1)
    acks = tab1.of_type("ack") + tab2.of_type("ack")
    assert {(a["seq"], a["id"]) for a in acks} == {(1, "c1.1")}
    await eventually(lambda: len(agent.entries()) == 1)
    await room.receive(agent, frames.Ping(type="ping"))  # after the resends, in order
    await eventually(lambda: bool(agent.of_type("pong")))
    assert len(agent.entries()) == 1
    assert room.stored_seqs() == [1]


async def test_join_with_last_seq_replays_exactly_the_gap(room: Harness) -> None:
    visitor = await room.connect(VISITOR)
    count = limits.HISTORY_PAGE + 20  # more than one page
    for i in range(count):
        await room.receive(visitor, send(f"x{i}", f"message {i}"))
    await eventually(lambda: len(visitor.entries()) == count)

    for last_seq in (0, 3, count - 1, count, count + 5):
        late = await room.connect(AGENT, last_seq=last_seq)
        expected = visitor.entries()[last_seq:]
        n = len(expected)
        await eventually(lambda late=late, n=n: len(late.frames()) == 1 + n)
        welcome = late.frames()[0]
        assert (welcome["type"], welcome["last_seq"]) == ("welcome", count)
        assert late.entries() == expected
        await room.leave(late)

    # Live frames follow the catch-up.
    late = await room.connect(AGENT, last_seq=count - 2)
    await room.receive(visitor, send("live"))
    await eventually(lambda: len(late.entries()) == 3)
    assert [e["seq"] for e in late.entries()] == [count - 1, count, count + 1]


async def test_a_new_instance_keeps_the_log_and_the_receipts(room: Harness) -> None:
    visitor = await room.connect(VISITOR)
    for i in range(5):
        await room.receive(visitor, send(f"x{i}"))
    await eventually(lambda: len(visitor.of_type("ack")) == 5)
    before = visitor.entries()

    await room.wake()
    again = await room.connect(VISITOR)
    await eventually(lambda: len(again.entries()) == 5)
    assert again.entries() == before
    # A resend of an acked message is acked as before, not stored twice.
    await room.receive(again, send("x2"))
    await room.receive(again, send("x9"))
    await eventually(lambda: len(again.of_type("ack")) == 2)
    assert [a["seq"] for a in again.of_type("ack")] == [3, 6]
    assert room.stored_seqs() == [1, 2, 3, 4, 5, 6]


async def test_a_failed_commit_is_refused_and_loses_nothing(room: Harness) -> None:
    visitor = await room.connect(VISITOR)
    await room.receive(visitor, send("x1", "stored"))
    await eventually(lambda: len(visitor.of_type("ack")) == 1)
    with room.commits_fail():
        await room.receive(visitor, send("x2", "refused"))
        await eventually(lambda: bool(visitor.of_type("error")))
    [error] = visitor.of_type("error")
    assert (error["code"], error["client_id"]) == ("internal", "x2")
    # The retry is stored once, under the next seq; nothing acked was lost.
    await room.receive(visitor, send("x2", "refused"))
    await eventually(lambda: len(visitor.of_type("ack")) == 2)
    assert [a["seq"] for a in visitor.of_type("ack")] == [1, 2]
    assert room.stored_seqs() == [1, 2]


# ---------------------------------------------------------------- the outbox


async def test_a_failing_publisher_never_blocks_and_gets_each_entry_once(room: Harness) -> None:
    room.publisher.failing = True
    visitor = await room.connect(VISITOR)
    for i in range(120):  # more than two publish batches
        await room.receive(visitor, send(f"x{i}"))
    # Every message is acked while the publisher is down.
    await eventually(lambda: len(visitor.of_type("ack")) == 120)
    await until(room, lambda: room.publisher.failures >= 2)
    assert room.publisher.seqs() == []

    room.publisher.failing = False
    await until(room, lambda: len(room.publisher.seqs()) == 120)
    await room.receive(visitor, send("after"))
    await until(room, lambda: len(room.publisher.seqs()) == 121)
    assert room.publisher.seqs() == list(range(1, 122))


async def test_a_leftover_outbox_is_drained_by_the_next_instance(room: Harness) -> None:
    room.publisher.failing = True
    visitor = await room.connect(VISITOR)
    await room.receive(visitor, send("x1"))
    await room.receive(visitor, HANDOFF)
    await until(room, lambda: room.publisher.failures >= 1)
    await room.wake()
    room.publisher.failing = False
    await until(room, lambda: room.publisher.seqs() == [1, 2])  # nobody joined


# ---------------------------------------------------------------- the assistant


async def test_assistant_deltas_then_its_cited_answer_in_order(
    make: Callable[..., Any],
) -> None:
    final = FinalAnswer(
        "Use apt-mark hold.", [("/help/pkg-basics#puttingonhold", "Putting on hold")], "answered"
    )
    asked: list[tuple[str, str]] = []

    async def assistant(site_id: str, question: str) -> AsyncIterator[str | Final]:
        asked.append((site_id, question))
        for piece in ("Use ", "apt-mark ", "hold."):
            yield piece
        yield final

    room = await make(assistant=assistant)
    visitor, agent = await room.connect(VISITOR), await room.connect(AGENT)
    await room.receive(visitor, send("x1", "How do I hold a package?"))
    await eventually(lambda: len(visitor.entries()) == 2)

    assert asked == [("demo", "How do I hold a package?")]
    kinds = [f["type"] for f in visitor.frames()]
    assert kinds == ["welcome", "ack", "message", *["assistant.delta"] * 3, "message"]
    deltas = visitor.of_type("assistant.delta")
    answer = visitor.entries()[-1]
    assert "".join(d["text"] for d in deltas) == answer["text"]
    assert {d["answer_id"] for d in deltas} == {answer["answer_id"]}
    assert (answer["author"]["role"], answer["resolution"]) == ("assistant", "answered")
    assert answer["citations"] == [
        {"url": "/help/pkg-basics#puttingonhold", "title": "Putting on hold"}
    ]
    await eventually(lambda: len(agent.frames()) == 8)
    # Everyone sees the same stream; agents are also told when the assistant starts and stops.
    shown = [f for f in agent.frames()[1:] if f["type"] != "assistant.state"]
    assert shown == visitor.frames()[2:]
    assert [s["answering"] for s in agent.of_type("assistant.state")] == [True, False]
    await until(room, lambda: room.publisher.seqs() == [1, 2])


async def test_a_handoff_stops_the_assistant(make: Callable[..., Any]) -> None:
    gate = asyncio.Event()
    closed: list[bool] = []

    async def slow(site_id: str, question: str) -> AsyncIterator[str | Final]:
        try:
            yield "thinking"
            await gate.wait()
            yield FinalAnswer("never")
        finally:
            closed.append(True)

    room = await make(assistant=slow)
    visitor = await room.connect(VISITOR)
    await room.receive(visitor, send("x1", "question"))
    await eventually(lambda: bool(visitor.of_type("assistant.delta")))
    await room.receive(visitor, HANDOFF)
    await eventually(lambda: closed == [True])  # the assistant's run was cancelled
    gate.set()
    await asyncio.sleep(0.02)
    assert [e["type"] for e in visitor.entries()] == ["message", "event"]
    event = visitor.entries()[-1]
    assert (event["name"], event["status"]) == ("handoff.requested", "waiting_human")
    assert [d["text"] for d in visitor.of_type("assistant.delta")] == ["thinking"]

    # Later visitor messages wait for a human: no new run.
    await room.receive(visitor, send("x2", "hello?"))
    await eventually(lambda: len(visitor.entries()) == 3)
    await asyncio.sleep(0.02)
    assert len(visitor.entries()) == 3 and closed == [True]


async def broken(site_id: str, question: str) -> AsyncIterator[str | Final]:
    yield "Let me"
    raise RuntimeError("model crashed")


async def silent(site_id: str, question: str) -> AsyncIterator[str | Final]:
    yield "I think"


@pytest.mark.parametrize("assistant", [broken, silent])
async def test_a_broken_or_silent_assistant_declines_and_offers_a_human(
    make: Callable[..., Any], assistant: Assistant
) -> None:
    room = await make(assistant=assistant)
    visitor = await room.connect(VISITOR)
    await room.receive(visitor, send("x1"))
    await eventually(lambda: len(visitor.entries()) == 2)
    decline = visitor.entries()[-1]
    assert (decline["text"], decline["resolution"]) == (DECLINE_TEXT, "declined")


# ---------------------------------------------------------------- sessions and presence


async def test_a_silent_typist_is_switched_off_by_the_rooms_alarm(
    make: Callable[..., Any],
) -> None:
    room = await make(policy=RoomPolicy(typing_ttl_ms=40))
    visitor, agent = await room.connect(VISITOR), await room.connect(AGENT)
    await room.receive(agent, typing(True))
    await eventually(lambda: bool(visitor.of_type("typing")))
    # The agent's socket neither closes nor says "stopped": the room's alarm does.
    await until(room, lambda: len(visitor.of_type("typing")) == 2)
    assert [t["active"] for t in visitor.of_type("typing")] == [True, False]
    assert agent.of_type("typing") == []  # never to the typist itself


async def test_a_start_held_back_by_the_interval_reaches_the_others_by_the_alarm(
    make: Callable[..., Any],
) -> None:
    # A typist's TTL alarm is set far ahead; a quick stop-start must not wait for it.
    room = await make(policy=RoomPolicy(typing_ttl_ms=60_000, typing_interval_ms=30))
    visitor, agent = await room.connect(VISITOR), await room.connect(AGENT)
    await room.receive(agent, typing(True))  # sets the room's alarm a minute ahead
    await room.receive(visitor, typing(True))
    await room.receive(visitor, typing(False))
    await room.receive(visitor, typing(True))  # within the interval: held back, not dropped
    await until(room, lambda: len(agent.of_type("typing")) == 3)
    assert [t["active"] for t in agent.of_type("typing")] == [True, False, True]


async def test_a_session_whose_send_fails_leaves_the_room(room: Harness) -> None:
    visitor, agent = await room.connect(VISITOR), await room.connect(AGENT)
    await room.receive(agent, typing(True))
    await eventually(lambda: bool(visitor.of_type("typing")))
    room.fail_sends(agent)
    await room.receive(visitor, send("x1"))
    # The agent's socket failed on the broadcast: it left, so its typing indicator went off.
    await eventually(lambda: len(visitor.of_type("typing")) == 2)
    off = visitor.of_type("typing")[-1]
    assert (off["author"]["id"], off["active"]) == (AGENT.id, False)
    await room.receive(visitor, send("x2"))
    await eventually(lambda: len(visitor.entries()) == 2)
    assert [e["client_id"] for e in visitor.entries()] == ["x1", "x2"]
    assert agent.entries() == []
    if isinstance(room, DurableHarness):  # its attachment says so, for the next wake-up
        socket = socket_of(agent.handle)
        assert socket is not None and not socket.joined


async def test_frames_before_join_are_refused_and_the_socket_stays(room: Harness) -> None:
    stranger = room.stranger(VISITOR)
    await room.receive(stranger, send("x1"))
    await eventually(lambda: bool(stranger.frames()))
    assert [(f["code"], f.get("client_id")) for f in stranger.frames()] == [("not_joined", "x1")]
    joined = await room.connect(VISITOR)
    await room.receive(joined, frames.Ping(type="ping"))
    await eventually(lambda: bool(joined.of_type("pong")))
    assert [f["type"] for f in joined.frames()] == ["welcome", "pong"]


async def test_a_full_room_refuses_a_join_and_a_later_join_gets_in(
    make: Callable[..., Any],
) -> None:
    room = await make(policy=RoomPolicy(max_sessions=2))
    await room.connect(VISITOR)
    second = await room.connect(AGENT)
    third = await room.connect(VISITOR)
    await eventually(lambda: bool(third.frames()))
    assert [(f["type"], f.get("code")) for f in third.frames()] == [("error", "room_full")]
    await room.receive(third, send("x1"))
    await eventually(lambda: len(third.frames()) == 2)
    assert third.frames()[1]["code"] == "not_joined"
    if isinstance(room, DurableHarness):  # the socket stays authenticated for its retry
        socket = socket_of(third.handle)
        assert socket is not None and socket.participant == VISITOR and not socket.joined

    await room.leave(second)
    await room.rejoin(third)
    await eventually(lambda: bool(third.of_type("welcome")))
    await room.receive(third, send("x1"))
    await eventually(lambda: bool(third.of_type("ack")))


# ---------------------------------------------------------------- agents' actions


def log_of(peer: Peer) -> list[dict[str, Any]]:
    return [f for f in peer.frames() if f["type"] in ("message", "event", "note")]


async def test_notes_and_assignments_never_reach_a_visitor_live_or_on_resume(
    room: Harness,
) -> None:
    visitor, agent = await room.connect(VISITOR), await room.connect(AGENT)
    other = await room.connect(AGENT2)
    await room.receive(visitor, send("x1", "hi"))
    await room.receive(agent, frames.SendNote(type="note.send", client_id="n1", text="VIP"))
    await room.assign(agent, AGENT2)
    await room.receive(agent, frames.Close(type="close"))
    await eventually(lambda: len(log_of(other)) == 4)
    assert [f["type"] for f in log_of(other)] == ["message", "note", "event", "event"]
    assert other.of_type("event")[0]["assignee"] == AGENT2.model_dump()
    assert [a["seq"] for a in agent.of_type("ack")] == [2]
    assert [f["seq"] for f in log_of(visitor)] == [1, 4]  # the message, then "closed"
    # A visitor's note or assign is refused and logs nothing.
    await room.receive(visitor, frames.SendNote(type="note.send", client_id="n2", text="x"))
    await room.assign(visitor, AGENT)
    await eventually(lambda: len(visitor.of_type("error")) == 2)
    assert [(e["code"], e.get("client_id")) for e in visitor.of_type("error")] == [
        ("forbidden", "n2"),
        ("forbidden", None),
    ]
    await until(room, lambda: room.publisher.seqs() == [1, 2, 3, 4])
    # Resume from anywhere, on a new instance rebuilt from storage: a visitor's catch-up skips
    # them, an agent's has them.
    await room.wake()
    for last_seq in (0, 1):
        again, agent_again = (
            await room.connect(VISITOR, last_seq),
            await room.connect(AGENT, last_seq),
        )
        await eventually(lambda: len(log_of(agent_again)) == 4 - last_seq)  # noqa: B023
        assert [f["seq"] for f in log_of(again)] == [s for s in (1, 4) if s > last_seq]
        assert again.of_type("note") == [] and again.of_type("assistant.state") == []
        await room.leave(again)
        await room.leave(agent_again)
    assert room.stored_seqs() == [1, 2, 3, 4]


async def test_a_takeover_stops_the_assistant_and_agents_see_it_answering(
    make: Callable[..., Any],
) -> None:
    gate = asyncio.Event()
    closed: list[bool] = []

    async def slow(site_id: str, question: str) -> AsyncIterator[str | Final]:
        try:
            yield "thinking"
            await gate.wait()
            yield FinalAnswer("never")
        finally:
            closed.append(True)

    room = await make(assistant=slow)
    visitor, agent = await room.connect(VISITOR), await room.connect(AGENT)
    await room.receive(visitor, send("x1", "question"))
    await eventually(lambda: bool(agent.of_type("assistant.delta")))
    assert [s["answering"] for s in agent.of_type("assistant.state")] == [True]
    late = await room.connect(AGENT2)  # an agent arriving mid-answer is told too
    assert [s["answering"] for s in late.of_type("assistant.state")] == [True]

    await room.receive(agent, frames.TakeOver(type="takeover"))
    await eventually(lambda: closed == [True])  # the assistant's run was cancelled
    gate.set()
    await eventually(lambda: len(visitor.entries()) == 2)
    joined = visitor.entries()[-1]
    assert (joined["name"], joined["author"], joined["status"]) == (
        "agent.joined",
        AGENT.model_dump(),
        "open",
    )
    assert [s["answering"] for s in agent.of_type("assistant.state")] == [True, False]
    assert visitor.of_type("assistant.state") == []
    # The visitor's next message waits for the human; a closed one cannot be taken over.
    await room.receive(visitor, send("x2", "hello?"))
    await eventually(lambda: len(visitor.entries()) == 3)
    await room.receive(agent, frames.Close(type="close"))
    await room.receive(agent, frames.TakeOver(type="takeover"))
    await eventually(lambda: bool(agent.of_type("error")))
    assert agent.of_type("error")[-1]["code"] == "conversation_closed"
    assert closed == [True] and len(visitor.of_type("assistant.delta")) == 1


async def test_a_rating_is_stored_published_and_kept_by_a_new_instance(room: Harness) -> None:
    visitor, agent = await room.connect(VISITOR), await room.connect(AGENT)
    await room.receive(visitor, send("x1", "hi"))
    await room.receive(agent, frames.Close(type="close"))
    rating = frames.SendRating(type="rating.send", client_id="r1", score=4, comment="Thanks!")
    await room.receive(visitor, rating)
    await eventually(lambda: len(agent.of_type("event")) == 2)
    rated = agent.of_type("event")[1]
    assert (rated["name"], rated["status"], rated["rating"]) == (
        "rated",
        "closed",
        {"score": 4, "comment": "Thanks!"},
    )
    assert [a["seq"] for a in visitor.of_type("ack")] == [1, 3]
    await until(room, lambda: room.publisher.seqs() == [1, 2, 3])
    [published] = [e for _, batch in room.publisher.batches for e in batch if e.seq == 3]
    assert published == frames.Event.model_validate(rated)

    # Rebuilt from storage: the same rating resent is acked as before, another is refused.
    await room.wake()
    again = await room.connect(VISITOR)
    await eventually(lambda: len(again.entries()) == 3)
    assert again.entries()[2] == rated
    await room.receive(again, rating)
    await room.receive(again, rating.model_copy(update={"client_id": "r2", "score": 1}))
    await eventually(lambda: len(again.of_type("ack")) + len(again.of_type("error")) == 2)
    assert [a["seq"] for a in again.of_type("ack")] == [3]
    assert [(e["code"], e["client_id"]) for e in again.of_type("error")] == [("conflict", "r2")]
    assert room.stored_seqs() == [1, 2, 3]
