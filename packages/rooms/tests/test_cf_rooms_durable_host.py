"""The Durable Object room host, driven the way the runtime drives it: sockets accepted into
the object, their messages, closes and the object's alarm, over the doubles of `ctx` and of
hibernatable WebSockets. Hibernation is a new host on the same state. What it shares with the
local host is in test_rooms_host_contract.py; here is what only an object does (sockets kept
across hibernation, its receipt window, the alarm's schedule and backoff, idle sockets)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from helpway.rooms import Backoff, Entry, RoomPolicy
from helpway.rooms.cloudflare.host import CLOSE_IDLE, DurableRoomHost, socket_of
from helpway.rooms.cloudflare.testing import FakeDurableObjectState, FakeWebSocket
from helpway.rooms.effects import ServerFrame
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

    def __init__(self, folder: Path, **options: Any) -> None:
        self.ctx = FakeDurableObjectState(folder / "room.sqlite")
        self.clock = Clock()
        self.publisher = Publisher()
        self.options = options
        self.host = self.wake()

    def wake(self) -> DurableRoomHost:
        """A new instance of the object, as after hibernation or eviction."""
        self.host = DurableRoomHost(
            self.ctx,
            publish=self.publisher,
            encode=encode,
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


async def test_only_an_authenticated_socket_joins(room: Object) -> None:
    """The door authenticates before the host's join; a join without it is a bug, not input."""
    stranger = FakeWebSocket()
    room.host.accept(stranger, "c1", None)
    with pytest.raises(ValueError, match="authenticated"):
        await room.host.join(stranger)


async def test_erase_closes_sockets_and_deletes_storage_and_alarm(room: Object) -> None:
    visitor, agent = await room.connect(VISITOR), await room.connect(AGENT)
    room.publisher.failing = True
    await room.host.receive(visitor, send("v1", "my address is 1 Main St"))
    assert [e.seq for e in room.host.room_log(0)] == [1]
    assert room.ctx.storage.alarm is not None  # the outbox drain is pending

    await room.host.erase()
    for ws in (visitor, agent):
        assert ws.close_code == 4401 and of_type(ws, "error")[-1]["code"] == "not_found"
    tables = room.ctx.storage.sql.exec(
        "SELECT name FROM sqlite_master WHERE type = 'table'"
    ).toArray()
    assert tables == [] and room.ctx.storage.alarm is None
    assert room.host.room_log(0) == []
    await room.host.alarm()  # a late alarm stores nothing again
    assert room.ctx.storage.sql.exec("SELECT name FROM sqlite_master").toArray() == []


async def test_disconnect_ends_one_participants_sockets(room: Object) -> None:
    visitor, agent = await room.connect(VISITOR), await room.connect(AGENT)
    assert await room.host.disconnect(AGENT.id) == 1
    assert agent.close_code == 4401 and of_type(agent, "error")[-1]["code"] == "unauthorized"
    assert visitor.close_code is None
    await room.host.receive(visitor, send("v1", "after the agent left"))
    assert not [f for f in entries(agent) if f["seq"] == 1]
