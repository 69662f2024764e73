"""A conversation's history, for visitors and agents (the socket's catch-up, over HTTP), and its
whole transcript for the site's agents, as JSON or plain text.

A transcript carries whatever visitors typed, so it is never served as something a browser
could render: JSON or `text/plain` (with `nosniff`, as every API answer), as a download, under a
sandboxing CSP; in the text form a message's own line breaks are indented, so a typed line can
never pass for another entry.

As on the socket, a visitor's pages never hold agents-only entries (notes, assignments)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from helpway.shared import errors, frames, limits, rest
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
    agent = participant.author.role == "agent"
    page = await messages.history_page(
        db, conversation_id, query.after_seq, query.limit, agents_only=agent
    )
    if page is None:
        raise ApiError(errors.NOT_FOUND, "no such conversation")
    return JSONResponse(page.model_dump(mode="json", exclude_none=True))


class TranscriptQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: Literal["json", "text"] = "json"


TRANSCRIPT_HEADERS = {"content-security-policy": "default-src 'none'; sandbox"}


async def transcript(request: Request) -> Response:
    query = read_query(request, TranscriptQuery)
    conversation_id = request.path_params["conversation_id"]
    db = services(request).db
    participant = await participant_for(db, bearer_token(request), conversation_id)
    if participant.author.role == "visitor":
        raise ApiError(errors.FORBIDDEN, "transcripts are for the site's agents")
    conversation = participant.conversation
    entries: list[frames.Message | frames.Event] = []
    after = 0
    while (page := await messages.history_page(db, conversation_id, after)) is not None:
        entries += page.entries
        if not page.more or not page.entries:
            break
        after = page.entries[-1].seq
    body = rest.Transcript(
        conversation_id=conversation.id,
        site_id=conversation.site_id,
        visitor_id=conversation.visitor_id,
        status=conversation.status,
        created_at=conversation.created_at,
        entries=entries,
    )
    name = f"conversation-{conversation.id}"
    if query.format == "text":
        headers = {
            **TRANSCRIPT_HEADERS,
            "content-disposition": f'attachment; filename="{name}.txt"',
        }
        return PlainTextResponse(transcript_text(body), headers=headers)
    headers = {**TRANSCRIPT_HEADERS, "content-disposition": f'attachment; filename="{name}.json"'}
    return JSONResponse(body.model_dump(mode="json", exclude_none=True), headers=headers)


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _indented(text: str) -> str:
    """A text's later lines indented under its first, whatever its line breaks."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\n    ")


# Control characters but tab and line feed, as `\u001b`: the text rule keeps them out of what is
# sent now, but a room's older entries (and names) may hold them, and a transcript is read in
# terminals and editors, where an escape sequence would redraw the screen or hide lines.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _escaped(text: str) -> str:
    return _CONTROLS.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def transcript_text(body: rest.Transcript) -> str:
    lines = [f"Conversation {body.conversation_id} (site {body.site_id}, {body.status})", ""]
    for entry in body.entries:
        who = f"{entry.author.name} ({entry.author.role})"
        if isinstance(entry, frames.Event):
            lines.append(f"[{_when(entry.created_at)}] * {entry.name} by {who}: {entry.status}")
            if entry.rating is not None:
                lines.append(f"    rating: {entry.rating.score} of 5")
                if entry.rating.comment:
                    lines.append("    comment: " + _indented(entry.rating.comment))
            continue
        lines.append(f"[{_when(entry.created_at)}] {who}: {_indented(entry.text)}")
        lines += [f"    source: {c.title} <{c.url}>" for c in entry.citations]
    return _escaped("\n".join(lines)) + "\n"


ROUTES = [
    Route("/api/conversations/{conversation_id}/history", history),
    Route("/api/conversations/{conversation_id}/transcript", transcript),
]
