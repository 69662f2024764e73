from __future__ import annotations

from pathlib import Path

from helpway.store.migrate import MIGRATIONS_DIR, _statements, apply_migrations
from helpway.store.sqlite import SqliteDatabase


async def test_migrations_apply_once_then_are_a_no_op(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "d1.sqlite")
    first = await apply_migrations(db)
    assert "0001_chat.sql" in first
    assert await apply_migrations(db) == []
    tables = {
        row["name"] for row in await db.all("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    assert {
        "sites",
        "agents",
        "site_agents",
        "agent_sessions",
        "visitors",
        "conversations",
        "messages",
    } <= tables
    recorded = [row["name"] for row in await db.all("SELECT name FROM d1_migrations ORDER BY id")]
    assert recorded == first
    db.close()


async def test_reopened_database_keeps_its_applied_migrations(tmp_path: Path) -> None:
    path = tmp_path / "d1.sqlite"
    db = SqliteDatabase(path)
    await apply_migrations(db)
    db.close()
    again = SqliteDatabase(path)
    assert await apply_migrations(again) == []
    again.close()


def test_chat_migration_is_d1_safe() -> None:
    """D1 refuses PRAGMA, ATTACH and explicit transactions inside a migration."""
    script = (MIGRATIONS_DIR / "0001_chat.sql").read_text()
    for statement in _statements(script):
        head = statement.lstrip().split(None, 1)[0].upper()
        assert head in {"CREATE"}, statement
