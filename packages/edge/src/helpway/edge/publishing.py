"""The rooms' outbox publisher: committed log entries → D1 → the agents' inboxes.

The room's storage is the source of truth; D1 is the copy the inbox and the REST history read.
`apply_statements` is idempotent, so the outbox may retry freely; an exception here means "not
yet" and the entries stay in the room's outbox. The inbox is told only after D1 has the
entries, so a console that reloads on the update sees them.

Group commit: every room drains its own outbox and awaits its own publish, but the batches that
arrive while one D1 transaction is being written go together in the next one. Locally that is
one disk sync (and one stall of the event loop, since the local D1 runs inline) per burst
instead of one per message; a Durable Object, which drains only its own room, simply gets
batches of one. A batch for a conversation D1 does not know fails alone (`NotFound`), so it
cannot hold back the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from helpway.rooms.effects import Entry
from helpway.rooms.outbox import Publisher
from helpway.shared import frames
from helpway.store.conversations import apply_statements, existing_ids, summaries
from helpway.store.database import Database
from helpway.store.errors import NotFound

GATHER_TURNS = 8


class Inbox(Protocol):
    """Where conversation changes go: the in-process `InboxHub` locally, the inbox Durable
    Object on Cloudflare."""

    async def publish(self, summary: frames.ConversationSummary) -> None: ...


@dataclass
class _Batch:
    conversation_id: str
    entries: Sequence[Entry]
    done: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


def publisher(db: Database, hub: Inbox) -> Publisher:
    pending: list[_Batch] = []
    writer: list[asyncio.Task[None]] = []  # the one task writing, while there is one

    async def write() -> None:
        try:
            while pending:
                # The drains woken with this one add their batches over the next few turns of
                # the loop; wait while more keep coming, a bounded number of turns.
                for _ in range(GATHER_TURNS):
                    arrived = len(pending)
                    await asyncio.sleep(0)
                    if len(pending) == arrived:
                        break
                batches = pending[:]
                pending.clear()
                await _write(db, hub, batches)
        finally:
            writer.clear()

    async def publish(conversation_id: str, entries: Sequence[Entry]) -> None:
        batch = _Batch(conversation_id, entries)
        pending.append(batch)
        if not writer:
            writer.append(asyncio.create_task(write(), name="publish"))
        await batch.done

    return publish


async def _write(db: Database, hub: Inbox, batches: list[_Batch]) -> None:
    """One D1 transaction for every batch of a known conversation, then their inbox updates;
    each batch's future says how its own part went."""
    try:
        known = await existing_ids(db, [b.conversation_id for b in batches])
        for batch in batches:
            if batch.conversation_id not in known:
                _settle(batch, NotFound(f"conversation {batch.conversation_id!r}"))
        batches = [b for b in batches if b.conversation_id in known]
        statements = [
            s for b in batches if b.entries for s in apply_statements(b.conversation_id, b.entries)
        ]
        if statements:
            await db.batch(statements)
        rows = await summaries(db, [b.conversation_id for b in batches])
    except Exception as exc:
        for batch in batches:
            _settle(batch, exc)
        return
    for batch in batches:
        summary = rows.get(batch.conversation_id)
        try:
            if summary is not None:
                await hub.publish(summary)
        except Exception as exc:
            _settle(batch, exc)
        else:
            _settle(batch, None)


def _settle(batch: _Batch, error: Exception | None) -> None:
    if batch.done.done():  # its drain was cancelled
        return
    if error is None:
        batch.done.set_result(None)
    else:
        batch.done.set_exception(error)
