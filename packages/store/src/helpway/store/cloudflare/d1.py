"""The `Database` port on a D1 binding (`env.DB` as the Python Workers SDK hands it out).

The SDK wraps D1 so that calls take Python values and results come back converted: a result is
a dict with attribute access (`.results`, `.meta`), rows are dicts, JS `null` is `None` and JS
numbers are `int` when integral. This adapter only translates between that shape and the
port's: positional parameters become `bind(*params)` (each one null, a number, a string, a
boolean or bytes, as D1 accepts), rows become plain dicts, `run` reports `meta.changes`. D1 has
no explicit transactions, so `batch` is the one atomic unit, exactly as the port promises.

Limits a caller must respect (the repositories do): at most 100 bound parameters and 100 KB per
statement, 2 MB per row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..database import Params, Row, Statement


class D1Database:
    def __init__(self, binding: Any) -> None:
        self._binding = binding

    async def all(self, sql: str, params: Params = ()) -> list[Row]:
        result = await self._statement(sql, params).all()
        return [dict(row) for row in result.results]

    async def first(self, sql: str, params: Params = ()) -> Row | None:
        row = await self._statement(sql, params).first()
        return None if row is None else dict(row)

    async def run(self, sql: str, params: Params = ()) -> int:
        result = await self._statement(sql, params).run()
        return int(result.meta.changes)

    async def batch(self, statements: Sequence[Statement]) -> None:
        if statements:
            await self._binding.batch([self._statement(sql, params) for sql, params in statements])

    def _statement(self, sql: str, params: Params) -> Any:
        statement = self._binding.prepare(sql)
        return statement.bind(*params) if params else statement
