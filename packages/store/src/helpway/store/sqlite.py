"""Local `Database` adapter on the standard library's sqlite3 (the stand-in for D1)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from .database import Params, Row, Statement


class SqliteDatabase:
    """One connection, used from one event loop; statements are short, so they run inline.

    WAL mode lets the CLI read while the local edge writes. `secure_delete` overwrites what a
    delete frees, so an erased visitor's messages do not linger in the file's free pages.
    """

    def __init__(self, path: Path | str) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.execute("PRAGMA secure_delete=ON")

    async def all(self, sql: str, params: Params = ()) -> list[Row]:
        return [dict(row) for row in self._conn.execute(sql, tuple(params)).fetchall()]

    async def first(self, sql: str, params: Params = ()) -> Row | None:
        row = self._conn.execute(sql, tuple(params)).fetchone()
        return None if row is None else dict(row)

    async def run(self, sql: str, params: Params = ()) -> int:
        return self._conn.execute(sql, tuple(params)).rowcount

    async def batch(self, statements: Sequence[Statement]) -> None:
        self._conn.execute("BEGIN")
        try:
            for sql, params in statements:
                self._conn.execute(sql, tuple(params))
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def close(self) -> None:
        self._conn.close()
