"""The `RoomStorage` port on a Durable Object's SQLite storage (`ctx.storage`).

Same schema and same rows as the local SQLite adapter (log rows hold each entry's wire JSON;
the dedupe index is a unique index over the log's (author, client id)). What differs is the
API: `ctx.storage.sql.exec(query, *bindings)` returns a cursor (`toArray()`, `one()`, rows as
dicts), runs one statement at a time, and refuses `BEGIN`/`COMMIT`: a commit is atomic through
`ctx.storage.transactionSync(fn)`, which rolls back if `fn` raises.

Durability before the ack holds without waiting here: `exec` is synchronous, and the runtime's
output gate holds every outgoing message (the ack included) until the writes before it are
durable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..effects import Entry
from ..meta import RoomMeta
from ..room import Receipt
from ..sqlite_storage import _SCHEMA, ENTRY_TYPE, _entry_adapter
from ..storage import StoredRoom


class DurableRoomStorage:
    def __init__(self, storage: Any) -> None:
        self._storage = storage
        self._sql = storage.sql
        for statement in _SCHEMA:
            self._sql.exec(statement)

    def load(self) -> StoredRoom | None:
        rows = self._sql.exec("SELECT json FROM meta WHERE id = 1").toArray()
        if not rows:
            return None
        receipts = {
            (row["author_id"], row["client_id"]): (int(row["seq"]), row["id"], row["type"])
            for row in self._sql.exec(
                f"SELECT seq, id, author_id, client_id, {ENTRY_TYPE} AS type FROM log "
                "WHERE client_id IS NOT NULL"
            ).toArray()
        }
        return StoredRoom(meta=RoomMeta.from_json(rows[0]["json"]), receipts=receipts)

    def commit(self, entries: Sequence[Entry], meta: RoomMeta) -> None:
        def write() -> None:
            for entry in entries:
                self._sql.exec(
                    "INSERT INTO log (seq, id, author_id, client_id, entry) VALUES (?, ?, ?, ?, ?)",
                    entry.seq,
                    entry.id,
                    entry.author.id,
                    entry.client_id,
                    entry.model_dump_json(),
                )
                self._sql.exec("INSERT INTO outbox (seq) VALUES (?)", entry.seq)
            self._sql.exec(
                "INSERT INTO meta (id, json) VALUES (1, ?) "
                "ON CONFLICT (id) DO UPDATE SET json = excluded.json",
                meta.to_json(),
            )

        self._storage.transactionSync(write)

    def receipt(self, author_id: str, client_id: str) -> Receipt | None:
        rows = self._sql.exec(
            f"SELECT seq, id, {ENTRY_TYPE} AS type FROM log WHERE author_id = ? AND client_id = ?",
            author_id,
            client_id,
        ).toArray()
        return (int(rows[0]["seq"]), rows[0]["id"], rows[0]["type"]) if rows else None

    def entries(self, after_seq: int, through_seq: int, limit: int) -> list[Entry]:
        rows = self._sql.exec(
            "SELECT entry FROM log WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
            after_seq,
            through_seq,
            limit,
        ).toArray()
        return [_entry_adapter.validate_json(row["entry"]) for row in rows]

    def unpublished(self, limit: int) -> list[Entry]:
        rows = self._sql.exec(
            "SELECT log.entry AS entry FROM outbox JOIN log USING (seq) ORDER BY seq LIMIT ?",
            limit,
        ).toArray()
        return [_entry_adapter.validate_json(row["entry"]) for row in rows]

    def mark_published(self, through_seq: int) -> None:
        self._sql.exec("DELETE FROM outbox WHERE seq <= ?", through_seq)

    def close(self) -> None:
        """Nothing to close: the storage lives as long as the object."""
