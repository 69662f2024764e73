"""Doubles of a Durable Object's state and of its hibernatable WebSockets, for CPython tests.

They reproduce what Python code inside a Durable Object sees (Cloudflare's Durable Object
storage and WebSocket hibernation APIs; `workers-runtime-sdk` 1.9.5 wraps `ctx.storage` so
that arguments and results convert like other bindings):

- `ctx.storage.sql.exec(query, *bindings)` runs one statement at once and returns a cursor:
  `toArray()` (rows as dicts), `one()` (exactly one row, else an error), `raw()`,
  `columnNames`, `rowsRead`, `rowsWritten`, iteration. Numbers come back as JS numbers do
  (integral → `int`), `null` as `None`. Real SQLite runs underneath, with the object's rules:
  no `BEGIN`/`COMMIT`/`SAVEPOINT` (use `transactionSync`), no PRAGMA outside D1's documented set,
  at most 100 bound parameters, 100 KB statements, 2 MB rows.
- `ctx.storage.transactionSync(fn)` runs `fn` atomically: rolled back if it raises.
- `ctx.storage.getAlarm()`, `setAlarm(ms)`, `deleteAlarm()` (async): one alarm per object;
  the runtime unsets it as it calls the object's `alarm()` (`take_alarm` here).
- `ctx.acceptWebSocket(ws)` and `ctx.getWebSockets()`: the sockets outlive the object's
  instance, which is how hibernation is simulated — drop the host, build a new one on the same
  state.
- A WebSocket: `send(text)` (an error once closed), `close(code, reason)`, `readyState`,
  `serializeAttachment(value)` (structured-cloneable values only — a Python dict would reach JS
  as a proxy and fail — at most 2,048 bytes) and `deserializeAttachment()` (`None` if unset).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

MAX_PARAMS = 100
MAX_STATEMENT_BYTES = 100_000
MAX_ROW_BYTES = 2_000_000
MAX_ATTACHMENT_BYTES = 2048
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
    sqlite3.SQLITE_TRANSACTION: "use ctx.storage.transactionSync() instead of BEGIN/COMMIT",
    sqlite3.SQLITE_SAVEPOINT: "use ctx.storage.transactionSync() instead of SAVEPOINT",
    sqlite3.SQLITE_ATTACH: "ATTACH is not allowed",
    sqlite3.SQLITE_DETACH: "DETACH is not allowed",
}
CONNECTING, OPEN, CLOSING, CLOSED = 0, 1, 2, 3


class JsObject(dict[str, Any]):
    """A JS object as the SDK converts it: a dict whose keys also read as attributes."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class FakeJsException(Exception):
    """What Pyodide raises for a JS error (`pyodide.ffi.JsException`)."""

    def __init__(self, message: str, name: str = "Error") -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


def _js_value(value: Any) -> Any:
    if isinstance(value, tuple | bytearray):
        raise TypeError(f"{type(value)} cannot be sent over RPC.")
    if value is None or isinstance(value, bool | int | float | str | bytes):
        return value
    raise FakeJsException(f"Type '{type(value).__name__}' not supported for value {value!r}")


def _row_value(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        as_double = float(value)
        return int(as_double) if as_double.is_integer() else as_double
    if isinstance(value, bytes):
        raise NotImplementedError("BLOB results are not part of the recorded shapes")
    return value


class FakeSqlCursor:
    def __init__(self, columns: list[str], rows: list[tuple[Any, ...]], written: int) -> None:
        self.columnNames = columns
        self._rows = [JsObject(zip(columns, map(_row_value, row), strict=True)) for row in rows]
        self.rowsRead = len(rows)
        self.rowsWritten = written

    def toArray(self) -> list[JsObject]:
        return list(self._rows)

    def one(self) -> JsObject:
        if len(self._rows) != 1:
            got = "no results" if not self._rows else "more than one row"
            raise FakeJsException(f"Expected exactly one result from SQL query, but got {got}.")
        return self._rows[0]

    def raw(self) -> Iterator[list[Any]]:
        return iter([list(row.values()) for row in self._rows])

    def __iter__(self) -> Iterator[JsObject]:
        return iter(list(self._rows))


class FakeSqlStorage:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._refusal: str | None = None
        self.internal = False
        conn.set_authorizer(self._authorize)

    def exec(self, query: str, *bindings: Any) -> FakeSqlCursor:
        values = tuple(_js_value(value) for value in bindings)
        self._refusal = None
        before = self._conn.total_changes
        try:
            cursor = self._conn.execute(query, values)
            rows = cursor.fetchall()
        except sqlite3.Error as exc:
            raise FakeJsException(f"{self._refusal or exc}: SQLITE_ERROR") from None
        columns = [d[0] for d in cursor.description or ()]
        return FakeSqlCursor(columns, rows, self._conn.total_changes - before)

    def _authorize(self, action: int, arg1: Any, arg2: Any, db: Any, source: Any) -> int:
        if self.internal:
            return sqlite3.SQLITE_OK
        refusal = _REFUSED.get(action)
        if action == sqlite3.SQLITE_PRAGMA and arg1 not in _PRAGMAS:
            refusal = f"PRAGMA {arg1} is not allowed"
        if refusal is None:
            return sqlite3.SQLITE_OK
        self._refusal = refusal
        return sqlite3.SQLITE_DENY


class FakeDurableObjectStorage:
    def __init__(self, path: Path | str = ":memory:") -> None:
        self._conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, MAX_PARAMS)
        self._conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, MAX_STATEMENT_BYTES)
        self._conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_ROW_BYTES)
        self.sql = FakeSqlStorage(self._conn)
        self.alarm: int | None = None
        self._in_transaction = False

    def transactionSync(self, fn: Callable[[], T]) -> T:
        if self._in_transaction:
            raise FakeJsException("nested transactionSync is not part of the recorded shapes")
        self._control("BEGIN")
        self._in_transaction = True
        try:
            result = fn()
        except BaseException:
            self._control("ROLLBACK")
            raise
        finally:
            self._in_transaction = False
        self._control("COMMIT")
        return result

    async def getAlarm(self) -> int | None:
        return self.alarm

    async def setAlarm(self, scheduled_ms: int | float) -> None:
        _js_value(scheduled_ms)
        self.alarm = int(scheduled_ms)

    async def deleteAlarm(self) -> None:
        self.alarm = None

    async def deleteAll(self) -> None:
        """What a SQLite-backed object's `deleteAll()` does: every table (and so every row the
        object's SQL wrote) is gone; the alarm is not touched (`deleteAlarm` is separate)."""
        self.sql.internal = True
        try:
            names = [
                name
                for (name,) in self._conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%'"
                )
            ]
            for name in names:
                self._conn.execute(f'DROP TABLE IF EXISTS "{name}"')
            self._conn.execute("VACUUM")
        finally:
            self.sql.internal = False

    def take_alarm(self) -> int:
        """What the runtime does as it calls `alarm()`: the due alarm is unset (a handler that
        wants another one sets it). Returns when it was due."""
        due = self.alarm
        if due is None:
            raise AssertionError("no alarm is set")
        self.alarm = None
        return due

    def _control(self, statement: str) -> None:
        self.sql.internal = True
        try:
            self._conn.execute(statement)
        finally:
            self.sql.internal = False

    def close(self) -> None:
        self._conn.close()


class FakeWebSocket:
    """The server side of a WebSocket pair, as a Durable Object holds it."""

    def __init__(self) -> None:
        self.readyState = OPEN
        self.sent: list[str] = []
        self.close_code: int | None = None
        self.close_reason: str | None = None
        self.fail_sends = False
        self._attachment: Any = None

    def send(self, message: str) -> None:
        if not isinstance(message, str | bytes):
            raise FakeJsException("send() takes a string or an ArrayBuffer", "TypeError")
        if self.readyState != OPEN or self.fail_sends:
            raise FakeJsException("Can't call WebSocket send() after close().", "TypeError")
        self.sent.append(message)

    def close(self, code: int = 1000, reason: str = "") -> None:
        if self.readyState == CLOSED:
            raise FakeJsException("WebSocket already closed", "TypeError")
        self.readyState = CLOSED
        self.close_code, self.close_reason = code, reason

    def serializeAttachment(self, value: Any) -> None:
        if not (value is None or isinstance(value, str | int | float | bool)):
            raise FakeJsException("could not be cloned", "DataCloneError")
        if len(json.dumps(value).encode()) > MAX_ATTACHMENT_BYTES:
            raise FakeJsException("attachment over 2048 bytes", "RangeError")
        self._attachment = value

    def deserializeAttachment(self) -> Any:
        return self._attachment

    def frames(self) -> list[dict[str, Any]]:
        """What the client received, decoded."""
        return [json.loads(text) for text in self.sent]


class FakeDurableObjectState:
    """`ctx` of a SQLite-backed Durable Object."""

    def __init__(self, path: Path | str = ":memory:") -> None:
        self.storage = FakeDurableObjectStorage(path)
        self._sockets: list[FakeWebSocket] = []

    def acceptWebSocket(self, ws: FakeWebSocket, tags: list[str] | None = None) -> None:
        if ws in self._sockets:
            raise FakeJsException("WebSocket already accepted", "TypeError")
        self._sockets.append(ws)

    def getWebSockets(self, tag: str | None = None) -> list[FakeWebSocket]:
        return [ws for ws in self._sockets if ws.readyState != CLOSED]
