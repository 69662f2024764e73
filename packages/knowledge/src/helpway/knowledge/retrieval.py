"""Hybrid retrieval: dense vectors and FTS5 bm25 in a site's namespace, fused by rank.

Dense search finds paraphrases and other languages; lexical search finds exact terms (command
names, error messages) that small embedding models blur. The chunk rows in the database are the
source of truth: a vector without a row (a document deleted or re-ingested since) is dropped.
Hits are one per section URL, so the first k hits are k different places to cite.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpway.shared import limits
from helpway.store import kb as kb_rows
from helpway.store.database import Database

from .chunking import PATH_SEPARATOR
from .embedder import Embedder
from .fusion import reciprocal_rank_fusion
from .lexical import match_expression, trigram_terms, word_terms
from .vector_ids import chunk_id_of
from .vector_index import VectorIndex

# Fusion settings, measured on the Debian FAQ and demo KB sets (see `evaluation.py`): dense
# retrieval is the stronger signal — it alone handles paraphrases and other languages — so it
# outweighs bm25 three to one, and a small k lets a clear first place count. bm25 then reorders
# close dense candidates and rescues exact terms (commands, error messages) the model blurs.
DENSE_CANDIDATES = 20
LEXICAL_CANDIDATES = 10
DENSE_WEIGHT = 3.0
LEXICAL_WEIGHT = 1.0
FUSION_K = 10


@dataclass(frozen=True)
class Hit:
    chunk_id: str
    url: str  # the section's URL, `page#anchor`
    title: str  # the document's title
    heading: str  # the section's heading
    text: str
    score: float  # fused rank score: orders the hits
    similarity: float  # cosine of question and chunk: how close in meaning
    lexical_rank: int | None  # place in the bm25 list (0 = first), None if not matched

    def as_dict(self) -> dict[str, str | float]:
        """The fields `kb search --json` prints."""
        return {
            "url": self.url,
            "title": self.title,
            "heading": self.heading,
            "score": self.score,
            "similarity": self.similarity,
            "text": self.text,
        }

    @property
    def citation_title(self) -> str:
        """How a citation names the section: its heading, with the page title if different."""
        if self.heading and self.heading != self.title:
            label = f"{self.title}{PATH_SEPARATOR}{self.heading}" if self.title else self.heading
        else:
            label = self.title or self.heading or self.url
        return label[: limits.MAX_TITLE_CHARS]


def clean_query(text: str) -> str:
    return " ".join(text.split())[: limits.MAX_QUERY_CHARS]


class Retriever:
    def __init__(self, db: Database, embedder: Embedder, index: VectorIndex) -> None:
        self._db = db
        self._embedder = embedder
        self._index = index

    async def search(self, site_id: str, query: str, k: int = 5) -> list[Hit]:
        query = clean_query(query)
        if not query:
            return []
        vector = (await self._embedder.embed([query], "query"))[0]
        dense = await self._index.query(
            vector.tolist(),
            {"topK": DENSE_CANDIDATES, "namespace": site_id, "returnMetadata": "none"},
        )
        similarity: dict[str, float] = {}
        for match in dense["matches"]:  # best first: a chunk keeps its better vector's score
            similarity.setdefault(chunk_id_of(match["id"]), match["score"])
        rankings: list[tuple[list[str], float]] = [(list(similarity), DENSE_WEIGHT)]
        words: list[str] = []
        for index, terms in (("words", word_terms(query)), ("trigram", trigram_terms(query))):
            expression = match_expression(terms)
            if expression is not None:
                found = await kb_rows.lexical_search(
                    self._db, site_id, expression, LEXICAL_CANDIDATES, index=index
                )
                ranking = [chunk_id for chunk_id, _ in found]
                rankings.append((ranking, LEXICAL_WEIGHT))
                if index == "words":
                    words = ranking
        fused = reciprocal_rank_fusion(rankings, k=FUSION_K)
        rows = await kb_rows.get_chunks(self._db, site_id, [chunk_id for chunk_id, _ in fused])
        missing = [chunk_id for chunk_id in rows if chunk_id not in similarity]
        if missing:
            for record in await self._index.getByIds(missing):
                values = np.asarray(record["values"], dtype=np.float32)
                norm = float(np.linalg.norm(values)) or 1.0
                similarity[record["id"]] = float(values @ vector) / norm
        hits: list[Hit] = []
        seen_urls: set[str] = set()
        for chunk_id, score in fused:
            row = rows.get(chunk_id)
            if row is None or row.url in seen_urls:
                continue
            seen_urls.add(row.url)
            hits.append(
                Hit(
                    chunk_id=chunk_id,
                    url=row.url,
                    title=row.title,
                    heading=row.heading,
                    text=row.text,
                    score=score,
                    similarity=similarity.get(chunk_id, 0.0),
                    lexical_rank=words.index(chunk_id) if chunk_id in words else None,
                )
            )
            if len(hits) == k:
                break
        return hits
