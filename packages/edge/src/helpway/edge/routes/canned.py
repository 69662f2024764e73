"""A site's canned responses: every agent of the site (and its keys with `site:admin`) lists
them for the composer; site admins (and those keys) make, change and delete them."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from helpway.shared import errors, rest
from helpway.store import canned
from helpway.store.database import Database
from helpway.store.errors import Conflict

from ..auth import bearer_token, caller_for, require_scope
from ..bodies import read_model
from ..errors import ApiError
from ..services import services


def _body(response: canned.CannedResponse) -> rest.CannedResponse:
    return rest.CannedResponse(
        id=response.id,
        site_id=response.site_id,
        shortcut=response.shortcut,
        title=response.title,
        text=response.text,
        updated_at=response.updated_at,
    )


async def _admin_site(request: Request, db: Database) -> str:
    caller = await caller_for(db, bearer_token(request))
    site_id = str(request.path_params["site_id"])
    await require_scope(db, caller, site_id, "site:admin")
    return site_id


async def list_canned(request: Request) -> Response:
    db = services(request).db
    caller = await caller_for(db, bearer_token(request))
    site_id = str(request.path_params["site_id"])
    if caller.agent is None or site_id not in caller.agent.site_ids:
        await require_scope(db, caller, site_id, "site:admin")
    found = [_body(r) for r in await canned.list_canned(db, site_id)]
    return JSONResponse(rest.CannedResponseList(responses=found).model_dump())


async def create_canned(request: Request) -> Response:
    db = services(request).db
    site_id = await _admin_site(request, db)
    body = await read_model(request, rest.CannedResponseIn)
    try:
        made = await canned.create_canned(db, site_id, body.shortcut, body.title, body.text)
    except Conflict as exc:
        raise ApiError(errors.CONFLICT, str(exc)) from None
    return JSONResponse(_body(made).model_dump())


async def update_canned(request: Request) -> Response:
    db = services(request).db
    site_id = await _admin_site(request, db)
    body = await read_model(request, rest.CannedResponseIn)
    canned_id = str(request.path_params["canned_id"])
    try:
        changed = await canned.update_canned(
            db, site_id, canned_id, body.shortcut, body.title, body.text
        )
    except Conflict as exc:
        raise ApiError(errors.CONFLICT, str(exc)) from None
    if changed is None:
        raise ApiError(errors.NOT_FOUND, "no canned response of this site with that id")
    return JSONResponse(_body(changed).model_dump())


async def delete_canned(request: Request) -> Response:
    db = services(request).db
    site_id = await _admin_site(request, db)
    if not await canned.delete_canned(db, site_id, str(request.path_params["canned_id"])):
        raise ApiError(errors.NOT_FOUND, "no canned response of this site with that id")
    return Response(status_code=204)


CANNED_PATH = "/api/sites/{site_id}/canned"
ROUTES = [
    Route(CANNED_PATH, list_canned, methods=["GET"]),
    Route(CANNED_PATH, create_canned, methods=["POST"]),
    Route(CANNED_PATH + "/{canned_id}", update_canned, methods=["POST"]),
    Route(CANNED_PATH + "/{canned_id}", delete_canned, methods=["DELETE"]),
]
