"""Agents: log in and out, and read the inbox of their sites' conversations."""

from __future__ import annotations

import math
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from helpway.shared import errors, frames, limits, rest
from helpway.store import agent_sessions, agents, conversations

from ..auth import agent_for, bearer_token
from ..bodies import read_model, read_query
from ..errors import ApiError
from ..services import services


async def login(request: Request) -> Response:
    """Failed logins are limited per e-mail and per client IP (`throttle`). An attempt takes a
    token of each before any password work, so a refused one costs the server nothing (and
    counts: a client that keeps hammering stays shut, one that waits Retry-After gets in); a
    successful one gives them back."""
    body = await read_model(request, rest.LoginRequest)
    found = services(request)
    db = found.db
    email = agents.normalize_email(body.email)
    ip = request.client.host if request.client else None
    keys = found.login_limits.keys(email, ip)
    wait_ms = await found.login_limiter.take(keys)
    if wait_ms:
        wait = math.ceil(wait_ms / 1000)
        raise ApiError(
            errors.RATE_LIMITED,
            f"too many failed logins: try again in {wait} s",
            {"retry-after": str(wait)},
        )
    agent = await agents.authenticate_agent(db, email, body.password)
    if agent is None:
        raise ApiError(errors.UNAUTHORIZED, "wrong email or password")
    await found.login_limiter.give_back(keys)
    token = await agent_sessions.create_agent_session(db, agent.id)
    session = rest.AgentSession(
        token=token, agent=agent.author(), site_ids=await agents.agent_site_ids(db, agent.id)
    )
    return JSONResponse(session.model_dump())


async def logout(request: Request) -> Response:
    """End the session server-side: its token is refused from now on, everywhere (the console
    also forgets it, but a copy elsewhere must not outlive the logout)."""
    db = services(request).db
    if not await agent_sessions.revoke_agent_session(db, bearer_token(request)):
        raise ApiError(errors.UNAUTHORIZED, "unknown or expired agent session")
    return Response(status_code=204)


class PageCursor(BaseModel):
    """A page of conversations, newest activity first, continues after the last row of the
    page before: its conversation's `updated_at` and id (the inbox and search page alike)."""

    model_config = ConfigDict(extra="forbid")

    # Bounded like a seq: a number SQLite can bind and a browser can hold exactly.
    before_updated_at: Annotated[int, Field(ge=0, le=limits.MAX_SEQ)] | None = None
    before_id: frames.Id | None = None

    @model_validator(mode="after")
    def _whole_cursor(self) -> Self:
        if (self.before_updated_at is None) != (self.before_id is None):
            raise ValueError("before_updated_at and before_id go together")
        return self

    def cursor(self) -> conversations.InboxCursor | None:
        if self.before_updated_at is None or self.before_id is None:
            return None
        return conversations.InboxCursor(updated_at=self.before_updated_at, id=self.before_id)


class InboxQuery(PageCursor):
    """The first page (no cursor) starts with every conversation waiting for a human; a next
    page starts after the last other conversation of the page before.
    `filter` narrows the list (`mine`: assigned to the caller); paging is the same for each."""

    filter: rest.InboxFilter = "all"
    limit: Annotated[int, Field(ge=1, le=conversations.INBOX_LIMIT)] = conversations.INBOX_LIMIT


async def inbox(request: Request) -> Response:
    query = read_query(request, InboxQuery)
    db = services(request).db
    identity = await agent_for(db, bearer_token(request))
    rows = await conversations.inbox(
        db,
        identity.site_ids,
        limit=query.limit,
        before=query.cursor(),
        filter=query.filter,
        agent_id=identity.agent.id,
    )
    return JSONResponse(rest.Inbox(conversations=rows).model_dump())


ROUTES = [
    Route("/api/agent/login", login, methods=["POST"]),
    Route("/api/agent/logout", logout, methods=["POST"]),
    Route("/api/inbox", inbox),
]
