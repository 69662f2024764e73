"""A D1 binding double for CPython tests: real SQLite underneath, D1's JS shapes on top.

What it reproduces is what a Python Worker sees through the SDK's binding wrapper (documented
in Cloudflare's D1 client API and read from `workers-runtime-sdk` 1.9.5, `workers/rpc.py`):

- `prepare(sql)` → statement; `.bind(*values)` → a new bound statement; `await .all()`,
  `.first(column=None)`, `.run()`, `.raw()`; `await db.batch([statements])`, atomic.
- Results are dicts with attribute access (the SDK's `JsDict`): `.results`, `.success`, `.meta`
  (`changes`, `last_row_id`, `changed_db`, `rows_read`, `rows_written`, ...). A JS `null` is
  `None`; every number is a JS double, so an integral REAL comes back as `int`.
- Values crossing into JS: `None`, `bool`, `int` (safe integers only: larger ones become
  BigInt, which D1 refuses), `float`, `str`, `bytes`. The SDK refuses tuples and bytearrays
  with `TypeError`; D1 refuses anything else with `D1_TYPE_ERROR`.
- D1's own rules, enforced by SQLite itself: at most 100 bound parameters and 100 KB per
  statement, rows up to 2 MB, foreign keys on, and no transaction statements (`BEGIN`,
  `COMMIT`, `SAVEPOINT`, ...), `ATTACH` or PRAGMAs outside those D1 documents — `batch` is the
  only transaction.
- Failures surface as `FakeJsException` (Pyodide raises `JsException` for a rejected promise)
  with D1's message prefixes.

Not reproduced: BLOB results (no Helpway table stores blobs, and their JS shape is not part of
what was recorded), network latency, D1's read replicas.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

MAX_PARAMS = 100
MAX_STATEMENT_BYTES = 100_000
MAX_ROW_BYTES = 2_000_000
MAX_SAFE_INTEGER = 2**53 - 1
# The PRAGMAs D1 documents as supported (SQLite runs some itself: FTS5 reads data_version,
# ALTER TABLE ... ADD COLUMN with a CHECK runs quick_check).
_PRAGMAS = {
    "table_list",
    "table_info",
    "table_xinfo",
    "index_list",
    "index_info",
    "index_xinfo",
    "foreign_key_list",
    "foreign_key_check",
    "quick_check",
    "defer_foreign_keys",
    "case_sensitive_like",
    "ignore_check_constraints",
    "legacy_alter_table",
    "recursive_triggers",
    "reverse_unordered_selects",
    "optimize",
    "data_version",
}
_REFUSED = {
    sqlite3.SQLITE_TRANSACTION: "transaction statements are not supported: use batch()",
    sqlite3.SQLITE_SAVEPOINT: "savepoints are not supported: use batch()",
    sqlite3.SQLITE_ATTACH: "ATTACH is not supported",
    sqlite3.SQLITE_DETACH: "DETACH is not supported",
}


class JsObject(dict[str, Any]):
    """A JS object as the SDK converts it: a dict whose keys also read as attributes."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class FakeJsException(Exception):
    """What Pyodide raises when a JS promise rejects (`pyodide.ffi.JsException`)."""

    def __init__(self, message: str, name: str = "Error") -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


def to_js_value(value: Any) -> Any:
    """A Python argument as the SDK's `python_to_rpc` would pass it, or the error it raises."""
    if isinstance(value, tuple | bytearray):
        raise TypeError(f"{type(value)} cannot be sent over RPC.")
    return value


def from_js_number(value: int | float) -> int | float:
    """A JS number as Pyodide converts it: integral doubles become `int`."""
    as_double = float(value)
    return int(as_double) if as_double.is_integer() else as_double


def _d1_value(value: Any) -> Any:
    value = to_js_value(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SAFE_INTEGER:
        raise FakeJsException(f"D1_TYPE_ERROR: Type 'bigint' not supported for value '{value}'")
    if value is None or isinstance(value, bool | int | float | str | bytes):
        return value
    raise FakeJsException(
        f"D1_TYPE_ERROR: Type '{type(value).__name__}' not supported for value '{value!r}'"
    )


def _result_value(value: Any) -> Any:
    if isinstance(value, bytes):
        raise NotImplementedError("BLOB results are not part of the recorded D1 shapes")
    if isinstance(value, int | float):
        return from_js_number(value)
    return value


class FakeD1Statement:
    def __init__(self, db: FakeD1, sql: str, values: tuple[Any, ...] = ()) -> None:
        self._db = db
        self.sql = sql
        self.values = values

    def bind(self, *values: Any) -> FakeD1Statement:
        return FakeD1Statement(self._db, self.sql, tuple(_d1_value(v) for v in values))

    async def all(self) -> JsObject:
        return self._db._execute(self)

    async def run(self) -> JsObject:
        return self._db._execute(self)

    async def first(self, column: str | None = None) -> Any:
        rows = self._db._execute(self).results
        if not rows:
            return None
        if column is None:
            return rows[0]
        if column not in rows[0]:
            raise FakeJsException(f"D1_COLUMN_NOTFOUND: Column not found ({column})")
        return rows[0][column]

    async def raw(self) -> list[list[Any]]:
        return [list(row.values()) for row in self._db._execute(self).results]


class FakeD1:
    """A D1 database double over a SQLite file (or `:memory:`)."""

    def __init__(self, path: Path | str = ":memory:") -> None:
        self._conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, MAX_PARAMS)
        self._conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, MAX_STATEMENT_BYTES)
        self._conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_ROW_BYTES)
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.set_authorizer(self._authorize)
        self._refusal: str | None = None
        self._in_control = False
        self.statements_run = 0

    def prepare(self, sql: str) -> FakeD1Statement:
        if not isinstance(sql, str):
            raise TypeError("prepare() takes the SQL text")
        return FakeD1Statement(self, sql)

    async def batch(self, statements: Sequence[FakeD1Statement]) -> list[JsObject]:
        to_js_value(statements)
        if not statements:
            raise FakeJsException("D1_ERROR: No SQL statements to execute")
        self._control("BEGIN")
        try:
            results = [self._execute(statement) for statement in statements]
        except BaseException:
            self._control("ROLLBACK")
            raise
        self._control("COMMIT")
        return results

    def close(self) -> None:
        self._conn.close()

    def _control(self, sql: str) -> None:
        """The batch's own BEGIN/COMMIT/ROLLBACK, which the authorizer lets through."""
        self._in_control = True
        try:
            self._conn.execute(sql)
        finally:
            self._in_control = False

    def _authorize(self, action: int, arg1: Any, arg2: Any, db: Any, source: Any) -> int:
        if self._in_control:
            return sqlite3.SQLITE_OK
        refusal = _REFUSED.get(action)
        if action == sqlite3.SQLITE_PRAGMA and arg1 not in _PRAGMAS:
            refusal = f"PRAGMA {arg1} is not allowed"
        if refusal is None:
            return sqlite3.SQLITE_OK
        self._refusal = refusal
        return sqlite3.SQLITE_DENY

    def _execute(self, statement: FakeD1Statement) -> JsObject:
        self._refusal = None
        before = self._conn.total_changes
        try:
            cursor = self._conn.execute(statement.sql, statement.values)
            columns = [d[0] for d in cursor.description or ()]
            rows = [
                JsObject(zip(columns, map(_result_value, row), strict=True))
                for row in cursor.fetchall()
            ]
        except sqlite3.Error as exc:
            reason = self._refusal or str(exc)
            raise FakeJsException(f"D1_ERROR: {reason}: SQLITE_ERROR") from None
        self.statements_run += 1
        changes = max(cursor.rowcount, 0)
        meta = JsObject(
            served_by="fake-d1",
            duration=0.25,
            changes=changes,
            last_row_id=cursor.lastrowid or 0,
            changed_db=self._conn.total_changes != before,
            rows_read=len(rows),
            rows_written=changes,
            size_after=4096,
        )
        return JsObject(success=True, meta=meta, results=rows)
