"""The REST API described as OpenAPI 3.1 (`/api/openapi.json`) and a plain docs page
(`/api/docs`) — built from the very pydantic models the handlers validate with, so the document
cannot drift from what the server accepts. The docs page is rendered here, with no script or
stylesheet from a CDN (the edge must work offline).
"""

from __future__ import annotations

import html
from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from helpway.shared import rest

from .agents import InboxQuery
from .conversations import HistoryQuery, TranscriptQuery
from .kb import DocumentQuery, DocumentsQuery, SearchQuery
from .search import SearchQuery as MessageSearchQuery
from .visitor import ConfigQuery, ForgetQuery

REF = "#/components/schemas/{model}"
BODY_MODELS: list[type[BaseModel]] = [
    rest.ErrorBody,
    rest.VisitorSessionRequest,
    rest.VisitorSession,
    rest.History,
    rest.LoginRequest,
    rest.AgentSession,
    rest.Inbox,
    rest.SearchResult,
    rest.VisitorContext,
    rest.SuggestedReply,
    rest.CannedResponseIn,
    rest.CannedResponse,
    rest.CannedResponseList,
    rest.KbDocumentIn,
    rest.KbIngestResult,
    rest.KbSearchResult,
    rest.VisitorEmail,
    rest.VisitorPage,
    rest.WidgetConfig,
    rest.WidgetSettings,
    rest.WidgetSettingsUpdate,
    rest.SiteIdentityUpdate,
    rest.SiteIdentity,
    rest.ApiKeyIn,
    rest.ApiKeyCreated,
    rest.ApiKeyList,
    rest.KbDocumentList,
    rest.SiteIn,
    rest.SiteUpdate,
    rest.SiteInfo,
    rest.SiteList,
    rest.SiteDeleted,
    rest.MemberList,
    rest.SiteTeam,
    rest.RoleUpdate,
    rest.InviteIn,
    rest.InviteCreated,
    rest.InviteList,
    rest.InviteAccept,
    rest.Transcript,
]
# Every failure is an ErrorBody; these are the statuses a client should expect on any route.
COMMON_ERRORS = {"400": "malformed JSON", "413": "body too large", "422": "invalid field"}
BEARER_ERRORS = {"401": "missing, unknown or expired token", "403": "not yours"}


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _json(schema: dict[str, str], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _query(model: type[BaseModel]) -> list[dict[str, Any]]:
    """Query parameters from a query model: an optional field is simply left out, never `null`."""
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", ()))
    params = []
    for name, prop in schema["properties"].items():
        options = [one for one in prop.get("anyOf", [prop]) if one.get("type") != "null"]
        one = options[0] if len(options) == 1 else {"anyOf": options}
        param_schema = {k: v for k, v in one.items() if k not in ("title", "default")}
        params.append(
            {"name": name, "in": "query", "required": name in required, "schema": param_schema}
        )
    return params


def _operation(
    summary: str,
    ok: type[BaseModel] | dict[str, Any] | None,
    *,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    path_ids: tuple[str, ...] = (),
    bearer: bool = False,
    errors: dict[str, str] | None = None,
    no_content: str = "",
) -> dict[str, Any]:
    """`no_content`: why an operation that answers `ok` may also answer 204."""
    error = _ref(rest.ErrorBody)
    statuses = {**COMMON_ERRORS, **(BEARER_ERRORS if bearer else {}), **(errors or {})}
    responses: dict[str, Any] = {
        status: _json(error, why) for status, why in sorted(statuses.items())
    }
    if ok is None:
        responses["204"] = {"description": "done"}
    else:
        responses["200"] = _json(ok if isinstance(ok, dict) else _ref(ok), "ok")
    if no_content:
        responses["204"] = {"description": no_content}
    operation: dict[str, Any] = {"summary": summary, "responses": responses}
    params = _query(query) if query else []
    params[:0] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"},
        }
        for name in path_ids
    ]
    if params:
        operation["parameters"] = params
    if body:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(body)}},
        }
    if bearer:
        operation["security"] = [{"bearer": []}]
    return operation


def _transcript() -> dict[str, Any]:
    operation = _operation(
        "A conversation's whole log as JSON or plain text (the site's agents)",
        rest.Transcript,
        query=TranscriptQuery,
        path_ids=("conversation_id",),
        bearer=True,
        errors={"404": "no such resource"},
    )
    operation["responses"]["200"]["content"]["text/plain"] = {"schema": {"type": "string"}}
    return operation


@cache
def document() -> dict[str, Any]:
    _, definitions = models_json_schema(
        [(model, "validation") for model in BODY_MODELS], ref_template=REF
    )
    not_found = {"404": "no such resource"}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Helpway edge API",
            "version": "1",
            "description": "Errors are always ErrorBody JSON; `code` is a stable string.",
        },
        "components": {
            "schemas": definitions["$defs"],
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "paths": {
            "/api/visitor/session": {
                "post": _operation(
                    "Start or resume a visitor and its open conversation",
                    rest.VisitorSession,
                    body=rest.VisitorSessionRequest,
                    errors={"403": "origin not allowed for the site", **not_found},
                    no_content="resume_only, and no visitor to resume",
                ),
                "delete": _operation(
                    "Forget the site's visitor in this browser (its partitioned cookie)",
                    None,
                    query=ForgetQuery,
                ),
            },
            "/api/visitor/config": {
                "get": _operation(
                    "The site's widget config, hours decided, for a page it may run on",
                    rest.WidgetConfig,
                    query=ConfigQuery,
                    errors={"403": "origin not allowed for the site", **not_found},
                )
            },
            "/api/visitor/email": {
                "post": _operation(
                    "Leave an e-mail for the team to reply to (visitor token)",
                    None,
                    body=rest.VisitorEmail,
                    bearer=True,
                )
            },
            "/api/visitor/page": {
                "post": _operation(
                    "The page the visitor is on now, after an SPA navigation (visitor token)",
                    None,
                    body=rest.VisitorPage,
                    bearer=True,
                    errors={"403": "origin not allowed for the site"},
                )
            },
            "/api/conversations/{conversation_id}/history": {
                "get": _operation(
                    "A page of a conversation's log (visitor or agent token)",
                    rest.History,
                    query=HistoryQuery,
                    path_ids=("conversation_id",),
                    bearer=True,
                    errors=not_found,
                )
            },
            "/api/agent/login": {
                "post": _operation(
                    "Log an agent in",
                    rest.AgentSession,
                    body=rest.LoginRequest,
                    errors={"401": "wrong email or password", "429": "too many failed logins"},
                )
            },
            "/api/agent/logout": {
                "post": _operation("End the agent session of the token", None, bearer=True)
            },
            "/api/inbox": {
                "get": _operation(
                    "Conversations of the agent's sites", rest.Inbox, query=InboxQuery, bearer=True
                )
            },
            "/api/search": {
                "get": _operation(
                    "Conversations of the agent's sites with a message matching `q`",
                    rest.SearchResult,
                    query=MessageSearchQuery,
                    bearer=True,
                )
            },
            "/api/conversations/{conversation_id}/visitor": {
                "get": _operation(
                    "The visitor's page, language, time zone, browser and user (agents)",
                    rest.VisitorContext,
                    path_ids=("conversation_id",),
                    bearer=True,
                    errors=not_found,
                )
            },
            "/api/conversations/{conversation_id}/suggested-reply": {
                "post": _operation(
                    "A draft reply from the KB to the visitor's latest question (agents)",
                    rest.SuggestedReply,
                    path_ids=("conversation_id",),
                    bearer=True,
                    errors={"409": "the visitor has not asked anything yet", **not_found},
                )
            },
            "/api/sites/{site_id}/canned": {
                "get": _operation(
                    "A site's canned responses (its agents)",
                    rest.CannedResponseList,
                    path_ids=("site_id",),
                    bearer=True,
                ),
                "post": _operation(
                    "Make a canned response (site admins)",
                    rest.CannedResponse,
                    body=rest.CannedResponseIn,
                    path_ids=("site_id",),
                    bearer=True,
                    errors={"409": "shortcut taken on this site"},
                ),
            },
            "/api/sites/{site_id}/canned/{canned_id}": {
                "post": _operation(
                    "Replace a canned response (site admins)",
                    rest.CannedResponse,
                    body=rest.CannedResponseIn,
                    path_ids=("site_id", "canned_id"),
                    bearer=True,
                    errors={"409": "shortcut taken on this site", **not_found},
                ),
                "delete": _operation(
                    "Delete a canned response (site admins)",
                    None,
                    path_ids=("site_id", "canned_id"),
                    bearer=True,
                    errors=not_found,
                ),
            },
            "/api/conversations/{conversation_id}/transcript": {"get": _transcript()},
            "/api/sites": {
                "get": _operation("The caller's sites, with its role", rest.SiteList, bearer=True),
                "post": _operation(
                    "Make a site; the signed-in agent becomes its owner",
                    rest.SiteInfo,
                    body=rest.SiteIn,
                    bearer=True,
                    errors={"409": "a site with that id exists"},
                ),
            },
            "/api/sites/{site_id}": {
                "post": _operation(
                    "Rename a site and/or change its allowed origins (site admins)",
                    rest.SiteInfo,
                    body=rest.SiteUpdate,
                    path_ids=("site_id",),
                    bearer=True,
                    errors=not_found,
                ),
                "delete": _operation(
                    "Delete a site and everything of it (site owners)",
                    rest.SiteDeleted,
                    path_ids=("site_id",),
                    bearer=True,
                    errors=not_found,
                ),
            },
            "/api/sites/{site_id}/agents": {
                "get": _operation(
                    "A site's agents and their roles (site admins)",
                    rest.MemberList,
                    path_ids=("site_id",),
                    bearer=True,
                )
            },
            "/api/sites/{site_id}/team": {
                "get": _operation(
                    "Whom the site's conversations can be assigned to (its agents)",
                    rest.SiteTeam,
                    path_ids=("site_id",),
                    bearer=True,
                )
            },
            "/api/sites/{site_id}/agents/{agent_id}": {
                "post": _operation(
                    "Change a member's role (admins: agents only; owners: anyone)",
                    None,
                    body=rest.RoleUpdate,
                    path_ids=("site_id", "agent_id"),
                    bearer=True,
                    errors={**not_found, "409": "the site's last owner"},
                ),
                "delete": _operation(
                    "Remove a member: their access and sockets end at once",
                    None,
                    path_ids=("site_id", "agent_id"),
                    bearer=True,
                    errors={**not_found, "409": "the site's last owner"},
                ),
            },
            "/api/sites/{site_id}/agents/{agent_id}/sessions": {
                "delete": _operation(
                    "Log a member out everywhere: sessions revoked, sockets closed",
                    None,
                    path_ids=("site_id", "agent_id"),
                    bearer=True,
                    errors=not_found,
                )
            },
            "/api/sites/{site_id}/invites": {
                "get": _operation(
                    "A site's invites, never their tokens (site admins)",
                    rest.InviteList,
                    path_ids=("site_id",),
                    bearer=True,
                ),
                "post": _operation(
                    "Invite an e-mail; the one-time link is in this answer only",
                    rest.InviteCreated,
                    body=rest.InviteIn,
                    path_ids=("site_id",),
                    bearer=True,
                ),
            },
            "/api/invites/accept": {
                "post": _operation(
                    "Use an invite: become an agent of its site, signed in",
                    rest.AgentSession,
                    body=rest.InviteAccept,
                    errors={
                        "403": "the e-mail's account has another password",
                        "404": "invite unknown, used or expired",
                    },
                )
            },
            "/api/sites/{site_id}/widget": {
                "get": _operation(
                    "A site's widget settings: languages, theme, business hours (site admins)",
                    rest.WidgetSettings,
                    path_ids=("site_id",),
                    bearer=True,
                    errors=not_found,
                ),
                "post": _operation(
                    "Change some of a site's widget settings; answers all of them (site admins)",
                    rest.WidgetSettings,
                    body=rest.WidgetSettingsUpdate,
                    path_ids=("site_id",),
                    bearer=True,
                    errors=not_found,
                ),
            },
            "/api/sites/{site_id}/identity": {
                "get": _operation(
                    "A site's identity verification settings (site admins)",
                    rest.SiteIdentity,
                    path_ids=("site_id",),
                    bearer=True,
                    errors=not_found,
                ),
                "post": _operation(
                    "Rotate the identity secret and/or require verified users (site admins)",
                    rest.SiteIdentity,
                    body=rest.SiteIdentityUpdate,
                    path_ids=("site_id",),
                    bearer=True,
                    errors=not_found,
                ),
            },
            "/api/sites/{site_id}/keys": {
                "get": _operation(
                    "A site's API keys, never their secrets (site admins)",
                    rest.ApiKeyList,
                    path_ids=("site_id",),
                    bearer=True,
                ),
                "post": _operation(
                    "Make an API key; its secret is in this answer only (site admins)",
                    rest.ApiKeyCreated,
                    body=rest.ApiKeyIn,
                    path_ids=("site_id",),
                    bearer=True,
                ),
            },
            "/api/sites/{site_id}/keys/{key_id}": {
                "delete": _operation(
                    "Revoke an API key at once (site admins)",
                    None,
                    path_ids=("site_id", "key_id"),
                    bearer=True,
                    errors=not_found,
                )
            },
            "/api/sites/{site_id}/visitors/{visitor_id}/export": {
                "get": _operation(
                    "Everything stored about a visitor, as JSON (site admins; GDPR export)",
                    {"type": "object"},
                    path_ids=("site_id", "visitor_id"),
                    bearer=True,
                    errors=not_found,
                )
            },
            "/api/sites/{site_id}/visitors/{visitor_id}": {
                "delete": _operation(
                    "Erase a visitor and their conversations (site admins; GDPR erase)",
                    {
                        "type": "object",
                        "required": ["visitor_id", "conversation_ids"],
                        "properties": {
                            "visitor_id": {"type": "string"},
                            "conversation_ids": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                    path_ids=("site_id", "visitor_id"),
                    bearer=True,
                    errors=not_found,
                )
            },
            "/api/kb/documents": {
                "post": _operation(
                    "Ingest one document into a site's knowledge base",
                    rest.KbIngestResult,
                    body=rest.KbDocumentIn,
                    bearer=True,
                ),
                "get": _operation(
                    "A site's KB documents with their ingest status",
                    rest.KbDocumentList,
                    query=DocumentsQuery,
                    bearer=True,
                ),
                "delete": _operation(
                    "Remove a document from a site's knowledge base",
                    None,
                    query=DocumentQuery,
                    bearer=True,
                    errors=not_found,
                ),
            },
            "/api/kb/search": {
                "get": _operation(
                    "Search a site's knowledge base",
                    rest.KbSearchResult,
                    query=SearchQuery,
                    errors=not_found,
                )
            },
        },
    }


async def openapi_json(request: Request) -> Response:
    return JSONResponse(document())


async def docs(request: Request) -> Response:
    rows = []
    for path, methods in document()["paths"].items():
        for method, operation in methods.items():
            rows.append(
                f"<tr><td><code>{html.escape(method.upper())}</code></td>"
                f"<td><code>{html.escape(path)}</code></td>"
                f"<td>{html.escape(operation['summary'])}</td>"
                f"<td>{'bearer' if 'security' in operation else ''}</td></tr>"
            )
    page = (
        "<!doctype html><html lang=en><meta charset=utf-8><title>Helpway API</title>"
        "<h1>Helpway edge API</h1><p>The machine-readable document is "
        '<a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI 3.1). Errors are '
        "<code>{code, message}</code> JSON with a stable <code>code</code>.</p>"
        "<table><tr><th>Method</th><th>Path</th><th>What</th><th>Auth</th></tr>"
        + "".join(rows)
        + "</table></html>"
    )
    return HTMLResponse(page)


ROUTES = [Route("/api/openapi.json", openapi_json), Route("/api/docs", docs)]
