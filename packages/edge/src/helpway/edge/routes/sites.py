"""Site administration over HTTP, for the site's admins and its API keys with the scope (an
agent of the site who is not an admin gets `forbidden`, as does anyone of another site):
the site itself (made by any signed-in agent, who becomes its owner; listed for its agents;
renamed and its origins changed by its admins; deleted by its owners), the widget's settings
(languages, theme, business hours), identity verification settings, API keys, and a visitor's
data rights — export as JSON, erase everywhere.

What deleting a site removes (`erasure.delete_site`): every KB document (rows and vectors),
then in one D1 batch its conversations and their log, visitors, memberships, API keys and
invites, then each conversation's room storage (its sockets closed first); the agents' inbox
sockets for the site are closed. Agents' accounts stay (they may answer for other sites), and
so do files the CLI ingested from (they are the owner's, outside the data folder)."""

from __future__ import annotations

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from helpway.shared import errors, rest
from helpway.store import agents, api_keys, data_rights, sites, visitors
from helpway.store.api_keys import Scope
from helpway.store.database import Database
from helpway.store.errors import Conflict

from .. import erasure
from ..auth import agent_for, bearer_token, caller_for, caller_rank, require_scope
from ..bodies import describe, read_model
from ..errors import ApiError
from ..services import services


def _site_info(site: sites.Site, role: agents.SiteRole | None) -> rest.SiteInfo:
    return rest.SiteInfo.model_validate(
        {
            "id": site.id,
            "name": site.name,
            "allowed_origins": list(site.allowed_origins),
            "role": role,
            "created_at": site.created_at,
        }
    )


async def create_site(request: Request) -> Response:
    """Any signed-in agent may make a site (a platform of many tenants: nobody else is
    affected) and becomes its owner; API keys belong to one site and cannot."""
    db = services(request).db
    me = await agent_for(db, bearer_token(request))
    body = await read_model(request, rest.SiteIn)
    try:
        site = await sites.create_site(
            db, name=body.name, site_id=body.id, allowed_origins=body.allowed_origins
        )
    except Conflict as exc:
        raise ApiError(errors.CONFLICT, str(exc)) from None
    await agents.add_agent_to_site(db, site.id, me.agent.id, "owner")
    return JSONResponse(_site_info(site, "owner").model_dump())


async def list_sites(request: Request) -> Response:
    """The caller's sites (an agent's), with its role on each."""
    db = services(request).db
    me = await agent_for(db, bearer_token(request))
    mine = await sites.sites_of_agent(db, me.agent.id)
    listed = rest.SiteList(sites=[_site_info(site, role) for site, role in mine])
    return JSONResponse(listed.model_dump())


async def update_site(request: Request) -> Response:
    db = services(request).db
    caller = await caller_for(db, bearer_token(request))
    site_id = str(request.path_params["site_id"])
    await require_scope(db, caller, site_id, "site:admin")
    change = await read_model(request, rest.SiteUpdate)
    site = await sites.update_site(
        db, site_id, name=change.name, allowed_origins=change.allowed_origins
    )
    if site is None:
        raise ApiError(errors.NOT_FOUND, "no such site")
    role = (
        None if caller.agent is None else await agents.site_role(db, caller.agent.agent.id, site_id)
    )
    return JSONResponse(_site_info(site, role).model_dump())


async def delete_site(request: Request) -> Response:
    """Owners only (see the module's docstring for what goes)."""
    found = services(request)
    db = found.db
    caller = await caller_for(db, bearer_token(request))
    site_id = str(request.path_params["site_id"])
    if await caller_rank(db, caller, site_id) < agents.ROLE_RANK["owner"]:
        raise ApiError(errors.FORBIDDEN, "only the site's owners may delete it")
    members = await agents.site_members(db, site_id)
    body = await erasure.delete_site(db, found.knowledge, found.rooms.erase, site_id)
    if body is None:
        raise ApiError(errors.NOT_FOUND, "no such site")
    for member in members:
        await found.inbox.disconnect(site_id, member.agent.id)
    return JSONResponse(body.model_dump())


async def _admin_site(request: Request, db: Database, scope: Scope) -> str:
    """The path's site id, once the bearer (a site admin, or a key of the site) holds `scope`."""
    caller = await caller_for(db, bearer_token(request))
    site_id = str(request.path_params["site_id"])
    await require_scope(db, caller, site_id, scope)
    return site_id


async def read_widget(request: Request) -> Response:
    db = services(request).db
    site = await sites.get_site(db, await _admin_site(request, db, "site:admin"))
    if site is None:
        raise ApiError(errors.NOT_FOUND, "no such site")
    return JSONResponse(site.config.model_dump(mode="json"))


async def update_widget(request: Request) -> Response:
    """Change some of the widget's settings; the answer is all of them as they now are. Visitors
    get them with their next session."""
    db = services(request).db
    site_id = await _admin_site(request, db, "site:admin")
    change = await read_model(request, rest.WidgetSettingsUpdate)
    site = await sites.get_site(db, site_id)
    if site is None:
        raise ApiError(errors.NOT_FOUND, "no such site")
    try:
        settings = change.applied_to(site.config)
    except ValidationError as exc:
        raise ApiError(errors.INVALID, describe(exc)) from None
    await sites.update_site(db, site_id, config=settings)
    return JSONResponse(settings.model_dump(mode="json"))


def _identity(site: sites.Site, show_secret: bool) -> Response:
    body = rest.SiteIdentity(
        site_id=site.id,
        required=site.identity_required,
        has_secret=site.identity_secret is not None,
        secret=site.identity_secret if show_secret else None,
    )
    return JSONResponse(body.model_dump(exclude_none=True))


async def update_identity(request: Request) -> Response:
    db = services(request).db
    site_id = await _admin_site(request, db, "site:admin")
    change = await read_model(request, rest.SiteIdentityUpdate)
    before = await sites.get_site(db, site_id)
    site = await sites.set_identity(
        db, site_id, rotate_secret=change.rotate_secret, required=change.required
    )
    if before is None or site is None:
        raise ApiError(errors.NOT_FOUND, "no such site")
    return _identity(site, show_secret=site.identity_secret != before.identity_secret)


async def read_identity(request: Request) -> Response:
    db = services(request).db
    site = await sites.get_site(db, await _admin_site(request, db, "site:admin"))
    if site is None:
        raise ApiError(errors.NOT_FOUND, "no such site")
    return _identity(site, show_secret=False)


async def _site_visitor(request: Request, db: Database, scope: Scope) -> str:
    """The path's visitor id, once the bearer holds `scope` on the visitor's site."""
    site_id = await _admin_site(request, db, scope)
    visitor = await visitors.get_visitor(db, str(request.path_params["visitor_id"]))
    if visitor is None or visitor.site_id != site_id:
        raise ApiError(errors.NOT_FOUND, "no such visitor on this site")
    return visitor.id


async def export_visitor(request: Request) -> Response:
    """What D1 holds, plus, per conversation, `room_entries`: log entries its room holds that
    D1 does not yet (the outbox copies them shortly), in their wire form."""
    found = services(request)
    visitor_id = await _site_visitor(request, found.db, "visitors:export")
    exported = await data_rights.export_visitor(found.db, visitor_id)
    if exported is None:
        raise ApiError(errors.NOT_FOUND, "no such visitor on this site")
    for conversation in exported["conversations"]:
        in_d1 = max((entry["seq"] for entry in conversation["entries"]), default=0)
        extra = await found.rooms.room_log(conversation["id"], in_d1)
        conversation["room_entries"] = [
            entry.model_dump(mode="json", exclude_none=True) for entry in extra
        ]
    return JSONResponse(exported)


async def erase_visitor(request: Request) -> Response:
    """Erase the visitor everywhere: D1 (profile, conversations, log) in one batch, then each
    conversation's room (its sockets closed, its storage — log and pending outbox — deleted).
    Their token stops working and no agent can open their conversations any more. The KB holds
    nothing of visitors (it is the site's own articles), so there is nothing to erase there."""
    found = services(request)
    visitor_id = await _site_visitor(request, found.db, "visitors:erase")
    erased = await erasure.erase_visitor(found.db, found.rooms.erase, visitor_id)
    if erased is None:
        raise ApiError(errors.NOT_FOUND, "no such visitor on this site")
    return JSONResponse({"visitor_id": visitor_id, "conversation_ids": erased})


def _key_info(key: api_keys.ApiKey) -> rest.ApiKeyInfo:
    return rest.ApiKeyInfo.model_validate(
        {
            "id": key.id,
            "name": key.name,
            "scopes": list(key.scopes),
            "created_at": key.created_at,
            "revoked_at": key.revoked_at,
        }
    )


async def list_keys(request: Request) -> Response:
    db = services(request).db
    site_id = await _admin_site(request, db, "site:admin")
    keys = [_key_info(key) for key in await api_keys.list_api_keys(db, site_id)]
    return JSONResponse(rest.ApiKeyList(keys=keys).model_dump())


async def create_key(request: Request) -> Response:
    """The key's secret is in this answer only; the store keeps its hash."""
    db = services(request).db
    site_id = await _admin_site(request, db, "site:admin")
    body = await read_model(request, rest.ApiKeyIn)
    key, secret = await api_keys.create_api_key(db, site_id, body.name, body.scopes)
    return JSONResponse(rest.ApiKeyCreated(key=secret, info=_key_info(key)).model_dump())


async def revoke_key(request: Request) -> Response:
    db = services(request).db
    site_id = await _admin_site(request, db, "site:admin")
    key_id = str(request.path_params["key_id"])
    if not await api_keys.revoke_api_key(db, key_id, site_id=site_id):
        raise ApiError(errors.NOT_FOUND, "no live key of this site with that id")
    return Response(status_code=204)


SITE_PATH = "/api/sites/{site_id}/identity"
WIDGET_PATH = "/api/sites/{site_id}/widget"
KEYS_PATH = "/api/sites/{site_id}/keys"
VISITOR_PATH = "/api/sites/{site_id}/visitors/{visitor_id}"
ROUTES = [
    Route("/api/sites", list_sites, methods=["GET"]),
    Route("/api/sites", create_site, methods=["POST"]),
    Route("/api/sites/{site_id}", update_site, methods=["POST"]),
    Route("/api/sites/{site_id}", delete_site, methods=["DELETE"]),
    Route(WIDGET_PATH, read_widget, methods=["GET"]),
    Route(WIDGET_PATH, update_widget, methods=["POST"]),
    Route(SITE_PATH, read_identity, methods=["GET"]),
    Route(SITE_PATH, update_identity, methods=["POST"]),
    Route(VISITOR_PATH + "/export", export_visitor, methods=["GET"]),
    Route(VISITOR_PATH, erase_visitor, methods=["DELETE"]),
    Route(KEYS_PATH, list_keys, methods=["GET"]),
    Route(KEYS_PATH, create_key, methods=["POST"]),
    Route(KEYS_PATH + "/{key_id}", revoke_key, methods=["DELETE"]),
]
