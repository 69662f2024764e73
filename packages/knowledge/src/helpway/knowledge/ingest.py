"""Ingest: documents to chunk rows (database) and chunk vectors (vector index).

Writes go vectors first, rows second, stale vectors last. Since retrieval trusts only vectors
that have a row, a crash at any point leaves search consistent, and the next ingest of the same
document repairs what is missing: it embeds exactly the chunks whose vector is absent from the
index (an unchanged chunk keeps its id, so nothing is re-embedded), and the embedding cache makes
even that cheap when the text was seen before.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Literal

from helpway.store import kb as kb_rows
from helpway.store.database import Database
from helpway.store.sites import get_site

from .chunking import PATH_SEPARATOR, Chunk, chunk_document
from .documents import Format
from .embedder import Embedder, Kind, Vectors
from .fetching import FetchError, fetch_page
from .manifest import read_manifest
from .offload import Offload
from .parsing import parse_document
from .sources import NotADocumentError, SourceFile, discover, document_text, document_url
from .vector_ids import heading_vector_id
from .vector_index import VectorIndex, VectorRecord

Status = Literal["added", "updated", "unchanged", "deleted", "failed"]
UPSERT_BATCH = 500  # Vectorize accepts at most 1000 vectors per call from a Worker


@dataclass(frozen=True)
class DocumentResult:
    url: str
    title: str
    status: Status
    chunks: int = 0
    embedded: int = 0  # chunks whose vector was computed (or fetched from the cache) this time
    error: str | None = None


@dataclass(frozen=True)
class IngestProgress:
    done: int  # documents finished, this one included
    total: int
    document: DocumentResult


@dataclass
class IngestReport:
    documents: list[DocumentResult] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, status: Status) -> int:
        return sum(1 for d in self.documents if d.status == status)

    @property
    def chunks(self) -> int:
        return sum(d.chunks for d in self.documents if d.status != "deleted")

    @property
    def embedded(self) -> int:
        return sum(d.embedded for d in self.documents)


ProgressCallback = Callable[[IngestProgress], None]


class UnknownSiteError(LookupError):
    """Ingest into a site that does not exist (the KB rows reference the site)."""


def _chunk_id(site_id: str, chunk: Chunk, taken: set[str]) -> str:
    """Stable for the same site, URL and content; unique even if a section repeats a chunk."""
    base = hashlib.sha256(f"{site_id}\0{chunk.content_hash}".encode()).hexdigest()[:32]
    chunk_id, n = base, 0
    while chunk_id in taken:
        n += 1
        chunk_id = f"{base}-{n}"
    taken.add(chunk_id)
    return chunk_id


@dataclass(frozen=True)
class _VectorJob:
    chunk: Chunk
    text: str
    kind: Kind


def _vector_ids(chunk_id: str) -> tuple[str, str]:
    """Every vector id a chunk may own (its heading vector exists for a section's first)."""
    return chunk_id, heading_vector_id(chunk_id)


def _vector_jobs(ids: Sequence[str], chunks: Sequence[Chunk]) -> dict[str, _VectorJob]:
    """Every chunk's text as a passage, and each section's headings below the title once, as a
    question. A page's lead section (its heading is the title) gets no heading vector: the
    title alone matches every question about the page, and would let a one-line intro outrank
    the section that answers."""
    jobs: dict[str, _VectorJob] = {}
    sections: set[str] = set()
    for cid, chunk in zip(ids, chunks, strict=True):
        jobs[cid] = _VectorJob(chunk, chunk.embedding_text, "passage")
        if len(chunk.context) > 1 and chunk.url not in sections:
            sections.add(chunk.url)
            jobs[heading_vector_id(cid)] = _VectorJob(chunk, chunk.heading_text, "query")
    return jobs


@dataclass(frozen=True)
class _Prepared:
    """A document parsed and cut into chunks, with the vectors to compute and the rows."""

    title: str
    chunks: list[Chunk]
    jobs: dict[str, _VectorJob]
    rows: list[kb_rows.KbChunk]


def _prepare(site_id: str, url: str, title: str | None, content: str, fmt: Format) -> _Prepared:
    """The CPU-bound part of ingest, pure so it can run off the event loop; content that
    cannot be parsed raises ValueError."""
    parsed = parse_document(content, fmt, title)
    if not parsed.title:
        parsed = replace(parsed, title=_fallback_title(url))
    chunks = chunk_document(parsed, url)
    taken: set[str] = set()
    ids = [_chunk_id(site_id, chunk, taken) for chunk in chunks]
    doc_id = kb_rows.document_id(site_id, url)
    rows = [
        kb_rows.KbChunk(
            id=cid,
            document_id=doc_id,
            site_id=site_id,
            ordinal=chunk.ordinal,
            url=chunk.url,
            title=chunk.title,
            heading=chunk.heading,
            heading_path=PATH_SEPARATOR.join(chunk.context),
            lang=chunk.lang,
            text=chunk.text,
            content_hash=chunk.content_hash,
        )
        for cid, chunk in zip(ids, chunks, strict=True)
    ]
    return _Prepared(parsed.title, chunks, _vector_jobs(ids, chunks), rows)


def _vector_records(
    site_id: str, document: str, batch: Sequence[tuple[str, _VectorJob]], vectors: Vectors
) -> list[VectorRecord]:
    """The index's records for embedded jobs; their values as lists of floats, which take
    seconds to build for a large document."""
    return [
        {
            "id": vid,
            "values": vector.tolist(),
            "namespace": site_id,
            "metadata": {"url": job.chunk.url, "document": document, "kind": job.kind},
        }
        for (vid, job), vector in zip(batch, vectors, strict=True)
    ]


def _scan(path: Path) -> tuple[list[SourceFile], str]:
    """The documents under `path` and the source name they are recorded under."""
    return discover(path), str(path.resolve())


@dataclass(frozen=True)
class _Origin:
    """Where a document came from: the file or folder it was read from, and the manifest that
    listed it (both None for a document sent on its own)."""

    source: str | None = None
    manifest: str | None = None


@dataclass(frozen=True)
class _Planned:
    """A file to ingest at `url`."""

    file: SourceFile
    url: str
    title: str | None
    origin: _Origin


def _content_hash(fmt: Format, title: str | None, content: str) -> str:
    return hashlib.sha256(f"{fmt}\0{title or ''}\0{content}".encode()).hexdigest()


def _fallback_title(url: str) -> str:
    name = url.split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return name.split(".", 1)[0].replace("-", " ").replace("_", " ").strip().capitalize() or url


class Ingestor:
    def __init__(
        self, db: Database, embedder: Embedder, index: VectorIndex, offload: Offload
    ) -> None:
        self._db = db
        self._embedder = embedder
        self._index = index
        self._offload = offload

    async def _check_site(self, site_id: str) -> None:
        if await get_site(self._db, site_id) is None:
            raise UnknownSiteError(f"no site {site_id!r}: create it before ingesting")

    async def ingest_document(
        self, site_id: str, url: str, title: str | None, content: str, fmt: Format
    ) -> DocumentResult:
        """Ingest one document (its URL without `#anchor`); re-ingest replaces its chunks.

        Content that cannot be parsed raises ValueError (and is recorded as the document's
        failed status)."""
        await self._check_site(site_id)
        url = url.split("#", 1)[0]
        result = await self._ingest(site_id, url, title, content, fmt, _Origin())
        if result.status == "failed":
            raise ValueError(result.error)
        return result

    async def _ingest(
        self,
        site_id: str,
        url: str,
        title: str | None,
        content: str,
        fmt: Format,
        origin: _Origin,
    ) -> DocumentResult:
        content_hash = _content_hash(fmt, title, content)
        existing = await kb_rows.get_document(self._db, site_id, url)
        doc_id = kb_rows.document_id(site_id, url)
        now = int(time.time() * 1000)
        try:
            prepared = await self._offload(partial(_prepare, site_id, url, title, content, fmt))
        except ValueError as exc:
            return await self._fail(site_id, url, title, fmt, origin, content_hash, str(exc))
        chunks, jobs = prepared.chunks, prepared.jobs
        present = {record["id"] for record in await self._index.getByIds(list(jobs))}
        todo = {vid: job for vid, job in jobs.items() if vid not in present}
        same = (
            existing is not None
            and existing.content_hash == content_hash
            and existing.status == "indexed"
        )
        moved = existing is None or _Origin(existing.source, existing.manifest) != origin
        if same and not todo and not moved:
            return DocumentResult(url, prepared.title, "unchanged", len(chunks))
        await self._upsert_vectors(site_id, url, todo)
        old_ids = await kb_rows.chunk_ids(self._db, doc_id)
        await kb_rows.save_document(
            self._db,
            kb_rows.KbDocument(
                id=doc_id,
                site_id=site_id,
                url=url,
                title=prepared.title,
                format=fmt,
                source=origin.source,
                content_hash=content_hash,
                chunk_count=len(chunks),
                updated_at=now,
                manifest=origin.manifest,
            ),
            prepared.rows,
        )
        stale = sorted({v for cid in old_ids for v in _vector_ids(cid)} - set(jobs))
        if stale:
            await self._index.deleteByIds(stale)
        status: Status = "added" if existing is None else "unchanged" if same else "updated"
        embedded = sum(1 for job in todo.values() if job.kind == "passage")
        return DocumentResult(url, prepared.title, status, len(chunks), embedded)

    async def _fail(
        self,
        site_id: str,
        url: str,
        title: str | None,
        fmt: Format,
        origin: _Origin,
        content_hash: str,
        error: str,
    ) -> DocumentResult:
        """Record the document's failure; a version ingested before keeps answering."""
        failed = kb_rows.KbDocument(
            id=kb_rows.document_id(site_id, url),
            site_id=site_id,
            url=url,
            title=title or _fallback_title(url),
            format=fmt,
            source=origin.source,
            content_hash=content_hash,
            chunk_count=0,
            updated_at=int(time.time() * 1000),
            error=error,
            manifest=origin.manifest,
        )
        await kb_rows.record_failure(self._db, failed)
        return DocumentResult(url, failed.title, "failed", error=error)

    async def _upsert_vectors(
        self, site_id: str, document: str, todo: dict[str, _VectorJob]
    ) -> None:
        records: list[VectorRecord] = []
        for kind in ("passage", "query"):
            batch = [(vid, job) for vid, job in todo.items() if job.kind == kind]
            if not batch:
                continue
            vectors = await self._embedder.embed([job.text for _, job in batch], kind)
            records += await self._offload(
                partial(_vector_records, site_id, document, batch, vectors)
            )
        for i in range(0, len(records), UPSERT_BATCH):
            await self._index.upsert(records[i : i + UPSERT_BATCH])

    async def delete_document(self, site_id: str, url: str) -> bool:
        """Remove a document's rows and vectors; False if there was no such document."""
        url = url.split("#", 1)[0]
        if await kb_rows.get_document(self._db, site_id, url) is None:
            return False
        ids = await kb_rows.delete_document(self._db, site_id, url)
        if ids:
            await self._index.deleteByIds([v for cid in ids for v in _vector_ids(cid)])
        return True

    async def ingest_path(
        self,
        site_id: str,
        path: Path,
        base_url: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> IngestReport:
        """Ingest a file or every document of a folder.

        Documents ingested earlier from the same file or folder that it no longer gives — a page
        removed from the help centre, or every page after a change of `base_url` — are deleted,
        so nothing stale is cited. A file that is not a document is reported as failed, so the
        other paths of the same command still ingest.
        """
        started = time.perf_counter()
        await self._check_site(site_id)
        report = IngestReport()
        try:
            files, source = await asyncio.to_thread(_scan, path)
        except NotADocumentError as exc:
            failed = DocumentResult(str(path), "", "failed", error=str(exc))
            await self._ingest_all(site_id, [failed], progress, report)
            return report
        origin = _Origin(source)
        planned: list[_Planned | DocumentResult] = [
            _Planned(file, document_url(file.relative, file.format, base_url), None, origin)
            for file in files
        ]
        seen = await self._ingest_all(site_id, planned, progress, report)
        previous = await kb_rows.list_documents(self._db, site_id, source=source)
        await self._prune(site_id, previous, seen, report)
        report.seconds = time.perf_counter() - started
        return report

    async def ingest_manifest(
        self,
        site_id: str,
        path: Path,
        base_url: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> IngestReport:
        """Ingest every file, folder and published page a manifest lists (see `manifest`).

        The manifest's own `base_url`, if it has one, wins over `base_url`. Documents it listed
        before and lists no longer are deleted — unless an entry could not be read this time,
        since its documents then cannot be told from removed ones.
        """
        started = time.perf_counter()
        await self._check_site(site_id)
        manifest = await asyncio.to_thread(read_manifest, path)
        base = manifest.base_url or base_url
        planned: list[_Planned | DocumentResult] = []
        urls: set[str] = set()
        for entry in manifest.entries:
            if entry.page is not None:
                try:
                    page = await fetch_page(entry.page)
                except FetchError as exc:
                    planned.append(DocumentResult(entry.page, "", "failed", error=str(exc)))
                    continue
                if entry.page not in urls:
                    urls.add(entry.page)
                    origin = _Origin(entry.page, str(manifest.path))
                    planned.append(_Planned(page, entry.page, entry.title, origin))
                continue
            assert entry.path is not None  # an entry is a page or a local path
            try:
                files, source = await asyncio.to_thread(_scan, entry.path)
            except (OSError, ValueError) as exc:
                planned.append(DocumentResult(str(entry.path), "", "failed", error=str(exc)))
                continue
            origin = _Origin(source, str(manifest.path))
            single = entry.path.is_file()
            for file in files:
                if single and entry.url:
                    url = entry.url.split("#", 1)[0]
                else:
                    url = document_url(file.relative, file.format, entry.url or base)
                if url not in urls:  # listed twice (or inside two listed folders): once
                    urls.add(url)
                    planned.append(_Planned(file, url, entry.title if single else None, origin))
        report = IngestReport()
        seen = await self._ingest_all(site_id, planned, progress, report)
        if not any(isinstance(item, DocumentResult) for item in planned):
            listed = await kb_rows.list_documents(self._db, site_id, manifest=str(manifest.path))
            await self._prune(site_id, listed, seen, report)
        report.seconds = time.perf_counter() - started
        return report

    async def _ingest_all(
        self,
        site_id: str,
        planned: Sequence[_Planned | DocumentResult],
        progress: ProgressCallback | None,
        report: IngestReport,
    ) -> set[str]:
        """Ingest the planned files in order, reporting each; entries that already failed are
        only reported. Returns the URLs ingested."""
        seen: set[str] = set()
        for n, item in enumerate(planned, start=1):
            if isinstance(item, DocumentResult):
                result = item
            else:
                seen.add(item.url)
                fmt = item.file.format
                try:
                    content = document_text(item.file)
                except NotADocumentError as exc:
                    digest = hashlib.sha256(item.file.content).hexdigest()
                    result = await self._fail(
                        site_id, item.url, item.title, fmt, item.origin, digest, str(exc)
                    )
                else:
                    result = await self._ingest(
                        site_id, item.url, item.title, content, fmt, item.origin
                    )
            report.documents.append(result)
            if progress is not None:
                progress(IngestProgress(n, len(planned), result))
        return seen

    async def _prune(
        self,
        site_id: str,
        previous: Sequence[kb_rows.KbDocument],
        seen: set[str],
        report: IngestReport,
    ) -> None:
        """Delete the documents of `previous` this ingest did not give again."""
        for old in previous:
            if old.url not in seen:
                await self.delete_document(site_id, old.url)
                report.documents.append(DocumentResult(old.url, old.title, "deleted"))
