"""The local D1 stand-in leaves the event loop free while SQLite waits (a commit's disk sync, a
writer elsewhere holding the lock)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from helpway.store.sqlite import SqliteDatabase


async def test_a_waiting_write_does_not_stop_the_event_loop(tmp_path: Path) -> None:
    path = tmp_path / "d1.sqlite"
    db = SqliteDatabase(path)
    await db.run("CREATE TABLE t (x TEXT)")
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer (the CLI, say) holds the write lock
    write = asyncio.create_task(db.batch([("INSERT INTO t VALUES (?)", ("edge",))]))
    # The loop goes on while the write waits for the lock: this task gets to let the other
    # writer finish. Were the write run on the loop, it would wait for a lock nobody can free.
    await asyncio.sleep(0.05)
    assert not write.done()
    other.execute("INSERT INTO t VALUES ('cli')")
    other.execute("COMMIT")
    await write
    assert await db.all("SELECT x FROM t ORDER BY rowid") == [{"x": "cli"}, {"x": "edge"}]
    other.close()
    db.close()


async def test_statements_run_in_the_order_they_were_called(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "d1.sqlite")
    await db.run("CREATE TABLE t (x INTEGER)")
    await asyncio.gather(*(db.run("INSERT INTO t VALUES (?)", (i,)) for i in range(50)))
    assert [row["x"] for row in await db.all("SELECT x FROM t ORDER BY rowid")] == list(range(50))
    db.close()
