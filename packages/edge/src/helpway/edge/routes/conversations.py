"""A conversation's history, for visitors and agents (the socket's catch-up, over HTTP)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from helpway.shared import errors, frames, limits
from helpway.store import messages

from ..auth import bearer_token, check_visitor_origin, participant_for
from ..bodies import read_query
from ..errors import ApiError
from ..services import services


class HistoryQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    after_seq: frames.Seq = 0
    limit: Annotated[int, Field(ge=1, le=limits.HISTORY_PAGE)] = limits.HISTORY_PAGE


async def history(request: Request) -> Response:
    query = read_query(request, HistoryQuery)
    conversation_id = request.path_params["conversation_id"]
    db = services(request).db
    participant = await participant_for(db, bearer_token(request), conversation_id)
    if participant.author.role == "visitor":
        await check_visitor_origin(request, db, participant.conversation.site_id)
    page = await messages.history_page(db, conversation_id, query.after_seq, query.limit)
    if page is None:
        raise ApiError(errors.NOT_FOUND, "no such conversation")
    return JSONResponse(page.model_dump(mode="json", exclude_none=True))


ROUTES = [Route("/api/conversations/{conversation_id}/history", history)]
