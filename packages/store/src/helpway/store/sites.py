"""Sites: a customer's website, the origins its widget may run on and the widget's look."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

from pydantic import ValidationError

from helpway.shared import hours as business_hours
from helpway.shared import rest

from . import data_rights, identity
from .database import Database, Row
from .errors import Conflict
from .ids import new_id, now_ms

# What the widget shows and speaks, and when the team is in, as the site's admins set it;
# stored as JSON in `sites.config`, so new keys need no migration.
SiteConfig: TypeAlias = rest.WidgetSettings


def _config_from_json(text: str) -> SiteConfig:
    """Unknown keys are ignored and missing ones take defaults, so old rows keep working; a
    stored value today's rules refuse (a colour from before colours were checked) takes its
    default too, rather than taking the site down."""
    data = json.loads(text or "{}")
    known = {key: value for key, value in data.items() if key in SiteConfig.model_fields}
    try:
        return SiteConfig.model_validate(known)
    except ValidationError as exc:
        bad = {error["loc"][0] for error in exc.errors() if error["loc"]}
    try:
        return SiteConfig.model_validate({k: v for k, v in known.items() if k not in bad})
    except ValidationError:
        return SiteConfig()


def _config_json(config: SiteConfig) -> str:
    return config.model_dump_json(exclude_defaults=True)


@dataclass(frozen=True)
class Site:
    id: str
    name: str
    allowed_origins: tuple[str, ...]
    config: SiteConfig
    created_at: int
    # Identity verification (see `identity`): the secret user ids are signed with, if one was
    # made, and whether the widget must present a verified user.
    identity_secret: str | None = None
    identity_required: bool = False

    def widget_config(self, now: int | None = None) -> rest.WidgetConfig:
        """The config served to the widget, with the business-hours decision made for `now`."""
        config = self.config
        served = config.model_dump(exclude={"business_hours"})
        hours = config.business_hours
        if hours is not None:
            spans = [(span.day, span.opens, span.closes) for span in hours.weekly]
            is_open, next_open = business_hours.decide(
                hours.time_zone, spans, now_ms() if now is None else now
            )
            served.update(
                open=is_open,
                next_open_at=next_open,
                away_messages=hours.away_messages,
                collect_email=hours.collect_email and not is_open,
            )
        return rest.WidgetConfig(site_id=self.id, **served)

    @classmethod
    def from_row(cls, row: Row) -> Site:
        return cls(
            id=row["id"],
            name=row["name"],
            allowed_origins=tuple(json.loads(row["allowed_origins"])),
            config=_config_from_json(row["config"]),
            created_at=row["created_at"],
            identity_secret=row["identity_secret"],
            identity_required=bool(row["identity_required"]),
        )


async def create_site(
    db: Database,
    *,
    name: str,
    allowed_origins: Sequence[str] = (),
    config: SiteConfig | None = None,
    site_id: str | None = None,
    now: int | None = None,
) -> Site:
    """Create a site; `site_id` may be chosen (the snippet's `data-site`), else one is drawn.

    Raises `Conflict` if a site with that id exists."""
    site = Site(
        id=site_id or new_id(),
        name=name,
        allowed_origins=tuple(allowed_origins),
        config=config or SiteConfig(),
        created_at=now_ms() if now is None else now,
    )
    if await get_site(db, site.id) is not None:
        raise Conflict(f"site {site.id!r} exists")
    await db.run(
        "INSERT INTO sites (id, name, allowed_origins, config, created_at) VALUES (?, ?, ?, ?, ?)",
        (
            site.id,
            site.name,
            json.dumps(list(site.allowed_origins)),
            _config_json(site.config),
            site.created_at,
        ),
    )
    return site


async def get_site(db: Database, site_id: str) -> Site | None:
    row = await db.first("SELECT * FROM sites WHERE id = ?", (site_id,))
    return None if row is None else Site.from_row(row)


async def list_sites(db: Database) -> list[Site]:
    """Every site, oldest first."""
    rows = await db.all("SELECT * FROM sites ORDER BY created_at, id")
    return [Site.from_row(row) for row in rows]


async def sites_of_agent(db: Database, agent_id: str) -> list[tuple[Site, str]]:
    """The sites the agent answers for, each with the agent's role there, oldest first."""
    rows = await db.all(
        "SELECT sites.*, site_agents.role AS role FROM site_agents "
        "JOIN sites ON sites.id = site_agents.site_id WHERE site_agents.agent_id = ? "
        "ORDER BY sites.created_at, sites.id",
        (agent_id,),
    )
    return [(Site.from_row(row), row["role"]) for row in rows]


async def update_site(
    db: Database,
    site_id: str,
    *,
    config: SiteConfig | None = None,
    allowed_origins: Sequence[str] | None = None,
    name: str | None = None,
) -> Site | None:
    """Replace the name, the widget config and/or the allowed origins; None if the site is
    unknown."""
    if name is not None:
        await db.run("UPDATE sites SET name = ? WHERE id = ?", (name, site_id))
    if config is not None:
        await db.run("UPDATE sites SET config = ? WHERE id = ?", (_config_json(config), site_id))
    if allowed_origins is not None:
        await db.run(
            "UPDATE sites SET allowed_origins = ? WHERE id = ?",
            (json.dumps(list(allowed_origins)), site_id),
        )
    return await get_site(db, site_id)


async def set_identity(
    db: Database, site_id: str, *, rotate_secret: bool = False, required: bool | None = None
) -> Site | None:
    """Make a new identity secret (the old one stops vouching at once) and/or turn enforcement
    on or off; None if the site is unknown. Enforcement needs a secret: turning it on makes one
    if the site has none."""
    site = await get_site(db, site_id)
    if site is None:
        return None
    secret = site.identity_secret
    if rotate_secret or (required and secret is None):
        secret = identity.new_secret()
    enforce = site.identity_required if required is None else required
    await db.run(
        "UPDATE sites SET identity_secret = ?, identity_required = ? WHERE id = ?",
        (secret, int(enforce), site_id),
    )
    return await get_site(db, site_id)


@dataclass(frozen=True)
class DeletedSite:
    """What deleting a site removed from D1, and what the caller still erases elsewhere: each
    conversation's room storage (by id) and each KB document's vectors (the KB's own delete
    removes a document's rows and vectors together, so documents go first, through it)."""

    conversation_ids: list[str]
    visitors: int


async def delete_site(db: Database, site_id: str) -> DeletedSite | None:
    """Delete the site and every D1 row of it in one batch: its conversations and their log,
    its visitors, its agents' memberships (the agents' accounts stay: they may answer for other
    sites), its API keys, invites, canned responses, KB documents and chunks, and the message
    search indexes are rewritten without its messages. None if the site is unknown. The
    caller deletes the KB documents (and so their vectors) before, and the rooms after."""
    if await get_site(db, site_id) is None:
        return None
    rows = await db.all("SELECT id FROM conversations WHERE site_id = ?", (site_id,))
    counted = await db.first("SELECT COUNT(*) AS n FROM visitors WHERE site_id = ?", (site_id,))
    of_site = "SELECT id FROM conversations WHERE site_id = ?"
    await db.batch(
        [
            (f"DELETE FROM messages WHERE conversation_id IN ({of_site})", (site_id,)),
            ("DELETE FROM conversations WHERE site_id = ?", (site_id,)),
            ("DELETE FROM visitors WHERE site_id = ?", (site_id,)),
            ("DELETE FROM kb_chunks WHERE site_id = ?", (site_id,)),
            ("DELETE FROM kb_documents WHERE site_id = ?", (site_id,)),
            ("DELETE FROM api_keys WHERE site_id = ?", (site_id,)),
            ("DELETE FROM agent_invites WHERE site_id = ?", (site_id,)),
            ("DELETE FROM canned_responses WHERE site_id = ?", (site_id,)),
            ("DELETE FROM site_agents WHERE site_id = ?", (site_id,)),
            ("DELETE FROM sites WHERE id = ?", (site_id,)),
            *data_rights.PURGE_MESSAGE_INDEXES,
        ]
    )
    return DeletedSite([row["id"] for row in rows], int(counted["n"]) if counted else 0)
