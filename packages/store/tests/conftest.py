from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from helpway.store.cloudflare.d1 import D1Database
from helpway.store.cloudflare.testing import FakeD1
from helpway.store.database import Database
from helpway.store.migrate import apply_migrations
from helpway.store.sqlite import SqliteDatabase


@pytest.fixture(params=["sqlite", "d1"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated database in a temporary file: the local SQLite adapter (WAL and foreign keys
    on, as in the edge), and the D1 adapter over a D1 double with D1's shapes and limits."""
    database: Database
    close: Callable[[], None]
    if request.param == "sqlite":
        database = local = SqliteDatabase(tmp_path / "d1.sqlite")
        close = local.close
    else:
        binding = FakeD1(tmp_path / "d1.sqlite")
        database, close = D1Database(binding), binding.close
    await apply_migrations(database)
    yield database
    close()
