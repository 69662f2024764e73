"""Search over the messages of an agent's sites' conversations (the console's search box)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from helpway.shared import limits, rest
from helpway.store import search

from ..auth import agent_for, bearer_token
from ..bodies import read_query
from ..services import services
from .agents import PageCursor


class SearchQuery(PageCursor):
    """`q`: what the agent typed; pages continue as the inbox's do."""

    q: Annotated[str, Field(min_length=1, max_length=limits.MAX_QUERY_CHARS)]
    limit: Annotated[int, Field(ge=1, le=search.SEARCH_LIMIT)] = search.SEARCH_LIMIT


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
