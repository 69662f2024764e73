"""The outbox publisher over a real migrated SQLite D1: many rooms' batches in one transaction,
each room told how its own part went."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from helpway.edge.publishing import publisher
from helpway.shared import frames
from helpway.store import conversations, sites, visitors
from helpway.store.database import Statement
from helpway.store.errors import NotFound
from helpway.store.migrate import apply_migrations
from helpway.store.sqlite import SqliteDatabase


class CountingDatabase(SqliteDatabase):
    """The real local D1, counting its transactions."""

    batches = 0

    async def batch(self, statements: Sequence[Statement]) -> None:
        self.batches += 1
        await super().batch(statements)


class Hub:
    def __init__(self) -> None:
        self.updates: list[frames.ConversationSummary] = []

    async def publish(self, summary: frames.ConversationSummary) -> None:
        self.updates.append(summary)


def message(conversation_id: str, seq: int) -> frames.Message:
    author = frames.Author(id="v", role="visitor", name="Visitor")
    text = f"{conversation_id} line {seq}"
    entry_id = f"{conversation_id}.{seq}"
    return frames.Message(
        type="message", seq=seq, id=entry_id, author=author, text=text, created_at=seq
    )


async def test_rooms_publishing_together_share_one_transaction(tmp_path: Path) -> None:
    db = CountingDatabase(tmp_path / "d1.sqlite3")
    await apply_migrations(db)
    await sites.create_site(db, name="demo", site_id="demo")
    made = []
    for _ in range(10):
        visitor, _ = await visitors.create_visitor(db, "demo")
        made.append((await conversations.create_conversation(db, "demo", visitor.id, now=1)).id)
    hub = Hub()
    publish = publisher(db, hub)
    before = db.batches

    results = await asyncio.gather(
        *(publish(cid, [message(cid, 1), message(cid, 2)]) for cid in made),
        publish("nobody", [message("nobody", 1)]),
        return_exceptions=True,
    )

    assert results[:-1] == [None] * 10
    assert isinstance(results[-1], NotFound)  # an unknown conversation fails alone
    assert db.batches - before == 1
    assert sorted(u.id for u in hub.updates) == sorted(made)  # after D1 has them
    for cid in made:
        summary = await conversations.conversation_summary(db, cid)
        assert summary is not None and summary.last_text == f"{cid} line 2"
    db.close()
