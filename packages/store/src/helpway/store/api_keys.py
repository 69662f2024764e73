"""API keys: a site's credentials for its REST API, each limited to some scopes.

A key is `hwk_` + a random token, shown once when made; the store keeps only its SHA-256 (like
agent sessions), so a leaked table cannot be replayed. Revoking is immediate. The prefix tells
keys apart from agent and visitor tokens at a glance (and to secret scanners).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias, get_args

from helpway.shared.rest import ApiScope

from .database import Database, Row
from .ids import hash_token, new_id, new_token, now_ms

PREFIX = "hwk_"
Scope: TypeAlias = ApiScope  # the REST API's names for what a key may do
SCOPES: tuple[Scope, ...] = get_args(ApiScope)


@dataclass(frozen=True)
class ApiKey:
    id: str
    site_id: str
    name: str
    scopes: tuple[str, ...]
    created_at: int
    revoked_at: int | None

    @classmethod
    def from_row(cls, row: Row) -> ApiKey:
        return cls(
            id=row["id"],
            site_id=row["site_id"],
            name=row["name"],
            scopes=tuple(json.loads(row["scopes"])),
            created_at=row["created_at"],
            revoked_at=row["revoked_at"],
        )


def is_api_key(token: str) -> bool:
    return token.startswith(PREFIX)


async def create_api_key(
    db: Database, site_id: str, name: str, scopes: Sequence[Scope], *, now: int | None = None
) -> tuple[ApiKey, str]:
    """Make a key; returns it with its secret (shown once). Raises ValueError for an unknown
    scope or none at all."""
    unknown = set(scopes) - set(SCOPES)
    if unknown or not scopes:
        raise ValueError(f"scopes must be some of {', '.join(SCOPES)}")
    secret = PREFIX + new_token()
    key = ApiKey(
        id=new_id(),
        site_id=site_id,
        name=name,
        scopes=tuple(sorted(set(scopes))),
        created_at=now_ms() if now is None else now,
        revoked_at=None,
    )
    await db.run(
        "INSERT INTO api_keys (id, site_id, name, key_hash, scopes, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (key.id, site_id, name, hash_token(secret), json.dumps(key.scopes), key.created_at),
    )
    return key, secret


async def resolve_api_key(db: Database, secret: str) -> ApiKey | None:
    """The live key of this secret; None if unknown or revoked."""
    row = await db.first(
        "SELECT * FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL", (hash_token(secret),)
    )
    return None if row is None else ApiKey.from_row(row)


async def list_api_keys(db: Database, site_id: str) -> list[ApiKey]:
    rows = await db.all(
        "SELECT * FROM api_keys WHERE site_id = ? ORDER BY created_at, id", (site_id,)
    )
    return [ApiKey.from_row(row) for row in rows]


async def revoke_api_key(
    db: Database, key_id: str, *, site_id: str | None = None, now: int | None = None
) -> bool:
    """Revoke at once; True if a live key (of `site_id`, when given) was revoked."""
    changed = await db.run(
        "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL "
        "AND site_id = COALESCE(?, site_id)",
        (now_ms() if now is None else now, key_id, site_id),
    )
    return changed > 0
