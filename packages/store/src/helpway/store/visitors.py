"""Visitors: anonymous people chatting through a site's widget, known by a bearer token.

A token is short-lived: it expires `TOKEN_TTL_MS` after the visitor was last active (a session
or a socket join pushes it back), so a copy taken from a browser is useless once that browser
stops using it. Within `REFRESH_WINDOW_MS` after expiry the visitor session still recognises it
and renews it — a new token, the old one dead at once, so a replayed old token fails — and the
visitor keeps their conversation.
"""

from __future__ import annotations

from dataclasses import dataclass

from helpway.shared import frames

from .database import Database, Row
from .ids import hash_token, new_id, new_token, now_ms

TOKEN_TTL_MS = 24 * 60 * 60 * 1000
REFRESH_WINDOW_MS = 30 * 24 * 60 * 60 * 1000
_EXTEND = "UPDATE visitors SET token_expires_at = ? WHERE id = ?"


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
    # When the current token expires (Unix ms); None for rows older than expiry.
    token_expires_at: int | None = None
    # What the browser says of itself: its IANA time zone and its User-Agent header.
    time_zone: str | None = None
    user_agent: str | None = None
    # The e-mail the visitor left for the team to reply to (outside business hours).
    email: str | None = None

    def token_live(self, now: int) -> bool:
        return self.token_expires_at is None or self.token_expires_at > now

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
            token_expires_at=row["token_expires_at"],
            time_zone=row["time_zone"],
            user_agent=row["user_agent"],
            email=row["email"],
        )


async def create_visitor(
    db: Database,
    site_id: str,
    *,
    locale: str | None = None,
    page_url: str | None = None,
    user_id: str | None = None,
    time_zone: str | None = None,
    user_agent: str | None = None,
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
        token_expires_at=now + TOKEN_TTL_MS,
        time_zone=time_zone,
        user_agent=user_agent,
    )
    await db.run(
        "INSERT INTO visitors (id, site_id, token_hash, name, locale, page_url, created_at, "
        "last_seen_at, user_id, token_expires_at, time_zone, user_agent) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
            visitor.token_expires_at,
            time_zone,
            user_agent,
        ),
    )
    return visitor, token


async def resolve_visitor(
    db: Database, token: str, *, now: int | None = None, grace_ms: int = 0
) -> Visitor | None:
    """The visitor a live token belongs to, or None. `grace_ms` also accepts a token expired
    that long ago (the session's refresh window). Callers check `site_id` against the request."""
    row = await db.first("SELECT * FROM visitors WHERE token_hash = ?", (hash_token(token),))
    if row is None:
        return None
    visitor = Visitor.from_row(row)
    return visitor if visitor.token_live((now_ms() if now is None else now) - grace_ms) else None


async def renew_token(db: Database, visitor: Visitor, token: str, *, now: int | None = None) -> str:
    """Push the expiry of a live token back, or replace an expired one; returns the token the
    visitor holds from now on."""
    now = now_ms() if now is None else now
    if visitor.token_live(now):
        await db.run(_EXTEND, (now + TOKEN_TTL_MS, visitor.id))
        return token
    fresh = new_token()
    await db.run(
        "UPDATE visitors SET token_hash = ?, token_expires_at = ? WHERE id = ? AND token_hash = ?",
        (hash_token(fresh), now + TOKEN_TTL_MS, visitor.id, hash_token(token)),
    )
    return fresh


async def keep_alive(db: Database, visitor: Visitor, *, now: int | None = None) -> None:
    """An active visitor's token stays live: push its expiry back once half of it is spent
    (so a busy visitor costs a write a half-day at most, not one per socket join)."""
    now = now_ms() if now is None else now
    expires = visitor.token_expires_at
    if expires is None or expires - now < TOKEN_TTL_MS // 2:
        await db.run(_EXTEND, (now + TOKEN_TTL_MS, visitor.id))


async def get_visitor(db: Database, visitor_id: str) -> Visitor | None:
    row = await db.first("SELECT * FROM visitors WHERE id = ?", (visitor_id,))
    return None if row is None else Visitor.from_row(row)


async def touch_visitor(
    db: Database,
    visitor_id: str,
    *,
    page_url: str | None = None,
    locale: str | None = None,
    time_zone: str | None = None,
    user_agent: str | None = None,
    now: int | None = None,
) -> None:
    """Record that the visitor came back; a given page, locale, time zone or user agent
    replaces the stored one."""
    await db.run(
        "UPDATE visitors SET last_seen_at = MAX(last_seen_at, ?), "
        "page_url = COALESCE(?, page_url), locale = COALESCE(?, locale), "
        "time_zone = COALESCE(?, time_zone), user_agent = COALESCE(?, user_agent) WHERE id = ?",
        (now_ms() if now is None else now, page_url, locale, time_zone, user_agent, visitor_id),
    )


async def set_email(db: Database, visitor_id: str, email: str, *, now: int | None = None) -> None:
    """Keep the e-mail the visitor left (a later one replaces it), for agents to reply to."""
    await db.run(
        "UPDATE visitors SET email = ?, email_at = ? WHERE id = ?",
        (email, now_ms() if now is None else now, visitor_id),
    )
