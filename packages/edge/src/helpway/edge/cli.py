"""`helpway`: run the local edge and manage its data (sites, agents, the knowledge base).

Every command works on the data folder `helpway dev` uses (`HELPWAY_DATA`, default `.data/`),
so it can run while the edge is serving.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import tempfile
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, get_args

import click
from pydantic import ValidationError

from helpway.knowledge.evaluation import (
    DEBIAN_FAQ_DIR,
    DEBIAN_FAQ_SETS,
    EvalReport,
    evaluate,
    load_questions,
)
from helpway.knowledge.ingest import IngestProgress, IngestReport, UnknownSiteError
from helpway.knowledge.manifest import ManifestError
from helpway.rooms.sqlite_storage import SqliteRoomFolder
from helpway.shared import hours, rest
from helpway.store import (
    agent_sessions,
    agents,
    api_keys,
    canned,
    data_rights,
    identity,
    invites,
    passwords,
    sites,
)
from helpway.store.database import Database
from helpway.store.errors import Conflict

from . import erasure
from .bodies import describe
from .local.data import open_database, open_knowledge
from .local.kb_files import kb_base_url
from .local.settings import Settings, SettingsError, load_dev_vars
from .routes.members import invite_url

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar

T = TypeVar("T")

# The lead's labelled questions on the Debian FAQ live beside the repository.
FAQ_SITE = "debian-faq"


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def _run(job: Callable[[Settings], Coroutine[object, object, T]]) -> T:
    return asyncio.run(job(_settings()))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Helpway: edge-native customer-support chat.

    Settings come from the environment and `.dev.vars` at the repository root (KEY=VALUE, as
    wrangler reads it; the environment wins)."""
    try:
        load_dev_vars()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


# ---------------------------------------------------------------- running


@main.command()
@click.option(
    "--watch",
    is_flag=True,
    help="Rebuild the widget when its sources change and reload the demo pages (`make dev`).",
)
def dev(watch: bool) -> None:
    """Serve the demo, the widget, the console and the API on 127.0.0.1:$PORT (default 8787)."""
    from .local import runtime

    try:
        runtime.serve(_settings(), watch=watch)
    except runtime.CannotListen as exc:
        raise click.ClickException(str(exc)) from None


@main.command("build-widget")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Output folder (default: the widget package's build/).",
)
def build_widget(out: Path | None) -> None:
    """Build the widget and console assets the edge serves under /widget.js and /w/."""
    from .local import widget_build

    try:
        target = widget_build.build(out)
    except widget_build.WidgetUnavailable as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"widget built in {target}")


# ---------------------------------------------------------------- sites and agents


def _origin(value: str) -> str:
    try:
        return rest.normalize_origin(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


# Site ids go unescaped into the snippet's attribute, URLs (`/kb/<site>/...`) and storage keys.
SITE_ID = re.compile(r"[A-Za-z0-9_-]{1,52}")


def _site_id(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not SITE_ID.fullmatch(value):
        raise click.BadParameter(
            f"{value!r} is not a site id: use 1 to 52 letters, digits, '-' or '_'"
        )
    return value


def _new_password(ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        passwords.check_new_password(value)
    except passwords.WeakPassword as exc:
        raise click.BadParameter(str(exc)) from None
    return value


@main.group("sites")
def sites_group() -> None:
    """Sites: a website carrying the widget."""


@sites_group.command("create")
@click.option(
    "--id",
    "site_id",
    required=True,
    callback=_site_id,
    help="The id pasted in the snippet's data-site: letters, digits, '-' and '_'.",
)
@click.option("--name", required=True)
@click.option(
    "--origin", "origins", multiple=True, help="An origin allowed to load the widget (repeatable)."
)
@click.option("--owner", "owner_email", default=None, help="An existing agent to own the site.")
def sites_create(
    site_id: str, name: str, origins: tuple[str, ...], owner_email: str | None
) -> None:
    """Create a site."""
    allowed = [_origin(o) for o in origins]

    async def job(settings: Settings) -> sites.Site:
        db = await open_database(settings)
        try:
            owner = None if owner_email is None else await _agent(db, owner_email)
            site = await sites.create_site(db, name=name, site_id=site_id, allowed_origins=allowed)
            if owner is not None:
                await agents.add_agent_to_site(db, site.id, owner.id, "owner")
            return site
        finally:
            db.close()

    try:
        site = _run(job)
    except Conflict as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"site {site.id!r} created; put this on its pages:")
    click.echo(f'  <script src="https://YOUR-EDGE/widget/{site.id}.js" async></script>')
    if not allowed:
        click.echo("No --origin given: pages on any origin may use its widget.")


@sites_group.command("list")
def sites_list() -> None:
    """Every site: id, allowed origins (or 'any origin'), name."""

    async def job(settings: Settings) -> list[sites.Site]:
        db = await open_database(settings)
        try:
            return await sites.list_sites(db)
        finally:
            db.close()

    for site in _run(job):
        origins = " ".join(site.allowed_origins) or "any origin"
        click.echo(f"{site.id}  {origins}  {site.name}")


@sites_group.command("update")
@click.option("--site", "site_id", required=True, callback=_site_id)
@click.option("--name", default=None)
@click.option(
    "--origin", "origins", multiple=True, help="The origins allowed from now on (repeatable)."
)
@click.option("--any-origin", is_flag=True, help="Let pages on any origin use the widget.")
def sites_update(
    site_id: str, name: str | None, origins: tuple[str, ...], any_origin: bool
) -> None:
    """Rename a site and/or replace its allowed origins."""
    if origins and any_origin:
        raise click.UsageError("--origin and --any-origin exclude each other")
    allowed = [] if any_origin else [_origin(o) for o in origins] or None

    async def job(settings: Settings) -> sites.Site | None:
        db = await open_database(settings)
        try:
            return await sites.update_site(db, site_id, name=name, allowed_origins=allowed)
        finally:
            db.close()

    site = _run(job)
    if site is None:
        raise click.ClickException(f"no site {site_id!r}")
    click.echo(f"site {site.id!r} ({site.name}): {' '.join(site.allowed_origins) or 'any origin'}")


@sites_group.command("delete")
@click.option("--site", "site_id", required=True, callback=_site_id)
@click.option("--yes", is_flag=True, help="Yes, delete everything of the site (required).")
def sites_delete(site_id: str, yes: bool) -> None:
    """Delete a site and everything of it: conversations (D1 and room files), visitors, KB
    documents and vectors, keys, invites, memberships. With `helpway dev` running, prefer
    `DELETE /api/sites/ID`: it also closes the site's open sockets."""
    if not yes:
        raise click.UsageError("this deletes everything of the site: pass --yes")

    async def job(settings: Settings) -> rest.SiteDeleted | None:
        db = await open_database(settings)
        try:
            return await erasure.delete_site(
                db, open_knowledge(db, settings), _room_eraser(settings), site_id
            )
        finally:
            db.close()

    deleted = _run(job)
    if deleted is None:
        raise click.ClickException(f"no site {site_id!r}")
    click.echo(
        f"site {site_id} deleted with {deleted.conversations} conversation(s), "
        f"{deleted.visitors} visitor(s), {deleted.kb_documents} KB document(s)"
    )


def _room_eraser(settings: Settings) -> erasure.EraseRoom:
    """Delete a room's file in the data folder (the CLI has no live rooms to close)."""
    folder = SqliteRoomFolder(settings.rooms_dir)

    async def erase(conversation_id: str) -> None:
        folder.delete(conversation_id)

    return erase


async def _agent(db: Database, email: str) -> agents.Agent:
    agent = await agents.find_agent(db, email)
    if agent is None:
        raise click.ClickException(f"no agent {email!r}: create it with `helpway agents create`")
    return agent


@sites_group.command("identity")
@click.option("--site", "site_id", required=True, callback=_site_id)
@click.option(
    "--rotate-secret",
    is_flag=True,
    help="Make a new identity secret; hashes made with the old one stop verifying at once.",
)
@click.option(
    "--require/--no-require",
    default=None,
    help="Refuse (or allow again) visitors without a verified user id.",
)
def sites_identity(site_id: str, rotate_secret: bool, require: bool | None) -> None:
    """Identity verification: the site's secret, and whether a verified user is required.

    The site owner's server signs each signed-in user's id with the secret,
    hex(HMAC-SHA256(secret, user_id)), and the page passes user id and hash to the widget."""

    async def job(settings: Settings) -> sites.Site | None:
        db = await open_database(settings)
        try:
            return await sites.set_identity(
                db, site_id, rotate_secret=rotate_secret, required=require
            )
        finally:
            db.close()

    site = _run(job)
    if site is None:
        raise click.ClickException(f"no site {site_id!r}")
    need = "required" if site.identity_required else "optional"
    click.echo(f"site {site.id!r}: a verified user is {need}")
    if site.identity_secret is None:
        click.echo("no identity secret yet: --rotate-secret makes one")
    elif rotate_secret or require:
        click.echo(f"identity secret (keep it on your server only): {site.identity_secret}")


@sites_group.command("sign-user")
@click.option("--site", "site_id", required=True, callback=_site_id)
@click.argument("user_id")
def sites_sign_user(site_id: str, user_id: str) -> None:
    """Print the user_hash of USER_ID, as the site owner's server computes it (for trying
    identity verification out locally)."""

    async def job(settings: Settings) -> sites.Site | None:
        db = await open_database(settings)
        try:
            return await sites.get_site(db, site_id)
        finally:
            db.close()

    site = _run(job)
    if site is None:
        raise click.ClickException(f"no site {site_id!r}")
    if site.identity_secret is None:
        raise click.ClickException(f"site {site_id!r} has no identity secret: run sites identity")
    click.echo(identity.user_hash(site.identity_secret, user_id))


def _per_language(pairs: tuple[str, ...], what: str) -> dict[str, str]:
    """LANG=TEXT options, e.g. `es=¡Hola!`, as a dict."""
    found = {}
    for pair in pairs:
        language, sep, text = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r}: write {what} as LANG=TEXT, e.g. es=Hola")
        found[language.strip()] = text
    return found


def _opening_spans(specs: tuple[str, ...]) -> list[dict[str, str]]:
    """ "mon-fri 09:00-17:00", "sat 10:00-14:00", "mon,wed 08:00-12:00" as opening spans."""
    spans = []
    for spec in specs:
        days, _, clocks = spec.strip().partition(" ")
        opens, sep, closes = clocks.strip().partition("-")
        if not sep:
            raise click.BadParameter(f"{spec!r}: write hours like 'mon-fri 09:00-17:00'")
        for part in days.lower().split(","):
            first, _, last = part.partition("-")
            if first not in hours.DAYS or (last and last not in hours.DAYS):
                raise click.BadParameter(f"{spec!r}: days are {', '.join(hours.DAYS)}")
            start = hours.DAYS.index(first)
            end = hours.DAYS.index(last) if last else start
            for day in hours.DAYS[start : end + 1]:
                spans.append({"day": day, "opens": opens.strip(), "closes": closes.strip()})
    return spans


@sites_group.command("config")
@click.option("--site", "site_id", required=True, callback=_site_id)
@click.option("--title")
@click.option("--greeting", help="Said in any language without a greeting of its own.")
@click.option("--greeting-for", "greetings", multiple=True, help="LANG=TEXT (repeatable).")
@click.option("--color", help="Hex, e.g. #0f766e.")
@click.option("--assistant-name")
@click.option(
    "--language",
    "languages",
    multiple=True,
    help="A language the widget may speak (repeatable; replaces the list): "
    + ", ".join(get_args(rest.Language))
    + ".",
)
@click.option("--default-language", help="Spoken when the browser asks for none of them.")
@click.option("--position", type=click.Choice(["left", "right"]))
@click.option("--launcher-text", help="Text beside the launcher icon ('' for none).")
@click.option("--avatar-url", help="https:// URL or a path on the edge ('' for none).")
@click.option("--time-zone", help="The team's IANA time zone, e.g. Asia/Jakarta.")
@click.option(
    "--hours",
    "opening",
    multiple=True,
    help="When the team is in, e.g. 'mon-fri 09:00-17:00' (repeatable; replaces the hours).",
)
@click.option("--away-message", "away", multiple=True, help="LANG=TEXT outside hours.")
@click.option("--email-capture/--no-email-capture", default=None, help="Ask for an e-mail.")
@click.option("--no-hours", is_flag=True, help="Remove the business hours: always open.")
def sites_config(
    site_id: str,
    title: str | None,
    greeting: str | None,
    greetings: tuple[str, ...],
    color: str | None,
    assistant_name: str | None,
    languages: tuple[str, ...],
    default_language: str | None,
    position: str | None,
    launcher_text: str | None,
    avatar_url: str | None,
    time_zone: str | None,
    opening: tuple[str, ...],
    away: tuple[str, ...],
    email_capture: bool | None,
    no_hours: bool,
) -> None:
    """Show or change the site's widget: languages, theme, greetings and business hours.

    Options given replace the stored values, the others stay; prints every setting as JSON
    (what GET /api/sites/{id}/widget answers)."""
    change: dict[str, object] = {
        name: value
        for name, value in {
            "title": title,
            "greeting": greeting,
            "color": color,
            "assistant_name": assistant_name,
            "default_language": default_language,
            "position": position,
            "launcher_text": launcher_text,
        }.items()
        if value is not None
    }
    if greetings:
        change["greetings"] = _per_language(greetings, "greetings")
    if languages:
        change["languages"] = list(languages)
    if avatar_url is not None:
        change["avatar_url"] = avatar_url or None

    async def job(settings: Settings) -> sites.Site | None:
        db = await open_database(settings)
        try:
            site = await sites.get_site(db, site_id)
            if site is None:
                return None
            hours_now = site.config.business_hours
            if no_hours:
                change["business_hours"] = None
            elif time_zone or opening or away or email_capture is not None:
                current = hours_now.model_dump() if hours_now else {"weekly": []}
                if time_zone:
                    current["time_zone"] = time_zone
                if opening:
                    current["weekly"] = _opening_spans(opening)
                if away:
                    current["away_messages"] = _per_language(away, "away messages")
                if email_capture is not None:
                    current["collect_email"] = email_capture
                if "time_zone" not in current:
                    raise click.UsageError("business hours need --time-zone")
                change["business_hours"] = current
            try:
                update = rest.WidgetSettingsUpdate.model_validate(change)
                config = update.applied_to(site.config)
            except ValidationError as exc:
                raise click.ClickException(describe(exc)) from None
            return await sites.update_site(db, site_id, config=config)
        finally:
            db.close()

    site = _run(job)
    if site is None:
        raise click.ClickException(f"no site {site_id!r}")
    click.echo(json.dumps(site.config.model_dump(mode="json"), ensure_ascii=False, indent=2))


@main.group("agents")
def agents_group() -> None:
    """Agents: people answering in the console."""


@agents_group.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option(
    "--password",
    required=True,
    callback=_new_password,
    help=f"At least {passwords.MIN_PASSWORD_CHARS} characters.",
)
@click.option(
    "--site",
    "site_ids",
    multiple=True,
    required=True,
    help="A site the agent answers for (repeatable).",
)
@click.option(
    "--role",
    type=click.Choice(["agent", "admin", "owner"]),
    default="agent",
    show_default=True,
    help="On these sites: admins may also change the site's settings and agents; owners "
    "also manage admins and may delete the site.",
)
def agents_create(
    email: str, name: str, password: str, site_ids: tuple[str, ...], role: agents.SiteRole
) -> None:
    """Create an agent and add it to sites."""

    async def job(settings: Settings) -> agents.Agent:
        db = await open_database(settings)
        try:
            for site_id in site_ids:
                if await sites.get_site(db, site_id) is None:
                    raise click.ClickException(f"no site {site_id!r}: create it first")
            agent = await agents.create_agent(db, email=email, name=name, password=password)
            for site_id in site_ids:
                await agents.add_agent_to_site(db, site_id, agent.id, role)
            return agent
        finally:
            db.close()

    if "@" not in email:
        raise click.BadParameter("not an e-mail address", param_hint="--email")
    try:
        agent = _run(job)
    except Conflict as exc:
        hint = "to let it answer for more sites, use `helpway agents add-to-site`"
        raise click.ClickException(f"{exc}; {hint}") from None
    click.echo(f"agent {agent.email} created for {', '.join(site_ids)}")


@agents_group.command("add-to-site")
@click.option("--email", required=True, help="The agent's e-mail.")
@click.option(
    "--site",
    "site_ids",
    multiple=True,
    required=True,
    help="A site the agent answers for as well (repeatable).",
)
@click.option(
    "--role",
    type=click.Choice(["agent", "admin", "owner"]),
    default="agent",
    show_default=True,
    help="On these sites: admins may also change the site's settings and agents; owners "
    "also manage admins and may delete the site.",
)
def agents_add_to_site(email: str, site_ids: tuple[str, ...], role: agents.SiteRole) -> None:
    """Let an existing agent answer for more sites (it sees them at its next sign-in); on a
    site it already answers for, this sets its role."""

    async def job(settings: Settings) -> tuple[agents.Agent, list[str]]:
        db = await open_database(settings)
        try:
            agent = await agents.find_agent(db, email)
            if agent is None:
                raise click.ClickException(
                    f"no agent {email!r}: create it with `helpway agents create`"
                )
            for site_id in site_ids:
                if await sites.get_site(db, site_id) is None:
                    raise click.ClickException(f"no site {site_id!r}: create it first")
            for site_id in site_ids:
                await agents.add_agent_to_site(db, site_id, agent.id, role)
            return agent, await agents.agent_site_ids(db, agent.id)
        finally:
            db.close()

    agent, answered = _run(job)
    click.echo(
        f"agent {agent.email} is {role} of {', '.join(site_ids)}; answers for {', '.join(answered)}"
    )


@agents_group.command("list")
@click.option("--site", "site_id", required=True, callback=_site_id)
def agents_list(site_id: str) -> None:
    """The site's agents: role, e-mail, name."""

    async def job(settings: Settings) -> list[agents.Member]:
        db = await open_database(settings)
        try:
            return await agents.site_members(db, site_id)
        finally:
            db.close()

    for member in _run(job):
        click.echo(f"{member.role:5}  {member.agent.email}  {member.agent.name}")


@agents_group.command("invite")
@click.option("--site", "site_id", required=True, callback=_site_id)
@click.option("--email", required=True)
@click.option("--role", type=click.Choice(["agent", "admin"]), default="agent", show_default=True)
def agents_invite(site_id: str, email: str, role: agents.SiteRole) -> None:
    """Make a one-time invite link (valid 7 days) and print it: the invitee opens it, sets a
    name and password, and becomes an agent of the site."""
    if "@" not in email:
        raise click.BadParameter("not an e-mail address", param_hint="--email")

    async def job(settings: Settings) -> tuple[invites.Invite, str]:
        db = await open_database(settings)
        try:
            if await sites.get_site(db, site_id) is None:
                raise click.ClickException(f"no site {site_id!r}")
            return await invites.create_invite(db, site_id, email, role)
        finally:
            db.close()

    invite, token = _run(job)
    click.echo(f"invite for {invite.email} ({invite.role} of {site_id}); send them this link:")
    click.echo(invite_url(_settings().edge_url(), token))


@agents_group.command("set-role")
@click.option("--site", "site_id", required=True, callback=_site_id)
@click.option("--email", required=True)
@click.option("--role", type=click.Choice(["agent", "admin", "owner"]), required=True)
def agents_set_role(site_id: str, email: str, role: agents.SiteRole) -> None:
    """Change an agent's role on a site it answers for."""

    async def job(settings: Settings) -> None:
        db = await open_database(settings)
        try:
            agent = await _agent(db, email)
            current = await agents.site_role(db, agent.id, site_id)
            if current is None:
                raise click.ClickException(f"{email} is not an agent of {site_id}")
            if current == "owner" and role != "owner" and await agents.owner_count(db, site_id) < 2:
                raise click.ClickException(f"{email} is the last owner of {site_id}")
            await agents.add_agent_to_site(db, site_id, agent.id, role)
        finally:
            db.close()

    _run(job)
    click.echo(f"{email} is {role} of {site_id}")


@agents_group.command("remove")
@click.option("--site", "site_id", required=True, callback=_site_id)
@click.option("--email", required=True)
def agents_remove(site_id: str, email: str) -> None:
    """Stop an agent answering for a site (its account stays). With `helpway dev` running,
    prefer `DELETE /api/sites/S/agents/ID`: it also closes the agent's open sockets."""

    async def job(settings: Settings) -> bool:
        db = await open_database(settings)
        try:
            agent = await _agent(db, email)
            if await agents.site_role(db, agent.id, site_id) == "owner" and (
                await agents.owner_count(db, site_id) < 2
            ):
                raise click.ClickException(f"{email} is the last owner of {site_id}")
            return await agents.remove_agent_from_site(db, site_id, agent.id)
        finally:
            db.close()

    if not _run(job):
        raise click.ClickException(f"{email} is not an agent of {site_id}")
    click.echo(f"{email} no longer answers for {site_id}")


@agents_group.command("revoke-sessions")
@click.option("--email", required=True)
def agents_revoke_sessions(email: str) -> None:
    """Log an agent out everywhere: every session token of theirs stops working at once."""

    async def job(settings: Settings) -> int:
        db = await open_database(settings)
        try:
            return await agent_sessions.revoke_agent_sessions(db, (await _agent(db, email)).id)
        finally:
            db.close()

    click.echo(f"{_run(job)} session(s) of {email} revoked")


@main.group("keys")
def keys_group() -> None:
    """API keys: a site's credentials for its REST API, limited to scopes."""


@keys_group.command("create")
@click.option("--site", "site_id", required=True, callback=_site_id)
@click.option("--name", required=True, help="What the key is for, e.g. the CI job using it.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice(api_keys.SCOPES),
    help="What the key may do (repeatable).",
)
def keys_create(site_id: str, name: str, scopes: tuple[api_keys.Scope, ...]) -> None:
    """Make a key; it is printed once and only its hash is kept."""

    async def job(settings: Settings) -> tuple[api_keys.ApiKey, str]:
        db = await open_database(settings)
        try:
            if await sites.get_site(db, site_id) is None:
                raise click.ClickException(f"no site {site_id!r}")
            return await api_keys.create_api_key(db, site_id, name, scopes)
        finally:
            db.close()

    key, secret = _run(job)
    click.echo(f"key {key.id} for {site_id} ({', '.join(key.scopes)}); shown this once:")
    click.echo(secret)


@keys_group.command("list")
@click.option("--site", "site_id", required=True, callback=_site_id)
def keys_list(site_id: str) -> None:
    """The site's keys (never their secrets)."""

    async def job(settings: Settings) -> list[api_keys.ApiKey]:
        db = await open_database(settings)
        try:
            return await api_keys.list_api_keys(db, site_id)
        finally:
            db.close()

    for key in _run(job):
        state = "revoked" if key.revoked_at is not None else "live"
        click.echo(f"{key.id}  {state:7}  {','.join(key.scopes)}  {key.name}")


@keys_group.command("revoke")
@click.option("--id", "key_id", required=True, help="The key's id (it may start with '-').")
def keys_revoke(key_id: str) -> None:
    """Revoke a key at once."""

    async def job(settings: Settings) -> bool:
        db = await open_database(settings)
        try:
            return await api_keys.revoke_api_key(db, key_id)
        finally:
            db.close()

    if not _run(job):
        raise click.ClickException(f"no live key {key_id!r}")
    click.echo(f"key {key_id} revoked")


# Ids are URL-safe base64 and may start with "-": they are option values, never arguments.
ID_HELP = "The id (it may start with '-')."


@main.group("canned")
def canned_group() -> None:
    """Canned responses: a site's saved replies, which agents insert by typing /SHORTCUT."""


def _canned_in(shortcut: str, title: str, text: str) -> rest.CannedResponseIn:
    """The REST API's rules for a canned response, so the CLI accepts exactly what it does."""
    try:
        return rest.CannedResponseIn(shortcut=shortcut.removeprefix("/"), title=title, text=text)
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        raise click.BadParameter(f"{first['loc'][0]}: {first['msg']}") from None


@canned_group.command("add")
@click.option("--site", "site_id", required=True, callback=_site_id)
@click.option("--shortcut", required=True, help="e.g. refund (typed as /refund).")
@click.option("--title", required=True)
@click.option("--text", required=True, help="The reply as the visitor will read it.")
def canned_add(site_id: str, shortcut: str, title: str, text: str) -> None:
    """Save a reply for the site's agents."""
    body = _canned_in(shortcut, title, text)

    async def job(settings: Settings) -> canned.CannedResponse:
        db = await open_database(settings)
        try:
            if await sites.get_site(db, site_id) is None:
                raise click.ClickException(f"no site {site_id!r}")
            return await canned.create_canned(db, site_id, body.shortcut, body.title, body.text)
        except Conflict as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            db.close()

    made = _run(job)
    click.echo(f"canned response {made.id} saved as /{made.shortcut}")


@canned_group.command("edit")
@click.option("--site", "site_id", required=True, callback=_site_id)
@click.option("--id", "canned_id", required=True, help=ID_HELP)
@click.option("--shortcut", required=True)
@click.option("--title", required=True)
@click.option("--text", required=True)
def canned_edit(site_id: str, canned_id: str, shortcut: str, title: str, text: str) -> None:
    """Replace a saved reply of the site."""
    body = _canned_in(shortcut, title, text)

    async def job(settings: Settings) -> canned.CannedResponse | None:
        db = await open_database(settings)
        try:
            return await canned.update_canned(
                db, site_id, canned_id, body.shortcut, body.title, body.text
            )
        except Conflict as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            db.close()

    if _run(job) is None:
        raise click.ClickException(f"no canned response {canned_id!r} on {site_id}")
    click.echo(f"canned response {canned_id} saved as /{body.shortcut}")


@canned_group.command("list")
@click.option("--site", "site_id", required=True, callback=_site_id)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (rest.CannedResponseList).")
def canned_list(site_id: str, as_json: bool) -> None:
    """The site's saved replies, by shortcut."""

    async def job(settings: Settings) -> list[canned.CannedResponse]:
        db = await open_database(settings)
        try:
            return await canned.list_canned(db, site_id)
        finally:
            db.close()

    found = _run(job)
    if as_json:
        listed = rest.CannedResponseList(
            responses=[
                rest.CannedResponse(
                    id=r.id,
                    site_id=r.site_id,
                    shortcut=r.shortcut,
                    title=r.title,
                    text=r.text,
                    updated_at=r.updated_at,
                )
                for r in found
            ]
        )
        click.echo(listed.model_dump_json(indent=2))
        return
    for response in found:
        click.echo(f"{response.id}  /{response.shortcut}  {response.title}")


@canned_group.command("remove")
@click.option("--site", "site_id", required=True, callback=_site_id)
@click.option("--id", "canned_id", required=True, help=ID_HELP)
def canned_remove(site_id: str, canned_id: str) -> None:
    """Delete a saved reply of the site."""

    async def job(settings: Settings) -> bool:
        db = await open_database(settings)
        try:
            return await canned.delete_canned(db, site_id, canned_id)
        finally:
            db.close()

    if not _run(job):
        raise click.ClickException(f"no canned response {canned_id!r} on {site_id}")
    click.echo(f"canned response {canned_id} removed")


@main.group("visitors")
def visitors_group() -> None:
    """Visitors' data rights: export everything about a visitor, erase it."""


@visitors_group.command("export")
@click.option("--id", "visitor_id", required=True, help=ID_HELP)
def visitors_export(visitor_id: str) -> None:
    """Print everything D1 holds about the visitor as JSON."""

    async def job(settings: Settings) -> dict[str, object] | None:
        db = await open_database(settings)
        try:
            return await data_rights.export_visitor(db, visitor_id)
        finally:
            db.close()

    exported = _run(job)
    if exported is None:
        raise click.ClickException(f"no visitor {visitor_id!r}")
    click.echo(json.dumps(exported, ensure_ascii=False, indent=2))


@visitors_group.command("erase")
@click.option("--id", "visitor_id", required=True, help=ID_HELP)
def visitors_erase(visitor_id: str) -> None:
    """Erase the visitor, their conversations and their messages from D1 and the room files.
    With `helpway dev` running, prefer `DELETE /api/sites/S/visitors/ID`: it also closes the
    conversations' open sockets."""

    async def job(settings: Settings) -> list[str] | None:
        db = await open_database(settings)
        try:
            return await erasure.erase_visitor(db, _room_eraser(settings), visitor_id)
        finally:
            db.close()

    erased = _run(job)
    if erased is None:
        raise click.ClickException(f"no visitor {visitor_id!r}")
    click.echo(f"visitor {visitor_id} erased with {len(erased)} conversation(s)")


# ---------------------------------------------------------------- knowledge base


@main.group("kb")
def kb_group() -> None:
    """The knowledge base the assistant answers from."""


class _Progress:
    """A progress bar on stderr, sized once the ingest knows how many documents there are."""

    def __init__(self) -> None:
        self._bar: ProgressBar[int] | None = None
        self.failed: list[str] = []

    def __call__(self, event: IngestProgress) -> None:
        if self._bar is None:
            self._bar = click.progressbar(
                length=event.total, label="ingesting", file=sys.stderr, show_pos=True
            )
            self._bar.__enter__()
        self._bar.update(1)
        if event.document.status == "failed":
            self.failed.append(f"{event.document.url}: {event.document.error}")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)


@kb_group.command("ingest")
@click.option("--site", "site_id", required=True)
@click.option(
    "--base-url",
    default=None,
    help="URL the files are published at, e.g. https://www.debian.org/doc/manuals/debian-faq/ "
    "(citations start with it). Default: /kb/SITE/, where the local edge serves them.",
)
@click.option(
    "--manifest",
    "manifests",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file listing files, folders and published pages to ingest (repeatable): `path "
    "[URL]` or a page's `https://...` per line, or JSON {base_url, documents: [{path, url, "
    "title}]}. Pages are fetched and cited at their URL.",
)
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
def kb_ingest(
    site_id: str, base_url: str | None, manifests: tuple[Path, ...], paths: tuple[Path, ...]
) -> None:
    """Ingest Markdown, HTML or text files and folders into a site's KB.

    Citations link to the cited section: without --base-url the local edge serves the
    ingested files at /kb/SITE/<path> (Markdown rendered), e.g.
    /kb/SITE/pkg-basics.en.html#puttingonhold. Ingesting a folder again, with another base
    URL too, replaces what it gave before; ingesting a manifest again deletes what it no
    longer lists.
    """
    if not paths and not manifests:
        raise click.UsageError("give files or folders to ingest, or --manifest FILE")
    base_url = base_url or kb_base_url(site_id)
    progress = _Progress()

    async def job(settings: Settings) -> list[IngestReport]:
        db = await open_database(settings)
        try:
            knowledge = open_knowledge(db, settings)
            reports = [
                await knowledge.ingest_path(site_id, path, base_url, progress) for path in paths
            ]
            for manifest in manifests:
                reports.append(
                    await knowledge.ingest_manifest(site_id, manifest, base_url, progress)
                )
            return reports
        finally:
            progress.close()
            db.close()

    try:
        reports = _run(job)
    except (UnknownSiteError, ManifestError) as exc:
        raise click.ClickException(str(exc)) from None
    for line in progress.failed:
        click.echo(f"failed: {line}", err=True)
    documents = [d for report in reports for d in report.documents]
    counts = {
        s: sum(1 for d in documents if d.status == s)
        for s in ("added", "updated", "unchanged", "deleted", "failed")
    }
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    chunks = sum(report.chunks for report in reports)
    embedded = sum(report.embedded for report in reports)
    seconds = sum(report.seconds for report in reports)
    click.echo(
        f"{len(documents)} documents ({summary or 'none found'}); {chunks} sections, "
        f"{embedded} embedded, in {seconds:.1f}s"
    )
    if counts["failed"]:
        sys.exit(1)


@kb_group.command("search")
@click.option("--site", "site_id", required=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (rest.KbSearchResult).")
@click.option("-k", "k", type=click.IntRange(1, 50), default=5, show_default=True)
@click.argument("question")
def kb_search(site_id: str, as_json: bool, k: int, question: str) -> None:
    """The KB sections that best answer QUESTION, best first."""

    async def job(settings: Settings) -> rest.KbSearchResult:
        db = await open_database(settings)
        try:
            if await sites.get_site(db, site_id) is None:
                raise click.ClickException(f"no site {site_id!r}")
            hits = await open_knowledge(db, settings).search(site_id, question, k)
        finally:
            db.close()
        return rest.KbSearchResult(
            query=question,
            hits=[
                rest.KbHit(url=h.url, title=h.citation_title, score=h.score, text=h.text)
                for h in hits
            ],
        )

    result = _run(job)
    if as_json:
        click.echo(json.dumps(result.model_dump(), ensure_ascii=False, indent=2))
        return
    if not result.hits:
        click.echo("no matching sections")
    for rank, hit in enumerate(result.hits, start=1):
        snippet = " ".join(hit.text.split())
        snippet = snippet if len(snippet) <= 160 else snippet[:159] + "…"
        click.echo(f"{rank}. [{hit.score:.3f}] {hit.title}\n   {hit.url}\n   {snippet}")


@kb_group.command("eval")
@click.option(
    "--site",
    "site_id",
    default=None,
    help="Evaluate this site's KB (default: the Debian FAQ, ingested into a throwaway folder).",
)
@click.option(
    "--questions",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    multiple=True,
    help="JSON lines {question, expected, lang}; repeatable (default: the Debian FAQ sets "
    + ", ".join(DEBIAN_FAQ_SETS)
    + ").",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the full reports as JSON on stdout, by set (the summaries then go to stderr).",
)
def kb_eval(site_id: str | None, questions: tuple[Path, ...], as_json: bool) -> None:
    """Recall@k and answer/decline rates of the KB on labelled question sets."""
    paths = {path.stem: path for path in questions} or DEBIAN_FAQ_SETS
    for path in paths.values():
        if not path.is_file():
            raise click.ClickException(f"no question set at {path}: pass --questions")
    asked = {name: load_questions(path) for name, path in paths.items()}

    async def on_site(settings: Settings) -> dict[str, EvalReport]:
        db = await open_database(settings)
        try:
            if site_id is not None and await sites.get_site(db, site_id) is None:
                raise click.ClickException(f"no site {site_id!r}")
            knowledge = open_knowledge(db, settings)
            if site_id is None:
                await sites.create_site(db, name="Debian FAQ", site_id=FAQ_SITE)
                progress = _Progress()
                await knowledge.ingest_path(FAQ_SITE, DEBIAN_FAQ_DIR, progress=progress)
                progress.close()
            return {
                name: await evaluate(knowledge, site_id or FAQ_SITE, questions)
                for name, questions in asked.items()
            }
        finally:
            db.close()

    if site_id is None:
        if not DEBIAN_FAQ_DIR.is_dir():
            raise click.ClickException(f"{DEBIAN_FAQ_DIR} is missing: install `debian-faq`")
        with tempfile.TemporaryDirectory(prefix="helpway-eval-") as scratch:
            reports = asyncio.run(on_site(Settings(data_dir=Path(scratch), port=0)))
    else:
        reports = _run(on_site)
    for name, report in reports.items():
        click.echo(f"{name} ({paths[name]})\n{report.table()}\n", err=as_json)
    if as_json:
        by_set = {name: report.to_dict() for name, report in reports.items()}
        click.echo(json.dumps(by_set, indent=2, ensure_ascii=False))
