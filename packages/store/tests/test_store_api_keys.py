"""API keys: shown once, stored hashed, scoped to one site, revocable at once."""

from __future__ import annotations

import pytest

from helpway.store import api_keys, sites
from helpway.store.database import Database


async def test_key_is_hashed_scoped_and_revocable(db: Database) -> None:
    await sites.create_site(db, name="Shop", site_id="shop")
    key, secret = await api_keys.create_api_key(db, "shop", "ci", ["kb:write", "kb:read"])
    assert secret.startswith("hwk_") and api_keys.is_api_key(secret)
    assert key.scopes == ("kb:read", "kb:write")
    stored = await db.all("SELECT * FROM api_keys")
    assert secret not in str(stored)  # only the hash is kept
    resolved = await api_keys.resolve_api_key(db, secret)
    assert resolved is not None and resolved.id == key.id and resolved.site_id == "shop"
    assert await api_keys.resolve_api_key(db, secret + "x") is None
    assert [k.id for k in await api_keys.list_api_keys(db, "shop")] == [key.id]

    assert await api_keys.revoke_api_key(db, key.id)
    assert await api_keys.resolve_api_key(db, secret) is None
    assert not await api_keys.revoke_api_key(db, key.id)
    [listed] = await api_keys.list_api_keys(db, "shop")
    assert listed.revoked_at is not None


async def test_unknown_or_no_scopes_are_refused(db: Database) -> None:
    await sites.create_site(db, name="Shop", site_id="shop")
    with pytest.raises(ValueError, match="scopes must be"):
        await api_keys.create_api_key(db, "shop", "x", ["everything"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="scopes must be"):
        await api_keys.create_api_key(db, "shop", "x", [])
