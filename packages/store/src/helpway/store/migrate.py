"""Apply the SQL migrations in `migrations/` to a local database, as wrangler does for D1.

The same files are applied to D1 by `wrangler d1 migrations apply`; locally we record applied
names in the same `d1_migrations` table so both tools agree on what has run.
"""

from __future__ import annotations

import time
from pathlib import Path

from .database import Database, Statement

MIGRATIONS_DIR = Path(__file__).resolve().parents[3] / "migrations"


def _statements(script: str) -> list[str]:
    """Split a migration into statements, keeping `BEGIN ... END;` trigger bodies whole."""
    out: list[str] = []
    current: list[str] = []
    depth = 0
    for line in script.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("--"):
            continue
        current.append(line)
        upper = stripped.upper()
        if upper.endswith("BEGIN"):
            depth += 1
        if upper.startswith("END") and upper.endswith(";"):
            depth -= 1
        if depth == 0 and stripped.endswith(";"):
            out.append("\n".join(current))
            current = []
    if current:
        out.append("\n".join(current))
    return out


async def apply_migrations(db: Database, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply every migration not yet applied, in name order; returns the names applied."""
    await db.run(
        "CREATE TABLE IF NOT EXISTS d1_migrations ("
        "id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, "
        "applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)"
    )
    done = {row["name"] for row in await db.all("SELECT name FROM d1_migrations")}
    applied: list[str] = []
    for path in sorted(directory.glob("*.sql")):  # noqa: ASYNC240 - a handful of small files
        if path.name in done:
            continue
        statements: list[Statement] = [(sql, ()) for sql in _statements(path.read_text())]
        statements.append(
            (
                "INSERT INTO d1_migrations (name, applied_at) VALUES (?, ?)",
                (path.name, time.strftime("%Y-%m-%d %H:%M:%S")),
            )
        )
        await db.batch(statements)
        applied.append(path.name)
    return applied
