"""The rooms' assistant, answered by the knowledge base.

The room wants text deltas then one final answer with `text`, `citations` as (url, title)
pairs and `resolution`; the knowledge base yields `AnswerDelta`s then an `AnswerFinal` of that
very shape, so only the deltas need unwrapping.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from helpway.knowledge.answers import AnswerDelta
from helpway.rooms.assistant import Assistant, Final

from .services import Knowledge


def kb_assistant(knowledge: Knowledge) -> Assistant:
    async def answer(site_id: str, question: str) -> AsyncIterator[str | Final]:
        async for event in knowledge.answer(site_id, question):
            yield event.text if isinstance(event, AnswerDelta) else event

    return answer
