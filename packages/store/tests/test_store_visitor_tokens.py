"""Visitor tokens are short-lived: live for a day after the visitor was last active, renewable
(as a new token, the old one dead) within a refresh window after expiry, and dead after it."""

from __future__ import annotations

from helpway.store import sites, visitors
from helpway.store.database import Database
from helpway.store.visitors import REFRESH_WINDOW_MS, TOKEN_TTL_MS


async def test_token_expires_and_renews_as_a_new_token(db: Database) -> None:
    await sites.create_site(db, name="Shop", site_id="shop")
    visitor, token = await visitors.create_visitor(db, "shop", now=0)
    assert await visitors.resolve_visitor(db, token, now=TOKEN_TTL_MS - 1) is not None
    assert await visitors.resolve_visitor(db, token, now=TOKEN_TTL_MS) is None

    later = TOKEN_TTL_MS + 1000
    expired = await visitors.resolve_visitor(db, token, now=later, grace_ms=REFRESH_WINDOW_MS)
    assert expired is not None and expired.id == visitor.id
    fresh = await visitors.renew_token(db, expired, token, now=later)
    assert fresh != token
    assert await visitors.resolve_visitor(db, token, now=later, grace_ms=REFRESH_WINDOW_MS) is None
    renewed = await visitors.resolve_visitor(db, fresh, now=later + TOKEN_TTL_MS - 1)
    assert renewed is not None and renewed.id == visitor.id


async def test_live_token_is_kept_and_pushed_back(db: Database) -> None:
    await sites.create_site(db, name="Shop", site_id="shop")
    visitor, token = await visitors.create_visitor(db, "shop", now=0)
    assert await visitors.renew_token(db, visitor, token, now=1000) == token
    extended = await visitors.resolve_visitor(db, token, now=TOKEN_TTL_MS + 500)
    assert extended is not None and extended.token_expires_at == 1000 + TOKEN_TTL_MS

    # Socket joins push it back only once half of it is spent.
    await visitors.keep_alive(db, extended, now=2000)
    same = await visitors.resolve_visitor(db, token, now=2000)
    assert same is not None and same.token_expires_at == 1000 + TOKEN_TTL_MS
    half_spent = 1000 + TOKEN_TTL_MS // 2 + 1
    await visitors.keep_alive(db, same, now=half_spent)
    pushed = await visitors.resolve_visitor(db, token, now=half_spent)
    assert pushed is not None and pushed.token_expires_at == half_spent + TOKEN_TTL_MS


async def test_token_past_the_refresh_window_is_dead(db: Database) -> None:
    await sites.create_site(db, name="Shop", site_id="shop")
    _, token = await visitors.create_visitor(db, "shop", now=0)
    too_late = TOKEN_TTL_MS + REFRESH_WINDOW_MS
    assert (
        await visitors.resolve_visitor(db, token, now=too_late, grace_ms=REFRESH_WINDOW_MS) is None
    )
