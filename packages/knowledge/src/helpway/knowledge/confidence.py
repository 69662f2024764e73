"""When to answer and when to decline: a threshold on how close a section is to the question.

The score is the cosine similarity between the question and a hit's nearest vector (its text or
its heading); the assistant answers from the hits that reach the threshold, in rank order, and
declines when none does. multilingual-e5 packs similarities into a narrow band (unrelated text
still scores about 0.75-0.85), so the threshold sits high. It was calibrated on three labelled
sets with questions in five languages (the Debian FAQ dev set, a held-out Debian set written
for this, and the demo KB set; see `evaluation.py`): the midpoint between the lowest score of an
answerable Debian question (0.888) and the highest of any unanswerable one (0.869). Demo KB
questions that score below it are declined, which costs an answer but never misleads.

Questions in another language than the KB score lower (e5 is multilingual, not language-blind).
On a held-out set of Indonesian, Spanish, Portuguese and Thai questions against the English FAQ,
this threshold declines all 8 off-topic ones and answers 33 of the 40 answerable; a separate,
lower threshold for such questions would answer 6 more, but 4 of those from the wrong section,
so there is one threshold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .retrieval import Hit

MIN_SIMILARITY = 0.878


@dataclass(frozen=True)
class AnswerPolicy:
    min_similarity: float = MIN_SIMILARITY
    candidates: int = 5  # hits retrieved per question
    max_passages: int = 2  # sections an answer may quote

    def confident(self, hits: Sequence[Hit]) -> bool:
        return any(hit.similarity >= self.min_similarity for hit in hits)

    def grounding(self, hits: Sequence[Hit]) -> list[Hit]:
        """The passages an answer may use, in rank order: those close enough, if any."""
        close = [hit for hit in hits if hit.similarity >= self.min_similarity]
        return close[: self.max_passages]
