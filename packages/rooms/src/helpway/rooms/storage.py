"""The room storage port: what a room keeps durably, shaped like a Durable Object's storage.

Synchronous on purpose: a Durable Object's `ctx.storage.sql` is synchronous and local, and so is
SQLite. A host calls it between awaits, so a room's reads and writes never interleave.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from .effects import Entry
from .meta import RoomMeta
from .room import Receipt, ReceiptKey


@dataclass(frozen=True)
class StoredRoom:
    """Everything needed to rebuild a room's core after a restart or an eviction."""

    meta: RoomMeta
    receipts: dict[ReceiptKey, Receipt]


class RoomStorage(Protocol):
    def load(self) -> StoredRoom | None:
        """The stored room, or None if nothing was ever committed."""
        ...

    def commit(self, entries: Sequence[Entry], meta: RoomMeta) -> None:
        """Atomically append entries to the log and the outbox and replace the meta."""
        ...

    def receipt(self, author_id: str, client_id: str) -> Receipt | None:
        """The (seq, entry id) of the message `author_id` sent with `client_id`, if stored."""
        ...

    def entries(self, after_seq: int, through_seq: int, limit: int) -> list[Entry]:
        """Log entries with after_seq < seq ≤ through_seq, oldest first, at most `limit`."""
        ...

    def unpublished(self, limit: int) -> list[Entry]:
        """The oldest entries still in the outbox."""
        ...

    def mark_published(self, through_seq: int) -> None:
        """Remove outbox entries up to and including `through_seq`."""
        ...

    def close(self) -> None: ...


class RoomFolder(Protocol):
    """Where rooms' storages live: one per conversation id."""

    def open(self, conversation_id: str) -> RoomStorage:
        """The room's storage, created empty if it never existed."""
        ...

    def conversation_ids(self) -> Iterable[str]:
        """Every stored room, so a host can drain outboxes left over from a previous run."""
        ...

    def exists(self, conversation_id: str) -> bool:
        """Whether the room has storage (without creating it)."""
        ...

    def delete(self, conversation_id: str) -> bool:
        """Remove the room's storage (log, outbox, meta) for good; True if there was any. The
        storage must be closed."""
        ...
