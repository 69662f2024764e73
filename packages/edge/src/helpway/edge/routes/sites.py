"""Site administration over HTTP, for the site's admins and its API keys with the scope (an
agent of the site who is not an admin gets `forbidden`, as does anyone of another site):
identity verification settings, API keys, and a visitor's data rights — export as JSON,
erase."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from helpway.shared import errors, rest
from helpway.store import api_keys, data_rights, sites, visitors
from helpway.store.api_keys import Scope
from helpway.store.database import Database

from ..auth import bearer_token, caller_for, require_scope
from ..bodies import read_model
from ..errors import ApiError
from ..services import services


async def _admin_site(request: Request, db: Database, scope: Scope) -> str:
    """The path's site id, once the bearer (a site admin, or a key of the site) holds `scope`."""
    caller = await caller_for(db, bearer_token(request))
    site_id = str(request.path_params["site_id"])
    await require_scope(db, caller, site_id, scope)
    return site_id


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
    db = services(request).db
    visitor_id = await _site_visitor(request, db, "visitors:export")
    exported = await data_rights.export_visitor(db, visitor_id)
    if exported is None:
        raise ApiError(errors.NOT_FOUND, "no such visitor on this site")
    return JSONResponse(exported)


async def erase_visitor(request: Request) -> Response:
    """Erase the visitor from D1 (profile, conversations, log): their token stops working and
    no agent can open their conversations any more."""
    db = services(request).db
    visitor_id = await _site_visitor(request, db, "visitors:erase")
    erased = await data_rights.erase_visitor(db, visitor_id)
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
KEYS_PATH = "/api/sites/{site_id}/keys"
VISITOR_PATH = "/api/sites/{site_id}/visitors/{visitor_id}"
ROUTES = [
    Route(SITE_PATH, read_identity, methods=["GET"]),
    Route(SITE_PATH, update_identity, methods=["POST"]),
    Route(VISITOR_PATH + "/export", export_visitor, methods=["GET"]),
    Route(VISITOR_PATH, erase_visitor, methods=["DELETE"]),
    Route(KEYS_PATH, list_keys, methods=["GET"]),
    Route(KEYS_PATH, create_key, methods=["POST"]),
    Route(KEYS_PATH + "/{key_id}", revoke_key, methods=["DELETE"]),
]
