"""A site's agents: who answers for it and with which role, and invites that add more.

Roles rank agent < admin < owner. An admin (or an API key with `site:admin`) lists the
members, invites agents, and changes or removes members who are agents; only an owner invites
admins, changes or removes admins and owners, or makes another owner; the last owner can be
neither demoted nor removed, so a site always has someone who may delete it.

Removing a member ends their access at once: every route checks membership on each request,
and their open sockets for the site (conversation rooms, the inbox) are closed. Revoking an
agent's sessions logs them out everywhere and closes their sockets in all their sites.

An invite is a one-time link for one e-mail and role (`store.invites`): opening it shows a
form (`/invite?token=…`, no script) or a client posts `/api/invites/accept`; either makes the
invitee an agent of the site and signs them in.
"""

from __future__ import annotations

import html
from urllib.parse import parse_qs

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from helpway.shared import errors, rest
from helpway.store import agent_sessions, agents, invites, passwords
from helpway.store.database import Database
from helpway.store.errors import Conflict

from ..auth import Caller, bearer_token, caller_for, caller_rank
from ..bodies import MAX_JSON_BYTES, describe, read_body, read_model
from ..errors import ApiError
from ..services import Services, services

ADMIN = agents.ROLE_RANK["admin"]
OWNER = agents.ROLE_RANK["owner"]


async def _manager(request: Request, db: Database) -> tuple[Caller, str, int]:
    """The caller, the path's site and the caller's rank there, once it is at least an admin."""
    caller = await caller_for(db, bearer_token(request))
    site_id = str(request.path_params["site_id"])
    rank = await caller_rank(db, caller, site_id)
    if rank < ADMIN:
        raise ApiError(errors.FORBIDDEN, "only the site's admins manage its agents")
    return caller, site_id, rank


async def _member_role(db: Database, site_id: str, agent_id: str) -> agents.SiteRole:
    role = await agents.site_role(db, agent_id, site_id)
    if role is None:
        raise ApiError(errors.NOT_FOUND, "no such agent on this site")
    return role


def _may_manage(rank: int, role: agents.SiteRole) -> None:
    """Admins manage agents; owners manage everyone."""
    if agents.ROLE_RANK[role] >= ADMIN and rank < OWNER:
        raise ApiError(errors.FORBIDDEN, "only an owner manages the site's admins and owners")


async def _keep_an_owner(db: Database, site_id: str, role: agents.SiteRole) -> None:
    if role == "owner" and await agents.owner_count(db, site_id) <= 1:
        raise ApiError(errors.CONFLICT, "a site keeps at least one owner")


async def _end_access(found: Services, site_id: str, agent_id: str) -> None:
    await found.rooms.disconnect(site_id, agent_id)
    await found.inbox.disconnect(site_id, agent_id)


async def list_members(request: Request) -> Response:
    db = services(request).db
    _, site_id, _ = await _manager(request, db)
    members = [
        rest.Member(agent_id=m.agent.id, email=m.agent.email, name=m.agent.name, role=m.role)
        for m in await agents.site_members(db, site_id)
    ]
    return JSONResponse(rest.MemberList(agents=members).model_dump())


async def list_team(request: Request) -> Response:
    """Every agent of the site may read whom a conversation can be assigned to (the console's
    "Assign to" list): names only, ordered by name, so no e-mails leak to non-admins."""
    db = services(request).db
    caller = await caller_for(db, bearer_token(request))
    site_id = str(request.path_params["site_id"])
    if await caller_rank(db, caller, site_id) < agents.ROLE_RANK["agent"]:
        raise ApiError(errors.FORBIDDEN, "not an agent of this site")
    team = [m.agent.author() for m in await agents.site_members(db, site_id)]
    team.sort(key=lambda author: (author.name.casefold(), author.id))
    return JSONResponse(rest.SiteTeam(agents=team).model_dump())


async def change_role(request: Request) -> Response:
    db = services(request).db
    _, site_id, rank = await _manager(request, db)
    agent_id = str(request.path_params["agent_id"])
    change = await read_model(request, rest.RoleUpdate)
    current = await _member_role(db, site_id, agent_id)
    _may_manage(rank, current)
    _may_manage(rank, change.role)
    if change.role != "owner":
        await _keep_an_owner(db, site_id, current)
    await agents.add_agent_to_site(db, site_id, agent_id, change.role)
    return Response(status_code=204)


async def remove_member(request: Request) -> Response:
    found = services(request)
    _, site_id, rank = await _manager(request, found.db)
    agent_id = str(request.path_params["agent_id"])
    current = await _member_role(found.db, site_id, agent_id)
    _may_manage(rank, current)
    await _keep_an_owner(found.db, site_id, current)
    await agents.remove_agent_from_site(found.db, site_id, agent_id)
    await _end_access(found, site_id, agent_id)
    return Response(status_code=204)


async def revoke_sessions(request: Request) -> Response:
    """Log a member out everywhere: every session of theirs ends, and their sockets close in
    each of their sites (a session is the agent's, not one site's)."""
    found = services(request)
    _, site_id, rank = await _manager(request, found.db)
    agent_id = str(request.path_params["agent_id"])
    _may_manage(rank, await _member_role(found.db, site_id, agent_id))
    site_ids = await agents.agent_site_ids(found.db, agent_id)
    await agent_sessions.revoke_agent_sessions(found.db, agent_id)
    for each in site_ids:
        await _end_access(found, each, agent_id)
    return Response(status_code=204)


def _invite_info(invite: invites.Invite) -> rest.InviteInfo:
    return rest.InviteInfo.model_validate(
        {
            "id": invite.id,
            "email": invite.email,
            "role": invite.role,
            "created_at": invite.created_at,
            "expires_at": invite.expires_at,
            "used_at": invite.used_at,
        }
    )


def invite_url(base_url: str, token: str) -> str:
    """The link an invitee opens: the edge's invite page."""
    return f"{base_url.rstrip('/')}/invite?token={token}"


async def create_invite(request: Request) -> Response:
    """The link's token is in this answer only; the store keeps its hash."""
    db = services(request).db
    caller, site_id, rank = await _manager(request, db)
    body = await read_model(request, rest.InviteIn)
    _may_manage(rank, body.role)
    by = None if caller.agent is None else caller.agent.agent.id
    invite, token = await invites.create_invite(db, site_id, body.email, body.role, invited_by=by)
    made = rest.InviteCreated(
        url=invite_url(str(request.base_url), token), token=token, info=_invite_info(invite)
    )
    return JSONResponse(made.model_dump())


async def list_invites(request: Request) -> Response:
    db = services(request).db
    _, site_id, _ = await _manager(request, db)
    listed = [_invite_info(invite) for invite in await invites.list_invites(db, site_id)]
    return JSONResponse(rest.InviteList(invites=listed).model_dump())


async def _accept(db: Database, body: rest.InviteAccept) -> agents.Agent:
    try:
        agent, _ = await invites.accept_invite(
            db, body.token, name=body.name, password=body.password
        )
    except invites.InviteUnusable as exc:
        raise ApiError(errors.NOT_FOUND, str(exc)) from None
    except passwords.WeakPassword as exc:
        raise ApiError(errors.INVALID, str(exc)) from None
    except Conflict as exc:
        raise ApiError(errors.FORBIDDEN, str(exc)) from None
    return agent


async def accept_invite(request: Request) -> Response:
    """Use an invite: the invitee becomes an agent of the site and is signed in."""
    db = services(request).db
    agent = await _accept(db, await read_model(request, rest.InviteAccept))
    session = rest.AgentSession(
        token=await agent_sessions.create_agent_session(db, agent.id),
        agent=agent.author(),
        site_ids=await agents.agent_site_ids(db, agent.id),
    )
    return JSONResponse(session.model_dump())


# ---------------------------------------------------------------- the invite page

# The page carries a token: never cached, never sent on as a referrer, never framed, and no
# script runs on it at all.
PAGE_HEADERS = {
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'",
}


TITLE = "Join a Helpway site"


def _page(title: str, body: str) -> HTMLResponse:
    """Always 200: the page says what went wrong (the edge turns non-JSON error responses into
    `ErrorBody`, which a person opening a link should not get)."""
    page = (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font:16px system-ui;max-width:28rem;margin:3rem auto;padding:0 1rem}"
        "label,input,button{display:block;width:100%;margin:.4rem 0}</style>"
        f"<h1>{html.escape(title)}</h1>{body}</html>"
    )
    return HTMLResponse(page, headers=PAGE_HEADERS)


def _gone() -> HTMLResponse:
    return _page("Invite not valid", "<p>This invite is unknown, used or expired.</p>")


def _form(token: str, email: str, site_id: str, error: str = "") -> str:
    problem = f"<p role=alert>{html.escape(error)}</p>" if error else ""
    return (
        f"<p>Join <b>{html.escape(site_id)}</b> as <b>{html.escape(email)}</b>.</p>{problem}"
        '<form method=post action="/invite">'
        f'<input type=hidden name=token value="{html.escape(token)}">'
        '<label>Your name<input name=name required maxlength=100 autocomplete="name"></label>'
        "<label>Password (8+ characters; an existing account's own password)"
        '<input name=password type=password required autocomplete="new-password"></label>'
        "<button>Join</button></form>"
    )


async def invite_page(request: Request) -> Response:
    token = request.query_params.get("token", "")
    invite = await invites.live_invite(services(request).db, token) if token else None
    if invite is None:
        return _gone()
    return _page(TITLE, _form(token, invite.email, invite.site_id))


async def invite_form(request: Request) -> Response:
    """The page's form, posted without any script (urlencoded); the invitee then signs in in
    the console."""
    fields = parse_qs((await read_body(request, MAX_JSON_BYTES)).decode("utf-8", "replace"))
    values = {name: found[0] for name, found in fields.items() if len(found) == 1}
    token = values.get("token", "")
    db = services(request).db
    invite = await invites.live_invite(db, token) if token else None
    if invite is None:
        return _gone()
    try:
        body = rest.InviteAccept.model_validate(
            {key: values.get(key, "") for key in ("token", "name", "password")}
        )
        agent = await _accept(db, body)
    except ValidationError as exc:
        return _page(TITLE, _form(token, invite.email, invite.site_id, describe(exc)))
    except ApiError as exc:
        return _page(TITLE, _form(token, invite.email, invite.site_id, exc.message))
    return _page(
        "Welcome",
        f"<p>You are an agent of {html.escape(invite.site_id)}, {html.escape(agent.name)}.</p>"
        '<p><a href="/console">Open the console</a> and sign in.</p>',
    )


MEMBERS_PATH = "/api/sites/{site_id}/agents"
INVITES_PATH = "/api/sites/{site_id}/invites"
ROUTES = [
    Route(MEMBERS_PATH, list_members, methods=["GET"]),
    Route("/api/sites/{site_id}/team", list_team, methods=["GET"]),
    Route(MEMBERS_PATH + "/{agent_id}", change_role, methods=["POST"]),
    Route(MEMBERS_PATH + "/{agent_id}", remove_member, methods=["DELETE"]),
    Route(MEMBERS_PATH + "/{agent_id}/sessions", revoke_sessions, methods=["DELETE"]),
    Route(INVITES_PATH, list_invites, methods=["GET"]),
    Route(INVITES_PATH, create_invite, methods=["POST"]),
    Route("/api/invites/accept", accept_invite, methods=["POST"]),
    Route("/invite", invite_page, methods=["GET"]),
    Route("/invite", invite_form, methods=["POST"]),
]
