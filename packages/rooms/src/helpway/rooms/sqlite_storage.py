"""Room storage on local SQLite: one database file per room in a folder, as a Durable Object
has its own SQLite database.

Log rows hold each entry's wire JSON, so replaying is reading, not re-encoding. The dedupe index
is a unique index over (author, client id) of the log itself: a receipt cannot exist without its
message, nor the other way round.

Commits are `synchronous=FULL` by default: an ack promises the message survives a crash, power
loss included, at the price of one disk sync per group commit. `sync="normal"` (WAL with
`synchronous=NORMAL`) acks once the commit is in the operating system's hands: it survives the
edge being killed (kill -9) but not a power cut or a kernel crash, which may take the last
commits with them. It is an operator's choice for a disk whose sync is slow (`HELPWAY_ROOM_SYNC`),
measured side by side in `bench/bench_rooms_delivery.py`.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from pydantic import TypeAdapter

from .effects import Entry
from .meta import RoomMeta
from .room import Receipt
from .storage import StoredRoom

# A log row's entry type ("message", "note", "event"), read from its stored JSON: a receipt
# says which kind its client id made.
ENTRY_TYPE = "json_extract(entry, '$.type')"

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, "
    "author_id TEXT NOT NULL, client_id TEXT, entry TEXT NOT NULL)",
    "CREATE UNIQUE INDEX IF NOT EXISTS log_client ON log (author_id, client_id) "
    "WHERE client_id IS NOT NULL",
    "CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY)",
)
_entry_adapter: TypeAdapter[Entry] = TypeAdapter(Entry)
# Conversation ids become file names, so only URL-safe id characters are accepted.
_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
SUFFIX = ".room.sqlite"
Sync = Literal["full", "normal"]
SYNC_MODES: tuple[Sync, ...] = ("full", "normal")


class SqliteRoomStorage:
    def __init__(self, path: Path, *, busy_timeout_s: float = 5.0, sync: Sync = "full") -> None:
        self.path = path
        self._sync = sync.upper()
        self._conn = sqlite3.connect(
            str(path), isolation_level=None, check_same_thread=False, timeout=busy_timeout_s
        )
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(f"PRAGMA synchronous={self._sync}")
        # No page cache of its own: a room appends and rereads its latest entries, which the
        # operating system's cache holds anyway, while any non-zero size costs a connection
        # about 85 KiB up front (measured), most of a room's memory with thousands open.
        self._conn.execute("PRAGMA cache_size=0")
        with self._transaction():
            for statement in _SCHEMA:
                self._conn.execute(statement)

    def load(self) -> StoredRoom | None:
        row = self._conn.execute("SELECT json FROM meta WHERE id = 1").fetchone()
        if row is None:
            return None
        receipts = {
            (author_id, client_id): (seq, entry_id, kind)
            for seq, entry_id, author_id, client_id, kind in self._conn.execute(
                f"SELECT seq, id, author_id, client_id, {ENTRY_TYPE} FROM log "
                "WHERE client_id IS NOT NULL"
            )
        }
        return StoredRoom(meta=RoomMeta.from_json(row[0]), receipts=receipts)

    def commit(self, entries: Sequence[Entry], meta: RoomMeta) -> None:
        with self._transaction():
            for entry in entries:
                self._conn.execute(
                    "INSERT INTO log (seq, id, author_id, client_id, entry) VALUES (?, ?, ?, ?, ?)",
                    (
                        entry.seq,
                        entry.id,
                        entry.author.id,
                        entry.client_id,
                        entry.model_dump_json(),
                    ),
                )
                self._conn.execute("INSERT INTO outbox (seq) VALUES (?)", (entry.seq,))
            self._conn.execute(
                "INSERT INTO meta (id, json) VALUES (1, ?) "
                "ON CONFLICT (id) DO UPDATE SET json = excluded.json",
                (meta.to_json(),),
            )

    def receipt(self, author_id: str, client_id: str) -> Receipt | None:
        row = self._conn.execute(
            f"SELECT seq, id, {ENTRY_TYPE} FROM log WHERE author_id = ? AND client_id = ?",
            (author_id, client_id),
        ).fetchone()
        return None if row is None else (row[0], row[1], row[2])

    def entries(self, after_seq: int, through_seq: int, limit: int) -> list[Entry]:
        rows = self._conn.execute(
            "SELECT entry FROM log WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
            (after_seq, through_seq, limit),
        )
        return [_entry_adapter.validate_json(entry) for (entry,) in rows]

    def unpublished(self, limit: int) -> list[Entry]:
        rows = self._conn.execute(
            "SELECT log.entry FROM outbox JOIN log USING (seq) ORDER BY seq LIMIT ?", (limit,)
        )
        return [_entry_adapter.validate_json(entry) for (entry,) in rows]

    def mark_published(self, through_seq: int) -> None:
        # Not flushed to disk on its own (the next commit flushes it): losing it to a power cut
        # only publishes those entries again, which the publisher takes idempotently, while a
        # flush here would cost the room a disk sync per publish.
        self._conn.execute("PRAGMA synchronous=NORMAL")
        try:
            self._conn.execute("DELETE FROM outbox WHERE seq <= ?", (through_seq,))
        finally:
            self._conn.execute(f"PRAGMA synchronous={self._sync}")

    def close(self) -> None:
        self._conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE … COMMIT; any failure rolls back, so a failed commit leaves no trace
        and the host can rebuild the room from what is stored."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            self._conn.execute("COMMIT")
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise


class SqliteRoomFolder:
    """Opens the storage of a room by conversation id: `<folder>/<id>.room.sqlite`."""

    def __init__(self, folder: Path, *, busy_timeout_s: float = 5.0, sync: Sync = "full") -> None:
        self.folder = folder
        self._busy_timeout_s = busy_timeout_s
        self._sync: Sync = sync

    def open(self, conversation_id: str) -> SqliteRoomStorage:
        path = self._path(conversation_id)
        self.folder.mkdir(parents=True, exist_ok=True)
        return SqliteRoomStorage(path, busy_timeout_s=self._busy_timeout_s, sync=self._sync)

    def exists(self, conversation_id: str) -> bool:
        return self._path(conversation_id).exists()

    def delete(self, conversation_id: str) -> bool:
        """The room's file and its WAL and shared-memory siblings."""
        path = self._path(conversation_id)
        existed = path.exists()
        for sibling in (
            path,
            path.with_name(path.name + "-wal"),
            path.with_name(path.name + "-shm"),
        ):
            sibling.unlink(missing_ok=True)
        return existed

    def _path(self, conversation_id: str) -> Path:
        if _SAFE_ID.fullmatch(conversation_id) is None:
            raise ValueError(f"not a conversation id: {conversation_id!r}")
        return self.folder / f"{conversation_id}{SUFFIX}"

    def conversation_ids(self) -> Iterator[str]:
        """Every room stored in the folder."""
        if self.folder.is_dir():
            for path in sorted(self.folder.glob(f"*{SUFFIX}")):
                yield path.name.removesuffix(SUFFIX)
