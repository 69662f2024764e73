"""Agents: log in, and read the inbox of their sites' conversations."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from helpway.shared import errors, rest
from helpway.store import agent_sessions, agents, conversations

from ..auth import agent_for, bearer_token
from ..bodies import read_model
from ..errors import ApiError
from ..services import services


async def login(request: Request) -> Response:
    body = await read_model(request, rest.LoginRequest)
    db = services(request).db
    agent = await agents.authenticate_agent(db, body.email, body.password)
    if agent is None:
        raise ApiError(errors.UNAUTHORIZED, "wrong email or password")
    token = await agent_sessions.create_agent_session(db, agent.id)
    session = rest.AgentSession(
        token=token, agent=agent.author(), site_ids=await agents.agent_site_ids(db, agent.id)
    )
    return JSONResponse(session.model_dump())


async def inbox(request: Request) -> Response:
    db = services(request).db
    identity = await agent_for(db, bearer_token(request))
    rows = await conversations.inbox(db, identity.site_ids)
    return JSONResponse(rest.Inbox(conversations=rows).model_dump())


ROUTES = [
    Route("/api/agent/login", login, methods=["POST"]),
    Route("/api/inbox", inbox),
]
