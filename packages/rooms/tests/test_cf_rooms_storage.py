"""The `RoomStorage` port's contract, run against both adapters: local SQLite files and a
Durable Object's `ctx.storage.sql` (over the double, real SQLite underneath)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from helpway.rooms.cloudflare.storage import DurableRoomStorage
from helpway.rooms.cloudflare.testing import FakeDurableObjectStorage
from helpway.rooms.meta import RoomMeta
from helpway.rooms.sqlite_storage import SqliteRoomStorage
from helpway.rooms.storage import RoomStorage
from helpway.shared import frames

VISITOR = frames.Author(id="v1", role="visitor", name="Visitor v1")
ASSISTANT = frames.Author(id="assistant", role="assistant", name="Assistant")

Opener = Callable[[], RoomStorage]


@pytest.fixture(params=["sqlite", "durable-object"])
def open_storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """Opens the same room's storage again and again, as a restarted host or a woken object."""
    if request.param == "sqlite":
        yield lambda: SqliteRoomStorage(tmp_path / "r.sqlite")
        return
    state = FakeDurableObjectStorage(tmp_path / "do.sqlite")
    yield lambda: DurableRoomStorage(state)
    state.close()


def message(seq: int, client_id: str | None, text: str = "hello") -> frames.Message:
    return frames.Message(
        type="message",
        seq=seq,
        id=f"c.{seq}",
        client_id=client_id,
        author=VISITOR if client_id else ASSISTANT,
        text=text,
        created_at=seq * 10,
        citations=[] if client_id else [frames.Citation(url="/help/a#b", title="A")],
        answer_id=None if client_id else f"c.a{seq - 1}",
        resolution=None if client_id else "answered",
    )


def event(seq: int) -> frames.Event:
    return frames.Event(
        type="event",
        seq=seq,
        id=f"c.{seq}",
        name="handoff.requested",
        author=VISITOR,
        status="waiting_human",
        created_at=seq * 10,
    )


async def test_an_empty_room_has_nothing_stored(open_storage: Opener) -> None:
    storage = open_storage()
    assert storage.load() is None
    assert storage.entries(0, 10, 10) == []
    assert storage.unpublished(10) == []


async def test_commit_round_trips_entries_meta_and_receipts(open_storage: Opener) -> None:
    storage = open_storage()
    log = [message(1, "k1", "hé 👋"), message(2, None, "Use apt-mark hold."), event(3)]
    meta = RoomMeta("c", "demo", status="waiting_human", ai_active=False, last_seq=3)
    storage.commit(log[:2], RoomMeta("c", "demo", last_seq=2, agent_ids=frozenset({"a1"})))
    storage.commit(log[2:], meta)
    again = open_storage()  # what a restarted host or a woken object reads
    stored = again.load()
    assert stored is not None
    assert stored.meta == meta
    assert stored.receipts == {("v1", "k1"): (1, "c.1", "message")}
    assert again.entries(0, 3, 10) == log
    assert again.entries(1, 3, 1) == log[1:2]
    assert again.entries(0, 2, 10) == log[:2]


async def test_the_outbox_holds_entries_until_marked(open_storage: Opener) -> None:
    storage = open_storage()
    log = [message(seq, f"k{seq}") for seq in range(1, 6)]
    storage.commit(log, RoomMeta("c", "demo", last_seq=5))
    assert storage.unpublished(2) == log[:2]
    storage.mark_published(2)
    assert open_storage().unpublished(10) == log[2:]
    storage.mark_published(5)
    assert storage.unpublished(10) == []
    assert storage.entries(0, 5, 10) == log  # the log itself keeps everything


async def test_a_failed_commit_writes_nothing(open_storage: Opener) -> None:
    storage = open_storage()
    first = RoomMeta("c", "demo", last_seq=1)
    storage.commit([message(1, "k1")], first)
    with pytest.raises(Exception):  # noqa: B017 - each adapter raises its own database error
        storage.commit([message(2, "k2"), message(1, "k1")], RoomMeta("c", "demo", last_seq=2))
    stored = open_storage().load()
    assert stored is not None
    assert (stored.meta, stored.receipts) == (first, {("v1", "k1"): (1, "c.1", "message")})
    assert [e.seq for e in storage.entries(0, 5, 10)] == [1]
    assert [e.seq for e in storage.unpublished(10)] == [1]


async def test_one_receipt_per_author_and_client_id(open_storage: Opener) -> None:
    storage = open_storage()
    storage.commit([message(1, "k1")], RoomMeta("c", "demo", last_seq=1))
    with pytest.raises(Exception):  # noqa: B017
        storage.commit([message(2, "k1")], RoomMeta("c", "demo", last_seq=2))
    assert [e.seq for e in storage.entries(0, 5, 10)] == [1]


async def test_receipts_are_looked_up_by_author_and_client_id(open_storage: Opener) -> None:
    storage = open_storage()
    storage.commit([message(1, "k1"), message(2, None)], RoomMeta("c", "demo", last_seq=2))
    again = open_storage()
    assert again.receipt("v1", "k1") == (1, "c.1", "message")
    assert again.receipt("v1", "k2") is None
    assert again.receipt("someone-else", "k1") is None
    agent = frames.Author(id="a1", role="agent", name="Ada")
    note = frames.Note(
        type="note", seq=3, id="c.3", client_id="n1", author=agent, text="x", created_at=30
    )
    again.commit([note], RoomMeta("c", "demo", last_seq=3))
    assert open_storage().receipt("a1", "n1") == (3, "c.3", "note")  # which kind it made
