from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from helpway.store.migrate import apply_migrations
from helpway.store.sqlite import SqliteDatabase


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[SqliteDatabase]:
    """A migrated database in a temporary file (WAL and foreign keys on, as in the edge)."""
    database = SqliteDatabase(tmp_path / "d1.sqlite")
    await apply_migrations(database)
    yield database
    database.close()
