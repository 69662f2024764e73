"""The `Database` port: the small async SQL surface shared by D1 and local SQLite.

It mirrors D1's prepared statements (`all`, `first`, `run`, `batch`) so that the Cloudflare
adapter is a thin translation and repository code is written once. Parameters are positional
(`?`), rows come back as plain dicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

Row = dict[str, Any]
Params = Sequence[Any]
Statement = tuple[str, Params]


class Database(Protocol):
    async def all(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row the statement returns."""
        ...

    async def first(self, sql: str, params: Params = ()) -> Row | None:
        """The first row, or None."""
        ...

    async def run(self, sql: str, params: Params = ()) -> int:
        """Execute a write; returns the number of rows changed."""
        ...

    async def batch(self, statements: Sequence[Statement]) -> None:
        """Execute statements atomically, as D1's `batch` does: all or nothing."""
        ...
