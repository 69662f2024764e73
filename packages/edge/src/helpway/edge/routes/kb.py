"""Knowledge-base admin over HTTP: ingest or delete one document and list the documents with
their ingest status (agents of the site, or its API keys with kb:write / kb:read), search (public,
like a help centre's search box)."""

from __future__ import annotations

from typing import Annotated, Literal, cast

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from helpway.knowledge.documents import Format
from helpway.shared import errors, frames, limits, rest
from helpway.store import kb, sites

from ..auth import bearer_token, caller_for, require_scope
from ..bodies import MAX_DOCUMENT_BYTES, read_model, read_query
from ..errors import ApiError
from ..services import services

MAX_HITS = 20


class SearchQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    site_id: frames.Id
    q: Annotated[str, Field(min_length=1, max_length=limits.MAX_QUERY_CHARS, pattern=r"\S")]
    k: Annotated[int, Field(ge=1, le=MAX_HITS)] = 5


async def ingest_document(request: Request) -> Response:
    found = services(request)
    caller = await caller_for(found.db, bearer_token(request))
    body = await read_model(request, rest.KbDocumentIn, MAX_DOCUMENT_BYTES)
    await require_scope(found.db, caller, body.site_id, "kb:write")
    try:
        result = await found.knowledge.ingest_document(
            body.site_id, body.url, body.title or None, body.content, cast(Format, body.format)
        )
    except ValueError as exc:
        raise ApiError(errors.INVALID, str(exc)) from None
    ingested = rest.KbIngestResult(
        document_url=result.url,
        status=cast(Literal["added", "updated", "unchanged"], result.status),
        chunks=result.chunks,
        embedded=result.embedded,
    )
    return JSONResponse(ingested.model_dump())


async def delete_document(request: Request) -> Response:
    """Remove a document, its chunks and vectors from the site's KB: it is cited no more."""
    found = services(request)
    caller = await caller_for(found.db, bearer_token(request))
    query = read_query(request, DocumentQuery)
    await require_scope(found.db, caller, query.site_id, "kb:write")
    if not await found.knowledge.delete_document(query.site_id, query.url):
        raise ApiError(errors.NOT_FOUND, "no such document in this site's KB")
    return Response(status_code=204)


class DocumentsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    site_id: frames.Id


class DocumentQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    site_id: frames.Id
    url: Annotated[str, Field(min_length=1, max_length=limits.MAX_URL_CHARS)]


async def list_documents(request: Request) -> Response:
    found = services(request)
    caller = await caller_for(found.db, bearer_token(request))
    query = read_query(request, DocumentsQuery)
    await require_scope(found.db, caller, query.site_id, "kb:read")
    rows = await kb.list_documents(found.db, query.site_id)
    listing = rest.KbDocumentList(
        site_id=query.site_id,
        documents=[
            rest.KbDocumentStatus(
                url=row.url,
                title=row.title,
                format=row.format,
                status=row.status,
                error=row.error,
                chunks=row.chunk_count,
                updated_at=row.updated_at,
            )
            for row in rows
        ],
    )
    return JSONResponse(listing.model_dump())


async def search(request: Request) -> Response:
    query = read_query(request, SearchQuery)
    found = services(request)
    if await sites.get_site(found.db, query.site_id) is None:
        raise ApiError(errors.NOT_FOUND, "no such site")
    hits = await found.knowledge.search(query.site_id, query.q, query.k)
    result = rest.KbSearchResult(
        query=query.q,
        hits=[
            rest.KbHit(url=hit.url, title=hit.citation_title, score=hit.score, text=hit.text)
            for hit in hits
        ],
    )
    return JSONResponse(result.model_dump())


ROUTES = [
    Route("/api/kb/documents", ingest_document, methods=["POST"]),
    Route("/api/kb/documents", list_documents, methods=["GET"]),
    Route("/api/kb/documents", delete_document, methods=["DELETE"]),
    Route("/api/kb/search", search),
]
