"""The rooms' outbox publisher: committed log entries → D1 → the agents' inboxes.

The room's storage is the source of truth; D1 is the copy the inbox and the REST history read.
`apply_entries` is idempotent, so the outbox may retry freely; an exception here means "not yet"
and the entries stay in the room's outbox. The inbox is told only after D1 has the entries, so
a console that reloads on the update sees them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from helpway.rooms.effects import Entry
from helpway.rooms.outbox import Publisher
from helpway.shared import frames
from helpway.store.conversations import apply_entries
from helpway.store.database import Database


class Inbox(Protocol):
    """Where conversation changes go: the in-process `InboxHub` locally, the inbox Durable
    Object on Cloudflare."""

    async def publish(self, summary: frames.ConversationSummary) -> None: ...


def publisher(db: Database, hub: Inbox) -> Publisher:
    async def publish(conversation_id: str, entries: Sequence[Entry]) -> None:
        summary = await apply_entries(db, conversation_id, entries)
        if summary is not None:
            await hub.publish(summary)

    return publish
