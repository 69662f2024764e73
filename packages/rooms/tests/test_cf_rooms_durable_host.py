"""The Durable Object room host, driven the way the runtime drives it: sockets accepted into
the object, their messages, closes and the object's alarm, over the doubles of `ctx` and of
hibernatable WebSockets. Hibernation is a new host on the same state."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from helpway.rooms import Backoff, Entry, Final, FinalAnswer, RoomPolicy
from helpway.rooms.cloudflare.host import CLOSE_IDLE, DurableRoomHost, socket_of
from helpway.rooms.cloudflare.testing import FakeDurableObjectState, FakeWebSocket
from helpway.rooms.effects import ServerFrame
from helpway.rooms.room import DECLINE_TEXT
from helpway.shared import frames, limits

VISITOR = frames.Author(id="v1", role="visitor", name="Visitor v1")
AGENT = frames.Author(id="a1", role="agent", name="Ada")
HANDOFF = frames.RequestHuman(type="handoff.request")


def encode(frame: ServerFrame) -> str:
    return frame.model_dump_json(exclude_none=True)


def send(client_id: str, text: str = "hello") -> frames.SendMessage:
    return frames.SendMessage(type="message.send", client_id=client_id, text=text)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000

    def __call__(self) -> int:
        return self.now


class Publisher:
    def __init__(self) -> None:
        self.batches: list[tuple[str, list[Entry]]] = []
        self.failing = False
        self.failures = 0

    async def __call__(self, conversation_id: str, entries: Sequence[Entry]) -> None:
        if self.failing:
            self.failures += 1
            raise ConnectionError("D1 unavailable")
        self.batches.append((conversation_id, list(entries)))

    def seqs(self) -> list[int]:
        return [e.seq for _, batch in self.batches for e in batch]


class Object:
    """One conversation's Durable Object: its state outlives host instances."""

    def __init__(self, folder: Path, assistant: Any = None, **options: Any) -> None:
        self.ctx = FakeDurableObjectState(folder / "room.sqlite")
        self.clock = Clock()
        self.publisher = Publisher()
        self.assistant = assistant
        self.options = options
        self.host = self.wake()

    def wake(self) -> DurableRoomHost:
        """A new instance of the object, as after hibernation or eviction."""
        self.host = DurableRoomHost(
            self.ctx,
            publish=self.publisher,
            encode=encode,
            assistant=self.assistant,
            clock=self.clock,
            backoff=Backoff(initial_s=1, maximum_s=8),
            **self.options,
        )
        return self.host

    async def connect(
        self, who: frames.Author, last_seq: int = 0, ip: str = "192.0.2.1"
    ) -> FakeWebSocket:
        ws = FakeWebSocket()
        self.host.accept(ws, "c1", ip)
        self.host.authenticated(ws, who, "demo")
        await self.host.join(ws, last_seq)
        return ws

    async def fire_alarm(self) -> None:
        """What the runtime does when the alarm is due: advance the clock to it, call it."""
        self.clock.now = max(self.clock.now, self.ctx.storage.take_alarm())
        await self.host.alarm()


def entries(ws: FakeWebSocket) -> list[dict[str, Any]]:
    return [f for f in ws.frames() if f["type"] in ("message", "event")]


def of_type(ws: FakeWebSocket, kind: str) -> list[dict[str, Any]]:
    return [f for f in ws.frames() if f["type"] == kind]


async def eventually(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(5):
        while not condition():  # noqa: ASYNC110 - state other tasks change
            await asyncio.sleep(0.001)


@pytest.fixture
def room(tmp_path: Path) -> Object:
    return Object(tmp_path)


async def test_sessions_see_one_ordered_log_acked_after_storage(room: Object) -> None:
    visitor, agent = await room.connect(VISITOR), await room.connect(AGENT)
    stored_at_ack: list[int] = []
    original_send = visitor.send

    def spy(text: str) -> None:
        if '"type":"ack"' in text:
            rows = room.ctx.storage.sql.exec("SELECT COUNT(*) AS n FROM log").one()
            stored_at_ack.append(rows["n"])
        original_send(text)

    visitor.send = spy  # type: ignore[method-assign]
    await asyncio.gather(
        *(room.host.receive(visitor, send(f"v{i}", f"visitor {i}")) for i in range(10)),
        *(room.host.receive(agent, send(f"a{i}", f"agent {i}")) for i in range(10)),
    )
    assert entries(visitor) == entries(agent)
    assert [e["seq"] for e in entries(visitor)] == list(range(1, 22))  # agent.joined + 20
    assert stored_at_ack == sorted(stored_at_ack) and min(stored_at_ack) >= 1
    kinds = [f["type"] for f in visitor.frames()]
    assert kinds[0] == "welcome"
    first_ack = kinds.index("ack")
    assert kinds[first_ack + 1] in ("message", "event")  # the ack before its broadcast


async def test_resends_are_acked_once_stored_once(room: Object) -> None:
    tab1, tab2, agent = [await room.connect(w) for w in (VISITOR, VISITOR, AGENT)]
    for ws in (tab1, tab1, tab2):
        await room.host.receive(ws, send("x1", "once"))
    acks = of_type(tab1, "ack") + of_type(tab2, "ack")
    assert {(a["seq"], a["id"]) for a in acks} == {(1, "c1.1")}
    assert len(entries(agent)) == 1


async def test_join_with_last_seq_replays_exactly_the_gap(room: Object) -> None:
    visitor = await room.connect(VISITOR)
    count = limits.HISTORY_PAGE + 20
    for i in range(count):
        await room.host.receive(visitor, send(f"x{i}", f"m{i}"))
    for last_seq in (0, 3, count, count + 5):
        late = await room.connect(AGENT, last_seq=last_seq)
        welcome = late.frames()[0]
        assert (welcome["type"], welcome["last_seq"]) == ("welcome", count)
        assert entries(late) == entries(visitor)[last_seq:]
        await room.host.leave(late)


async def test_a_woken_object_keeps_sockets_log_and_receipts(room: Object) -> None:
    visitor, agent = await room.connect(VISITOR), await room.connect(AGENT)
    await room.host.receive(visitor, send("x1", "before"))
    room.wake()  # hibernated: the instance is gone, the sockets and storage are not
    await room.host.receive(agent, send("y1", "after"))
    await room.host.receive(visitor, send("x1", "before"))  # a resend after the wake-up
    assert [e["seq"] for e in entries(visitor)] == [1, 2, 3]  # message, agent.joined, message
    assert entries(visitor) == entries(agent)
    assert [a["seq"] for a in of_type(visitor, "ack")] == [1, 1]
    assert of_type(visitor, "welcome") == of_type(visitor, "welcome")[:1]
    socket = socket_of(visitor)
    assert socket is not None and socket.joined and socket.participant == VISITOR


async def test_resends_older_than_the_receipt_window_are_found_in_storage(
    tmp_path: Path,
) -> None:
    room = Object(tmp_path, policy=RoomPolicy(receipt_window=3))
    visitor = await room.connect(VISITOR)
    for i in range(10):
        await room.host.receive(visitor, send(f"x{i}", f"m{i}"))
    for _ in range(2):  # in the instance that forgot it, then in a woken one
        await room.host.receive(visitor, send("x0", "m0"))
        assert of_type(visitor, "ack")[-1]["seq"] == 1
        room.wake()
    assert [e["seq"] for e in entries(visitor)] == list(range(1, 11))


async def test_the_alarm_drains_the_outbox_in_order_with_backoff(room: Object) -> None:
    visitor = await room.connect(VISITOR)
    room.publisher.failing = True
    for i in range(60):  # more than one publish batch
        await room.host.receive(visitor, send(f"x{i}"))
    assert len(of_type(visitor, "ack")) == 60  # acked while the publisher is down
    assert room.ctx.storage.alarm == room.clock.now
    await room.fire_alarm()
    assert room.publisher.failures == 1
    retry_at = room.ctx.storage.alarm
    assert retry_at is not None and retry_at >= room.clock.now + 500  # backoff, not a spin
    room.publisher.failing = False
    await room.fire_alarm()
    assert room.publisher.seqs() == list(range(1, 61))
    await room.host.receive(visitor, send("late"))
    await room.fire_alarm()
    assert room.publisher.seqs() == list(range(1, 62))


async def test_a_leftover_outbox_is_drained_by_a_new_instance(room: Object) -> None:
    visitor = await room.connect(VISITOR)
    await room.host.receive(visitor, send("x1"))
    await room.host.receive(visitor, HANDOFF)
    room.wake()  # evicted before its alarm ran: the alarm is stored with the object
    await room.fire_alarm()
    assert room.publisher.seqs() == [1, 2]


async def test_assistant_streams_then_logs_a_cited_answer(tmp_path: Path) -> None:
    final = FinalAnswer("Use apt-mark hold.", [("/help/pkg#hold", "Holding")], "answered")

    async def assistant(site_id: str, question: str) -> AsyncIterator[str | Final]:
        for piece in ("Use ", "apt-mark ", "hold."):
            yield piece
        yield final

    room = Object(tmp_path, assistant=assistant)
    visitor = await room.connect(VISITOR)
    await room.host.receive(visitor, send("x1", "How do I hold a package?"))
    await eventually(lambda: len(entries(visitor)) == 2)
    kinds = [f["type"] for f in visitor.frames()]
    assert kinds == ["welcome", "ack", "message", *["assistant.delta"] * 3, "message"]
    answer = entries(visitor)[-1]
    assert answer["author"]["role"] == "assistant"
    assert answer["citations"] == [{"url": "/help/pkg#hold", "title": "Holding"}]
    assert "".join(d["text"] for d in of_type(visitor, "assistant.delta")) == answer["text"]
    await room.fire_alarm()
    assert room.publisher.seqs() == [1, 2]


async def test_handoff_cancels_the_answer_and_a_broken_one_declines(tmp_path: Path) -> None:
    gate = asyncio.Event()
    closed: list[bool] = []

    async def slow(site_id: str, question: str) -> AsyncIterator[str | Final]:
        try:
            yield "thinking"
            await gate.wait()
            yield FinalAnswer("never")
        finally:
            closed.append(True)

    room = Object(tmp_path, assistant=slow)
    visitor = await room.connect(VISITOR)
    await room.host.receive(visitor, send("x1", "question"))
    await eventually(lambda: bool(of_type(visitor, "assistant.delta")))
    await room.host.receive(visitor, HANDOFF)
    await eventually(lambda: closed == [True])
    gate.set()
    await asyncio.sleep(0.01)
    assert [e["type"] for e in entries(visitor)] == ["message", "event"]

    async def broken(site_id: str, question: str) -> AsyncIterator[str | Final]:
        yield "Let me"
        raise RuntimeError("model crashed")

    (tmp_path / "other").mkdir()
    other = Object(tmp_path / "other", assistant=broken)
    visitor = await other.connect(VISITOR)
    await other.host.receive(visitor, send("x1"))
    await eventually(lambda: len(entries(visitor)) == 2)
    decline = entries(visitor)[-1]
    assert (decline["text"], decline["resolution"]) == (DECLINE_TEXT, "declined")


async def test_the_alarm_switches_off_a_silent_typist(room: Object) -> None:
    visitor, agent = await room.connect(VISITOR), await room.connect(AGENT)
    await room.host.receive(agent, frames.SetTyping(type="typing", active=True))
    assert [t["active"] for t in of_type(visitor, "typing")] == [True]
    assert room.ctx.storage.alarm == room.clock.now + limits.TYPING_TTL_MS
    await room.fire_alarm()
    assert [t["active"] for t in of_type(visitor, "typing")] == [True, False]
    assert of_type(agent, "typing") == []  # never to the typist itself


async def test_idle_sockets_are_closed_by_the_alarm(tmp_path: Path) -> None:
    room = Object(tmp_path, idle_timeout_ms=90_000)
    visitor, agent = await room.connect(VISITOR), await room.connect(AGENT)
    await room.host.receive(agent, frames.SetTyping(type="typing", active=True))
    room.clock.now += 60_000
    room.host.heard(visitor)  # the visitor pings; the agent went silent
    await room.host.receive(visitor, frames.Ping(type="ping"))
    while agent.close_code is None:
        await room.fire_alarm()
    assert (agent.close_code, agent.close_reason) == (CLOSE_IDLE, "idle")
    assert visitor.close_code is None
    assert of_type(visitor, "typing")[-1]["active"] is False
    await room.host.receive(visitor, send("x1"))
    assert entries(agent) == []


async def test_a_socket_whose_send_fails_leaves_the_room(room: Object) -> None:
    visitor, agent = await room.connect(VISITOR), await room.connect(AGENT)
    await room.host.receive(agent, frames.SetTyping(type="typing", active=True))
    agent.fail_sends = True
    await room.host.receive(visitor, send("x1"))
    assert [t["active"] for t in of_type(visitor, "typing")] == [True, False]
    socket = socket_of(agent)
    assert socket is not None and not socket.joined


async def test_a_failed_commit_is_refused_and_loses_nothing(room: Object) -> None:
    visitor = await room.connect(VISITOR)
    await room.host.receive(visitor, send("x1", "stored"))
    storage = room.ctx.storage
    real = storage.transactionSync

    def failing(fn: Callable[[], None]) -> None:
        raise RuntimeError("storage overloaded")

    storage.transactionSync = failing  # type: ignore[method-assign]
    await room.host.receive(visitor, send("x2", "refused"))
    [error] = of_type(visitor, "error")
    assert (error["code"], error["client_id"]) == ("internal", "x2")
    storage.transactionSync = real  # type: ignore[method-assign]
    await room.host.receive(visitor, send("x2", "refused"))
    assert [a["seq"] for a in of_type(visitor, "ack")] == [1, 2]


async def test_frames_before_join_and_a_full_room(tmp_path: Path) -> None:
    room = Object(tmp_path, policy=RoomPolicy(max_sessions=1))
    stranger = FakeWebSocket()
    room.host.accept(stranger, "c1", None)
    await room.host.receive(stranger, send("x1"))
    assert [(f["code"], f.get("client_id")) for f in stranger.frames()] == [("not_joined", "x1")]
    await room.connect(VISITOR)
    second = await room.connect(AGENT)
    assert [f["code"] for f in of_type(second, "error")] == ["room_full"]
    socket = socket_of(second)
    assert socket is not None and socket.participant == AGENT and not socket.joined
    with pytest.raises(ValueError, match="authenticated"):
        await room.host.join(stranger)
