"""Knowledge-base rows: documents, their chunks, and lexical (FTS5 bm25) search over chunks.

A document's chunks are replaced as a whole in one batch, so readers never see half a document;
the FTS indexes follow through the triggers of `0002_knowledge.sql`. A failed ingest is recorded
on the document's row (`0003_kb_document_status.sql`) without touching its chunks. Queries bind
at most `_MAX_PARAMS` values, D1's limit per statement.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from operator import attrgetter
from typing import Literal

from .database import Database, Row, Statement

_MAX_PARAMS = 100
# bm25 column weights (title, heading_path, text): a question usually restates a heading.
_WEIGHTS = "1.0, 3.0, 1.0"
LexicalIndex = Literal["words", "trigram"]
DocumentStatus = Literal["indexed", "failed"]
_FTS_TABLES: dict[LexicalIndex, str] = {
    "words": "kb_chunks_fts",
    "trigram": "kb_chunks_trigram_fts",
}


def document_id(site_id: str, url: str) -> str:
    return hashlib.sha256(f"{site_id}\0{url}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class KbDocument:
    id: str
    site_id: str
    url: str
    title: str
    format: str
    source: str | None
    content_hash: str
    chunk_count: int
    updated_at: int
    status: DocumentStatus = "indexed"
    error: str | None = None  # why the last ingest failed
    manifest: str | None = None  # the manifest file that listed it, if any

    @classmethod
    def from_row(cls, row: Row) -> KbDocument:
        return cls(**{f.name: row[f.name] for f in fields(cls)})


@dataclass(frozen=True)
class KbChunk:
    id: str
    document_id: str
    site_id: str
    ordinal: int
    url: str
    title: str
    heading: str
    heading_path: str
    lang: str | None
    text: str
    content_hash: str

    @classmethod
    def from_row(cls, row: Row) -> KbChunk:
        return cls(**{f.name: row[f.name] for f in fields(cls)})


_DOC_COLUMNS = ", ".join(f.name for f in fields(KbDocument))
_CHUNK_COLUMNS = ", ".join(f.name for f in fields(KbChunk))
# A row's values in column order. Not dataclasses.astuple: it deep-copies every field, which
# took seconds for a large document's chunks on the caller's event loop.
_doc_values = attrgetter(*(f.name for f in fields(KbDocument)))
_chunk_values = attrgetter(*(f.name for f in fields(KbChunk)))


async def get_document(db: Database, site_id: str, url: str) -> KbDocument | None:
    row = await db.first(
        f"SELECT {_DOC_COLUMNS} FROM kb_documents WHERE site_id = ? AND url = ?", (site_id, url)
    )
    return None if row is None else KbDocument.from_row(row)


async def list_documents(
    db: Database, site_id: str, *, source: str | None = None, manifest: str | None = None
) -> list[KbDocument]:
    """A site's documents by URL; only those ingested from `source`, or listed by `manifest`,
    when given."""
    sql = f"SELECT {_DOC_COLUMNS} FROM kb_documents WHERE site_id = ?"
    params: list[str] = [site_id]
    if source is not None:
        sql += " AND source = ?"
        params.append(source)
    if manifest is not None:
        sql += " AND manifest = ?"
        params.append(manifest)
    rows = await db.all(sql + " ORDER BY url", params)
    return [KbDocument.from_row(row) for row in rows]


async def chunk_ids(db: Database, document_id: str) -> list[str]:
    rows = await db.all(
        "SELECT id FROM kb_chunks WHERE document_id = ? ORDER BY ordinal", (document_id,)
    )
    return [row["id"] for row in rows]


async def save_document(db: Database, document: KbDocument, chunks: Sequence[KbChunk]) -> None:
    """Insert or replace a document and all its chunks, atomically."""
    doc_marks = ", ".join("?" * len(fields(KbDocument)))
    chunk_marks = ", ".join("?" * len(fields(KbChunk)))
    statements: list[Statement] = [
        ("DELETE FROM kb_chunks WHERE document_id = ?", (document.id,)),
        (
            f"INSERT INTO kb_documents ({_DOC_COLUMNS}) VALUES ({doc_marks}) "
            "ON CONFLICT (id) DO UPDATE SET title = excluded.title, format = excluded.format, "
            "source = excluded.source, content_hash = excluded.content_hash, "
            "chunk_count = excluded.chunk_count, updated_at = excluded.updated_at, "
            "status = excluded.status, error = excluded.error, manifest = excluded.manifest",
            _doc_values(document),
        ),
    ]
    statements += [
        (f"INSERT INTO kb_chunks ({_CHUNK_COLUMNS}) VALUES ({chunk_marks})", _chunk_values(chunk))
        for chunk in chunks
    ]
    await db.batch(statements)


async def record_failure(db: Database, document: KbDocument) -> None:
    """Mark a document's last ingest as failed with `document.error`. A document seen before
    keeps its title, content hash and chunks (they still answer); a new one gets a row with no
    chunks, so the failure is listed with the site's documents."""
    marks = ", ".join("?" * len(fields(KbDocument)))
    await db.run(
        f"INSERT INTO kb_documents ({_DOC_COLUMNS}) VALUES ({marks}) "
        "ON CONFLICT (id) DO UPDATE SET status = 'failed', error = excluded.error, "
        "updated_at = excluded.updated_at, source = excluded.source, "
        "manifest = excluded.manifest",
        _doc_values(replace(document, status="failed")),
    )


async def delete_document(db: Database, site_id: str, url: str) -> list[str]:
    """Delete a document and its chunks; returns the ids of the chunks deleted."""
    doc_id = document_id(site_id, url)
    ids = await chunk_ids(db, doc_id)
    await db.batch(
        [
            ("DELETE FROM kb_chunks WHERE document_id = ?", (doc_id,)),
            ("DELETE FROM kb_documents WHERE id = ?", (doc_id,)),
        ]
    )
    return ids


async def get_chunks(db: Database, site_id: str, ids: Sequence[str]) -> dict[str, KbChunk]:
    """The site's chunks among `ids`, by id (ids of other sites or of deleted chunks are absent)."""
    found: dict[str, KbChunk] = {}
    unique = list(dict.fromkeys(ids))
    step = _MAX_PARAMS - 1
    for i in range(0, len(unique), step):
        part = unique[i : i + step]
        marks = ", ".join("?" * len(part))
        # `+site_id` keeps the planner on the id index: with the site index it would scan
        # every chunk of the site (60x slower at 10k chunks).
        rows = await db.all(
            f"SELECT {_CHUNK_COLUMNS} FROM kb_chunks WHERE id IN ({marks}) AND +site_id = ?",
            (*part, site_id),
        )
        for row in rows:
            found[row["id"]] = KbChunk.from_row(row)
    return found


async def count_chunks(db: Database, site_id: str) -> int:
    row = await db.first("SELECT COUNT(*) AS n FROM kb_chunks WHERE site_id = ?", (site_id,))
    return int(row["n"]) if row else 0


async def lexical_search(
    db: Database, site_id: str, match: str, limit: int, index: LexicalIndex = "words"
) -> list[tuple[str, float]]:
    """(chunk id, bm25 score) for an FTS5 MATCH expression, best first (higher is better).

    SQLite's bm25() is lower-is-better; its sign is flipped here so every score in the
    knowledge base reads the same way.
    """
    table = _FTS_TABLES[index]
    rows = await db.all(
        f"SELECT c.id AS id, bm25({table}, {_WEIGHTS}) AS score FROM {table} "
        f"JOIN kb_chunks c ON c.seq = {table}.rowid "
        f"WHERE {table} MATCH ? AND c.site_id = ? ORDER BY score LIMIT ?",
        (match, site_id, limit),
    )
    return [(row["id"], -float(row["score"])) for row in rows]
