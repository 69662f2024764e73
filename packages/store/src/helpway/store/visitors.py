"""Visitors: anonymous people chatting through a site's widget, known by a bearer token."""

from __future__ import annotations

from dataclasses import dataclass

from helpway.shared import frames

from .database import Database, Row
from .ids import hash_token, new_id, new_token, now_ms


@dataclass(frozen=True)
class Visitor:
    id: str
    site_id: str
    name: str
    locale: str | None
    page_url: str | None
    created_at: int
    last_seen_at: int
    # The site's user this visitor proved to be (identity verification), else None.
    user_id: str | None = None

    def author(self) -> frames.Author:
        """The visitor as it appears on messages and in rooms."""
        return frames.Author(id=self.id, role="visitor", name=self.name)

    @classmethod
    def from_row(cls, row: Row) -> Visitor:
        return cls(
            id=row["id"],
            site_id=row["site_id"],
            name=row["name"],
            locale=row["locale"],
            page_url=row["page_url"],
            created_at=row["created_at"],
            last_seen_at=row["last_seen_at"],
            user_id=row["user_id"],
        )


async def create_visitor(
    db: Database,
    site_id: str,
    *,
    locale: str | None = None,
    page_url: str | None = None,
    user_id: str | None = None,
    now: int | None = None,
) -> tuple[Visitor, str]:
    """Create a visitor; returns it with its token (given to the widget once, stored hashed).
    `user_id` is a verified user of the site (callers verify it first).

    Agents tell visitors apart by name, so each gets a short handle drawn from its id."""
    now = now_ms() if now is None else now
    visitor_id = new_id()
    token = new_token()
    visitor = Visitor(
        id=visitor_id,
        site_id=site_id,
        name=f"Visitor {visitor_id[:6]}",
        locale=locale,
        page_url=page_url,
        created_at=now,
        last_seen_at=now,
        user_id=user_id,
    )
    await db.run(
        "INSERT INTO visitors (id, site_id, token_hash, name, locale, page_url, created_at, "
        "last_seen_at, user_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            visitor.id,
            site_id,
            hash_token(token),
            visitor.name,
            locale,
            page_url,
            now,
            now,
            user_id,
        ),
    )
    return visitor, token


async def resolve_visitor(db: Database, token: str) -> Visitor | None:
    """The visitor a token belongs to, or None. Callers check `site_id` against the request."""
    row = await db.first("SELECT * FROM visitors WHERE token_hash = ?", (hash_token(token),))
    return None if row is None else Visitor.from_row(row)


async def get_visitor(db: Database, visitor_id: str) -> Visitor | None:
    row = await db.first("SELECT * FROM visitors WHERE id = ?", (visitor_id,))
    return None if row is None else Visitor.from_row(row)


async def touch_visitor(
    db: Database,
    visitor_id: str,
    *,
    page_url: str | None = None,
    locale: str | None = None,
    now: int | None = None,
) -> None:
    """Record that the visitor came back; a given page or locale replaces the stored one."""
    await db.run(
        "UPDATE visitors SET last_seen_at = MAX(last_seen_at, ?), "
        "page_url = COALESCE(?, page_url), locale = COALESCE(?, locale) WHERE id = ?",
        (now_ms() if now is None else now, page_url, locale, visitor_id),
    )
