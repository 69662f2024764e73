"""Invites: a one-time, expiring link that makes its holder an agent of a site.

A site admin invites an e-mail with a role; the link carries a random token of which only the
SHA-256 is stored (like sessions and API keys), so the table cannot be replayed. Accepting
marks the invite used in the same statement that checks it is live (`used_at IS NULL AND
expires_at > now`), so two racing accepts cannot both succeed, and a used or expired link
stays dead.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import agents, passwords
from .agents import Agent, SiteRole
from .database import Database, Row
from .errors import Conflict, NotFound
from .ids import hash_token, new_id, new_token, now_ms

INVITE_TTL_MS = 7 * 24 * 60 * 60 * 1000
PREFIX = "hwi_"


@dataclass(frozen=True)
class Invite:
    id: str
    site_id: str
    email: str
    role: SiteRole
    created_at: int
    expires_at: int
    used_at: int | None

    @classmethod
    def from_row(cls, row: Row) -> Invite:
        return cls(
            id=row["id"],
            site_id=row["site_id"],
            email=row["email"],
            role=row["role"],
            created_at=row["created_at"],
            expires_at=row["expires_at"],
            used_at=row["used_at"],
        )


class InviteUnusable(NotFound):
    """No live invite for this token: unknown, used, expired, or its site is gone."""


async def create_invite(
    db: Database,
    site_id: str,
    email: str,
    role: SiteRole,
    *,
    invited_by: str | None = None,
    ttl_ms: int = INVITE_TTL_MS,
    now: int | None = None,
) -> tuple[Invite, str]:
    """Make an invite; returns it with its token (shown once, in the link). Owners are not
    invited: an owner makes another owner by changing a member's role."""
    if role not in ("agent", "admin"):
        raise ValueError("an invite is for the role agent or admin")
    now = now_ms() if now is None else now
    token = PREFIX + new_token()
    invite = Invite(new_id(), site_id, agents.normalize_email(email), role, now, now + ttl_ms, None)
    await db.run(
        "INSERT INTO agent_invites (id, token_hash, site_id, email, role, invited_by, "
        "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            invite.id,
            hash_token(token),
            site_id,
            invite.email,
            role,
            invited_by,
            invite.created_at,
            invite.expires_at,
        ),
    )
    return invite, token


async def live_invite(db: Database, token: str, *, now: int | None = None) -> Invite | None:
    """The invite of this token if it can still be accepted."""
    row = await db.first(
        "SELECT * FROM agent_invites WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?",
        (hash_token(token), now_ms() if now is None else now),
    )
    return None if row is None else Invite.from_row(row)


async def accept_invite(
    db: Database, token: str, *, name: str, password: str, now: int | None = None
) -> tuple[Agent, Invite]:
    """Use the invite: a new agent account for its e-mail (with `name` and `password`), or, if
    the e-mail has an account already, that account once `password` is its password; either
    becomes an agent of the site with the invite's role (never lowering a higher role it had).

    Raises `InviteUnusable`, `passwords.WeakPassword` (a new account's password), or `Conflict`
    (an existing account's wrong password: the invite stays usable)."""
    now = now_ms() if now is None else now
    invite = await live_invite(db, token, now=now)
    if invite is None:
        raise InviteUnusable("this invite is unknown, used or expired")
    existing = await agents.find_agent(db, invite.email)
    if existing is None:
        passwords.check_new_password(password)
    elif await agents.authenticate_agent(db, invite.email, password) is None:
        raise Conflict("this e-mail has an account: give its password to accept")
    claimed = await db.run(
        "UPDATE agent_invites SET used_at = ? WHERE id = ? AND used_at IS NULL AND expires_at > ?",
        (now, invite.id, now),
    )
    if claimed == 0:
        raise InviteUnusable("this invite is unknown, used or expired")
    agent = existing or await agents.create_agent(
        db, email=invite.email, name=name, password=password, now=now
    )
    current = await agents.site_role(db, agent.id, invite.site_id)
    if current is None or agents.ROLE_RANK[current] < agents.ROLE_RANK[invite.role]:
        await agents.add_agent_to_site(db, invite.site_id, agent.id, invite.role)
    return agent, invite


async def list_invites(db: Database, site_id: str) -> list[Invite]:
    rows = await db.all(
        "SELECT * FROM agent_invites WHERE site_id = ? ORDER BY created_at, id", (site_id,)
    )
    return [Invite.from_row(row) for row in rows]
