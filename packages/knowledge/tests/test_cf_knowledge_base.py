"""The knowledge base composed of Cloudflare adapters only — D1, Vectorize and Workers AI, each
over its binding double — ingests the demo help centre, searches and answers like the local one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from helpway.knowledge.answers import AnswerDelta, AnswerFinal
from helpway.knowledge.cloudflare.testing import (
    FakeVectorize,
    FakeWorkersAI,
    quote_first_passage,
)
from helpway.knowledge.cloudflare.vectorize import VectorizeIndex
from helpway.knowledge.cloudflare.workers_ai import (
    EMBEDDING_DIMS,
    WorkersAiEmbedder,
    WorkersAiGenerator,
)
from helpway.knowledge.confidence import AnswerPolicy
from helpway.knowledge.demo import DEMO_BASE_URL, DEMO_KB_DIR
from helpway.knowledge.knowledge_base import KnowledgeBase
from helpway.knowledge.wording import ENGLISH
from helpway.store.cloudflare.d1 import D1Database
from helpway.store.cloudflare.testing import FakeD1
from helpway.store.migrate import apply_migrations
from helpway.store.sites import create_site


@pytest.fixture
async def cf_kb(tmp_path: Path) -> AsyncIterator[tuple[KnowledgeBase, FakeWorkersAI]]:
    d1 = FakeD1(tmp_path / "d1.sqlite")
    db = D1Database(d1)
    await apply_migrations(db)
    await create_site(db, name="Demo", site_id="demo")
    ai = FakeWorkersAI(EMBEDDING_DIMS, reply=quote_first_passage)
    kb = KnowledgeBase(
        db,
        tmp_path,  # holds nothing: every adapter below is remote
        embedder=WorkersAiEmbedder(ai),
        index=VectorizeIndex(FakeVectorize(EMBEDDING_DIMS), EMBEDDING_DIMS),
        generator=WorkersAiGenerator(ai),
        # The hashed-words stand-in for bge-m3 scores unlike any real model.
        policy=AnswerPolicy(min_similarity=0.3),
    )
    report = await kb.ingest_path("demo", DEMO_KB_DIR, DEMO_BASE_URL)
    assert report.count("failed") == 0 and report.count("added") >= 10
    yield kb, ai
    d1.close()


async def test_ingest_search_and_answer_on_cloudflare_adapters(
    cf_kb: tuple[KnowledgeBase, FakeWorkersAI],
) -> None:
    kb, ai = cf_kb
    hits = await kb.search("demo", "How do I reset my password?")
    assert hits[0].url == "/help/password-reset#reset-your-password"
    assert hits[0].similarity > 0.3

    events = [event async for event in kb.answer("demo", "How do I reset my password?")]
    *pieces, final = events
    assert isinstance(final, AnswerFinal)
    assert all(isinstance(p, AnswerDelta) for p in pieces)
    assert "".join(p.text for p in pieces if isinstance(p, AnswerDelta)) == final.text
    assert final.resolution == "answered"
    assert final.citations[0].url == "/help/password-reset#reset-your-password"
    assert "Forgot password" in final.text
    [chat] = [inputs for _, inputs in ai.calls if "messages" in inputs]
    assert "<question>\nHow do I reset my password?\n</question>" in chat["messages"][1]["content"]


async def test_unrelated_questions_are_declined_without_asking_the_model(
    cf_kb: tuple[KnowledgeBase, FakeWorkersAI],
) -> None:
    kb, ai = cf_kb
    chats_before = sum(1 for _, inputs in ai.calls if "messages" in inputs)
    events = [event async for event in kb.answer("demo", "Quel temps fait-il à Lisbonne ?")]
    final = events[-1]
    assert isinstance(final, AnswerFinal)
    assert (final.text, final.resolution) == (ENGLISH.decline, "declined")
    assert sum(1 for _, inputs in ai.calls if "messages" in inputs) == chats_before


async def test_reingest_is_unchanged_and_embeds_nothing(
    cf_kb: tuple[KnowledgeBase, FakeWorkersAI],
) -> None:
    kb, ai = cf_kb
    embeds_before = len(ai.calls)
    report = await kb.ingest_path("demo", DEMO_KB_DIR, DEMO_BASE_URL)
    assert {doc.status for doc in report.documents} == {"unchanged"}
    assert len(ai.calls) == embeds_before
