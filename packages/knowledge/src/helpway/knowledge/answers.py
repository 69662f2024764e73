"""What an answer stream is, and the `Generator` port that produces one.

Every generator — the offline extractive composer, Workers AI, an OpenAI-compatible server —
yields the same events: `AnswerDelta`s in order, then exactly one `AnswerFinal` whose text is
the deltas joined. The room streams the deltas to the widget and persists the final message, so
the widget cannot tell generators apart. Visitor and KB text reach a generator only as data to
quote or summarise; the assistant has no tools, so there is nothing an injected instruction
could make it do beyond saying words.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Literal, NamedTuple, Protocol

from .retrieval import Hit

Resolution = Literal["answered", "declined"]


class Citation(NamedTuple):
    """A section the answer used: `url` ends with the section's `#anchor`."""

    url: str
    title: str


class AnswerDelta(NamedTuple):
    text: str


class AnswerFinal(NamedTuple):
    text: str
    citations: list[Citation]
    resolution: Resolution


AnswerEvent = AnswerDelta | AnswerFinal


class Generator(Protocol):
    def generate(self, question: str, passages: Sequence[Hit]) -> AsyncIterator[AnswerEvent]:
        """Answer `question` from `passages` (best first); with no passages, decline."""
        ...
