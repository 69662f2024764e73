"""Who the visitor of a conversation is, as far as their browser says (the console's context
panel): page, language, time zone, browser and verified user id. Agents of the site only."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from helpway.shared import errors, rest
from helpway.store import visitors

from ..auth import agent_participant, bearer_token
from ..errors import ApiError
from ..services import services
from ..user_agents import summarise


async def visitor_context(request: Request) -> Response:
    db = services(request).db
    participant = await agent_participant(
        db, bearer_token(request), request.path_params["conversation_id"]
    )
    visitor = await visitors.get_visitor(db, participant.conversation.visitor_id)
    if visitor is None:
        raise ApiError(errors.NOT_FOUND, "no such visitor")
    body = rest.VisitorContext(
        visitor_id=visitor.id,
        name=visitor.name,
        page_url=visitor.page_url,
        locale=visitor.locale,
        time_zone=visitor.time_zone,
        browser=summarise(visitor.user_agent),
        user_agent=visitor.user_agent,
        user_id=visitor.user_id,
        last_seen_at=visitor.last_seen_at,
    )
    return JSONResponse(body.model_dump())


ROUTES = [Route("/api/conversations/{conversation_id}/visitor", visitor_context)]
