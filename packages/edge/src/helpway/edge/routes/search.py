"""Search over the messages of an agent's sites' conversations (the console's search box)."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from helpway.shared import frames, limits, rest
from helpway.store import conversations, search

from ..auth import agent_for, bearer_token
from ..bodies import read_query
from ..services import services


class SearchQuery(BaseModel):
    """`q`: what the agent typed. A next page starts after the last hit of the page before:
    its conversation's `updated_at` and id (as the inbox pages)."""

    model_config = ConfigDict(extra="forbid")

    q: Annotated[str, Field(min_length=1, max_length=limits.MAX_QUERY_CHARS)]
    limit: Annotated[int, Field(ge=1, le=search.SEARCH_LIMIT)] = search.SEARCH_LIMIT
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


async def search_messages(request: Request) -> Response:
    query = read_query(request, SearchQuery)
    db = services(request).db
    identity = await agent_for(db, bearer_token(request))
    hits, more = await search.search_messages(
        db, identity.site_ids, query.q, limit=query.limit, before=query.cursor()
    )
    body = rest.SearchResult(
        query=query.q,
        hits=[
            rest.SearchHit(
                conversation=hit.conversation,
                seq=hit.seq,
                snippet=hit.snippet,
                created_at=hit.created_at,
                highlights=list(hit.highlights),
            )
            for hit in hits
        ],
        more=more,
    )
    return JSONResponse(body.model_dump())


ROUTES = [Route("/api/search", search_messages)]
