"""Agent login sessions: opaque bearer tokens of which only the SHA-256 is stored."""

from __future__ import annotations

from .agents import Agent
from .database import Database
from .ids import hash_token, new_token, now_ms

SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000


async def create_agent_session(
    db: Database, agent_id: str, *, ttl_ms: int = SESSION_TTL_MS, now: int | None = None
) -> str:
    """Start a session and return its token (shown once; the store keeps only its hash).

    The agent's expired sessions are dropped on the way, so the table does not grow forever."""
    now = now_ms() if now is None else now
    token = new_token()
    await db.batch(
        [
            ("DELETE FROM agent_sessions WHERE agent_id = ? AND expires_at <= ?", (agent_id, now)),
            (
                "INSERT INTO agent_sessions (token_hash, agent_id, expires_at, created_at) "
                "VALUES (?, ?, ?, ?)",
                (hash_token(token), agent_id, now + ttl_ms, now),
            ),
        ]
    )
    return token


async def resolve_agent_session(
    db: Database, token: str, *, now: int | None = None
) -> Agent | None:
    """The agent a live token belongs to; None if unknown, revoked or expired."""
    row = await db.first(
        "SELECT agents.* FROM agent_sessions JOIN agents ON agents.id = agent_sessions.agent_id "
        "WHERE agent_sessions.token_hash = ? AND agent_sessions.expires_at > ?",
        (hash_token(token), now_ms() if now is None else now),
    )
    return None if row is None else Agent.from_row(row)


async def revoke_agent_session(db: Database, token: str) -> bool:
    """End a session (logout); True if it existed."""
    return await db.run("DELETE FROM agent_sessions WHERE token_hash = ?", (hash_token(token),)) > 0


async def revoke_agent_sessions(db: Database, agent_id: str) -> int:
    """End every session of the agent (a lost laptop, a removed colleague); how many ended."""
    return await db.run("DELETE FROM agent_sessions WHERE agent_id = ?", (agent_id,))
