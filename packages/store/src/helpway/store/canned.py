"""Canned responses: a site's saved replies, which agents insert in the composer by shortcut.

A shortcut is unique per site (`Conflict` otherwise) and stored without its slash: the console
offers the reply whose shortcut starts with what follows a typed "/".
"""

from __future__ import annotations

from dataclasses import dataclass

from .database import Database, Row
from .errors import Conflict
from .ids import new_id, now_ms

_COLUMNS = "id, site_id, shortcut, title, text, created_at, updated_at"


@dataclass(frozen=True)
class CannedResponse:
    id: str
    site_id: str
    shortcut: str
    title: str
    text: str
    created_at: int
    updated_at: int

    @classmethod
    def from_row(cls, row: Row) -> CannedResponse:
        return cls(**{name: row[name] for name in _COLUMNS.split(", ")})


async def _check_free(db: Database, site_id: str, shortcut: str, canned_id: str = "") -> None:
    """Raise `Conflict` if another response of the site has this shortcut."""
    taken = await db.first(
        "SELECT 1 FROM canned_responses WHERE site_id = ? AND shortcut = ? AND id != ?",
        (site_id, shortcut, canned_id),
    )
    if taken is not None:
        raise Conflict(f"shortcut /{shortcut} is taken on this site")


async def list_canned(db: Database, site_id: str) -> list[CannedResponse]:
    rows = await db.all(
        f"SELECT {_COLUMNS} FROM canned_responses WHERE site_id = ? ORDER BY shortcut",
        (site_id,),
    )
    return [CannedResponse.from_row(row) for row in rows]


async def create_canned(
    db: Database, site_id: str, shortcut: str, title: str, text: str, *, now: int | None = None
) -> CannedResponse:
    now = now_ms() if now is None else now
    made = CannedResponse(new_id(), site_id, shortcut, title, text, now, now)
    await _check_free(db, site_id, shortcut)
    await db.run(
        f"INSERT INTO canned_responses ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (made.id, site_id, shortcut, title, text, now, now),
    )
    return made


async def update_canned(
    db: Database,
    site_id: str,
    canned_id: str,
    shortcut: str,
    title: str,
    text: str,
    *,
    now: int | None = None,
) -> CannedResponse | None:
    """Replace a response of the site; None if the site has no response with that id."""
    now = now_ms() if now is None else now
    await _check_free(db, site_id, shortcut, canned_id)
    changed = await db.run(
        "UPDATE canned_responses SET shortcut = ?, title = ?, text = ?, updated_at = ? "
        "WHERE id = ? AND site_id = ?",
        (shortcut, title, text, now, canned_id, site_id),
    )
    if not changed:
        return None
    row = await db.first(f"SELECT {_COLUMNS} FROM canned_responses WHERE id = ?", (canned_id,))
    return None if row is None else CannedResponse.from_row(row)


async def delete_canned(db: Database, site_id: str, canned_id: str) -> bool:
    changed = await db.run(
        "DELETE FROM canned_responses WHERE id = ? AND site_id = ?", (canned_id, site_id)
    )
    return changed > 0
