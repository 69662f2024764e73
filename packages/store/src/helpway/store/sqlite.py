"""Local `Database` adapter on the standard library's sqlite3 (the stand-in for D1)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from .database import Params, Row, Statement

T = TypeVar("T")


class SqliteDatabase:
    """One connection, driven by one thread of its own: every statement (and every `batch`, a
    transaction) runs there in the order it was called, while the event loop goes on. A commit
    waits for the disk (the default `synchronous=FULL`: what D1 has, it keeps), and the local
    edge must not stop serving every socket meanwhile, as D1 on Cloudflare is a request away
    and never stalls a Worker either.

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
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-db")

    async def all(self, sql: str, params: Params = ()) -> list[Row]:
        def run() -> list[Row]:
            return [dict(row) for row in self._conn.execute(sql, tuple(params)).fetchall()]

        return await self._run(run)

    async def first(self, sql: str, params: Params = ()) -> Row | None:
        def run() -> Row | None:
            row = self._conn.execute(sql, tuple(params)).fetchone()
            return None if row is None else dict(row)

        return await self._run(run)

    async def run(self, sql: str, params: Params = ()) -> int:
        return await self._run(lambda: self._conn.execute(sql, tuple(params)).rowcount)

    async def batch(self, statements: Sequence[Statement]) -> None:
        def run() -> None:
            self._conn.execute("BEGIN")
            try:
                for sql, params in statements:
                    self._conn.execute(sql, tuple(params))
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

        await self._run(run)

    async def _run(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn)

    def close(self) -> None:
        """After every statement already called has run."""
        self._thread.shutdown(wait=True)
        self._conn.close()
