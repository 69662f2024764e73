"""An AI-suggested reply: the knowledge base's answer to the visitor's latest question, handed
to the agent as a draft. It is only ever returned, never sent: the agent edits it in the
composer and sends it (or not) like any reply of their own."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from helpway.knowledge.answers import AnswerFinal
from helpway.shared import errors, frames, rest
from helpway.store import messages

from ..auth import agent_participant, bearer_token
from ..errors import ApiError
from ..services import services


async def suggested_reply(request: Request) -> Response:
    found = services(request)
    conversation_id = request.path_params["conversation_id"]
    participant = await agent_participant(found.db, bearer_token(request), conversation_id)
    question = await messages.latest_text(found.db, conversation_id, "visitor")
    if question is None:
        raise ApiError(errors.CONFLICT, "the visitor has not asked anything yet")
    final: AnswerFinal | None = None
    async for event in found.knowledge.answer(participant.conversation.site_id, question):
        if isinstance(event, AnswerFinal):
            final = event
    if final is None:
        raise ApiError(errors.INTERNAL, "the knowledge base gave no answer")
    body = rest.SuggestedReply(
        conversation_id=conversation_id,
        question=question,
        text=final.text,
        citations=[frames.Citation(url=c.url, title=c.title) for c in final.citations],
        resolution=final.resolution,
    )
    return JSONResponse(body.model_dump())


ROUTES = [
    Route("/api/conversations/{conversation_id}/suggested-reply", suggested_reply, methods=["POST"])
]
