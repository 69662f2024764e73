"""Agents: the people who answer in the console, and the sites they answer for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from helpway.shared import frames, rest

from . import passwords
from .database import Database, Row
from .errors import Conflict
from .ids import new_id, now_ms

SiteRole: TypeAlias = rest.SiteRole  # the REST API's names for an agent's role on a site
# What each role may do on its site, in order: an agent answers; an admin also changes the
# site's settings, keys, KB, visitors' data and its agents; an owner also manages admins and
# owners and may delete the site. A site keeps at least one owner.
ROLE_RANK: dict[str, int] = {"agent": 0, "admin": 1, "owner": 2}


@dataclass(frozen=True)
class Agent:
    id: str
    email: str
    name: str
    created_at: int

    def author(self) -> frames.Author:
        """The agent as it appears on messages and in rooms."""
        return frames.Author(id=self.id, role="agent", name=self.name)

    @classmethod
    def from_row(cls, row: Row) -> Agent:
        return cls(id=row["id"], email=row["email"], name=row["name"], created_at=row["created_at"])


def normalize_email(email: str) -> str:
    """Emails are unique case-insensitively; the stored form is the lookup form."""
    return email.strip().lower()


async def create_agent(
    db: Database, *, email: str, name: str, password: str, now: int | None = None
) -> Agent:
    """Create an agent with an Argon2id password hash. Raises `Conflict` if the email is taken,
    `passwords.WeakPassword` if the password is too short."""
    passwords.check_new_password(password)
    agent = Agent(
        id=new_id(),
        email=normalize_email(email),
        name=name,
        created_at=now_ms() if now is None else now,
    )
    if await db.first("SELECT 1 FROM agents WHERE email = ?", (agent.email,)) is not None:
        raise Conflict(f"an agent with email {agent.email!r} exists")
    password_hash = await passwords.hash_password(password)
    await db.run(
        "INSERT INTO agents (id, email, name, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
        (agent.id, agent.email, agent.name, password_hash, agent.created_at),
    )
    return agent


async def get_agent(db: Database, agent_id: str) -> Agent | None:
    row = await db.first("SELECT * FROM agents WHERE id = ?", (agent_id,))
    return None if row is None else Agent.from_row(row)


async def find_agent(db: Database, email: str) -> Agent | None:
    """The agent with this email (in any case and spacing)."""
    row = await db.first("SELECT * FROM agents WHERE email = ?", (normalize_email(email),))
    return None if row is None else Agent.from_row(row)


async def authenticate_agent(db: Database, email: str, password: str) -> Agent | None:
    """The agent whose email and password match, else None (never says which one was wrong).

    The Argon2 work runs off the event loop (see `passwords`)."""
    row = await db.first("SELECT * FROM agents WHERE email = ?", (normalize_email(email),))
    if row is None:
        await passwords.verify_password(await passwords.dummy_hash(), password)
        return None
    if not await passwords.verify_password(row["password_hash"], password):
        return None
    if passwords.needs_rehash(row["password_hash"]):
        await db.run(
            "UPDATE agents SET password_hash = ? WHERE id = ?",
            (await passwords.hash_password(password), row["id"]),
        )
    return Agent.from_row(row)


async def add_agent_to_site(
    db: Database, site_id: str, agent_id: str, role: SiteRole = "agent"
) -> None:
    """Let the agent answer the site's conversations; adding again updates the role."""
    await db.run(
        "INSERT INTO site_agents (site_id, agent_id, role) VALUES (?, ?, ?) "
        "ON CONFLICT (site_id, agent_id) DO UPDATE SET role = excluded.role",
        (site_id, agent_id, role),
    )


async def agent_site_ids(db: Database, agent_id: str) -> list[str]:
    rows = await db.all(
        "SELECT site_id FROM site_agents WHERE agent_id = ? ORDER BY site_id", (agent_id,)
    )
    return [row["site_id"] for row in rows]


async def site_role(db: Database, agent_id: str, site_id: str) -> SiteRole | None:
    """The agent's role on the site; None if the agent does not answer for it."""
    row = await db.first(
        "SELECT role FROM site_agents WHERE agent_id = ? AND site_id = ?", (agent_id, site_id)
    )
    return None if row is None else row["role"]  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Member:
    """An agent of a site, with its role there."""

    agent: Agent
    role: SiteRole


async def site_members(db: Database, site_id: str) -> list[Member]:
    """The site's agents, owners first, then by e-mail."""
    rows = await db.all(
        "SELECT agents.*, site_agents.role AS role FROM site_agents "
        "JOIN agents ON agents.id = site_agents.agent_id WHERE site_agents.site_id = ? "
        "ORDER BY CASE site_agents.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END, "
        "agents.email",
        (site_id,),
    )
    return [Member(Agent.from_row(row), row["role"]) for row in rows]


async def owner_count(db: Database, site_id: str) -> int:
    row = await db.first(
        "SELECT COUNT(*) AS n FROM site_agents WHERE site_id = ? AND role = 'owner'", (site_id,)
    )
    return int(row["n"]) if row else 0


async def remove_agent_from_site(db: Database, site_id: str, agent_id: str) -> bool:
    """The agent stops answering for the site (its account stays); True if it did."""
    changed = await db.run(
        "DELETE FROM site_agents WHERE site_id = ? AND agent_id = ?", (site_id, agent_id)
    )
    return changed > 0
