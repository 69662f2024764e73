"""The offline `Generator`: an extractive, grounded composer.

No usable chat model runs offline on a small CPU, so the local assistant answers by quoting:
it takes the best section, keeps its paragraphs that share the most words with the question
(plus the first one, where help articles put the direct answer, and the line a colon
introduces), and names the section it quotes. Every word of an answer is either fixed wording or
copied from the knowledge base, so it cannot invent facts, and neither visitor nor KB text can
instruct it: both are only ever compared and copied, never followed.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence

from .answers import AnswerDelta, AnswerEvent, AnswerFinal, Citation, Resolution
from .chunking import strip_numbering
from .lexical import word_terms
from .retrieval import Hit
from .wording import ENGLISH, Wording, wording_for

BUDGET = 500  # characters quoted from the main section: a chat bubble, not a page
# Another section is named ("See also") only when it is about as close to the question.
SEE_ALSO_MARGIN = 0.015
WORDS_PER_DELTA = 3
_STEM = 5  # stems are cut to five letters: "installed" and "installation" match


def _stem(word: str) -> str:
    """A crude stem, enough to match "holding" with "hold" and "packages" with "package"."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)][:_STEM]
    return word[:_STEM]


def _stems(text: str) -> set[str]:
    return {_stem(word) for word in word_terms(text)}


def _shorten(block: str, budget: int) -> str:
    """Cut a block to the budget at a sentence (else word) boundary, marking the cut."""
    if len(block) <= budget:
        return block
    cut = max(block.rfind(". ", 0, budget), block.rfind("\n", 0, budget))
    if cut < budget // 3:
        cut = block.rfind(" ", 0, budget)
    return block[: cut + 1].rstrip() + " …"


def _clean_start(blocks: list[str], i: int) -> bool:
    """A run may not start mid-thought: on a continuation ("and remove it with") or a command."""
    return not blocks[i][:1].islower()


def _clean_end(blocks: list[str], i: int) -> bool:
    """A run may not end on an introduction ("run:") or before a continuation."""
    introduces = blocks[i].rstrip().endswith(":")
    continued = i + 1 < len(blocks) and blocks[i + 1][:1].islower()
    return not introduces and not continued


def excerpt(text: str, question: str, budget: int = BUDGET) -> str:
    """The best run of consecutive paragraphs of `text` for `question`, within `budget`.

    A run reads as one piece, unlike scattered sentences. It is scored by the question's words
    its paragraphs contain, and cannot cut an instruction from the command it introduces. The
    section's first paragraph, where help articles put the direct answer, leads the excerpt
    when it is short enough.
    """
    if len(text) <= budget:
        return text
    blocks = text.split("\n\n")
    wanted = _stems(question)
    scores = [len(wanted & _stems(block)) for block in blocks]
    lead_cost = len(blocks[0]) + len("\n\n…\n\n") if len(blocks[0]) <= budget // 3 else 0
    best: tuple[float, int, int] | None = None  # (score, start, end)
    for start in range(len(blocks)):
        if not _clean_start(blocks, start):
            continue
        size = (lead_cost if start > 0 else 0) - 2
        for end in range(start, len(blocks)):
            size += len(blocks[end]) + 2
            if size > budget:
                break
            # Among runs as relevant, the shortest wins: no filler around the answer.
            score = sum(scores[start : end + 1]) + (1.5 if start == 0 else 0) - size / 10_000
            if _clean_end(blocks, end) and (best is None or score > best[0]):
                best = (score, start, end)
    if best is None:
        return _shorten(blocks[0], budget) + ("" if len(blocks) == 1 else "\n\n…")
    _, start, end = best
    parts = blocks[start : end + 1]
    if start > 0:
        parts = [blocks[0], "…", *parts] if lead_cost else ["…", *parts]
    if end < len(blocks) - 1:
        parts.append("…")
    return "\n\n".join(parts)


def _label(hit: Hit) -> str:
    return strip_numbering(hit.heading or hit.title or hit.url)


def compose(
    question: str, passages: Sequence[Hit], wording: Wording = ENGLISH
) -> tuple[str, list[Citation]]:
    """The answer text and the sections it cites; the first passage is quoted, others named,
    in the words of `wording`."""
    main, others = passages[0], passages[1:]
    parts = [wording.quoting.format(_label(main)), excerpt(main.text, question)]
    citations = [Citation(main.url, main.citation_title)]
    for other in others:
        close = other.similarity >= main.similarity - SEE_ALSO_MARGIN
        page_intro = other.heading == other.title
        if close and not page_intro and other.url not in {c.url for c in citations}:
            parts.append(wording.see_also.format(_label(other)))
            citations.append(Citation(other.url, other.citation_title))
    return "\n\n".join(parts), citations


def deltas(text: str, words: int = WORDS_PER_DELTA) -> list[str]:
    """Small pieces of `text` that join back to exactly `text`."""
    tokens = re.findall(r"\s*\S+\s*", text)
    return ["".join(tokens[i : i + words]) for i in range(0, len(tokens), words)] or [text]


class ExtractiveGenerator:
    async def generate(self, question: str, passages: Sequence[Hit]) -> AsyncIterator[AnswerEvent]:
        resolution: Resolution = "answered" if passages else "declined"
        wording = wording_for(question)
        if passages:
            text, citations = compose(question, passages, wording)
        else:
            text, citations = wording.decline, []
        for piece in deltas(text):
            yield AnswerDelta(piece)
            await asyncio.sleep(0)  # let the room send each piece as it comes
        yield AnswerFinal(text, citations, resolution)
