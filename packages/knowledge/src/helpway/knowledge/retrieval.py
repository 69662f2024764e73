"""Hybrid retrieval: dense vectors and FTS5 bm25 in a site's namespace, merged and reranked.

Dense search finds paraphrases and other languages; lexical search finds exact terms (command
names, error messages) that small embedding models blur. The candidates are the union of both
lists; they are ranked by cosine similarity to the question (a chunk's best of its text and
heading vectors) plus a small bonus for bm25 relevance. Unlike reciprocal rank fusion, which
sees only ranks, this rerank keeps how much closer one chunk is than the next: a clear dense
winner is not overturned by a keyword match on a common word, while among near-equal chunks the
one naming the question's terms wins. The chunk rows in the database are the source of truth:
a vector without a row (a document deleted or re-ingested since) is dropped. Hits are one per
section URL, so the first k hits are k different places to cite.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpway.shared import limits
from helpway.store import kb as kb_rows
from helpway.store.database import Database

from .chunking import PATH_SEPARATOR
from .embedder import Embedder
from .lexical import match_expression, script_shares, trigram_terms, word_terms
from .vector_ids import chunk_id_of, heading_vector_id
from .vector_index import VectorIndex

# Measured on the Debian FAQ (dev and held-out sets), the demo KB set and a multilingual Debian
# set (see `evaluation.py`); against the weighted reciprocal rank fusion used before, recall@1
# stayed level overall and recall@3 rose (English Debian dev set 0.89 -> 0.95). multilingual-e5
# similarities sit in a narrow band, so the bonus is small: a full bm25 first place is worth
# 0.01 of cosine, about the gap between neighbouring candidates.
DENSE_CANDIDATES = 20
LEXICAL_CANDIDATES = 10
LEXICAL_BONUS = 0.01


@dataclass(frozen=True)
class Hit:
    chunk_id: str
    url: str  # the section's URL, `page#anchor`
    title: str  # the document's title
    heading: str  # the section's heading
    text: str
    score: float  # similarity plus the bm25 bonus: orders the hits
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
        lexical, words = await self._lexical(site_id, query)
        candidates = list(dict.fromkeys([*similarity, *lexical]))
        rows = await kb_rows.get_chunks(self._db, site_id, candidates)
        missing = [chunk_id for chunk_id in rows if chunk_id not in similarity]
        if missing:  # found by bm25 alone: score its text and heading vectors as dense would
            ids = [v for chunk_id in missing for v in (chunk_id, heading_vector_id(chunk_id))]
            for record in await self._index.getByIds(ids):
                values = np.asarray(record["values"], dtype=np.float32)
                norm = float(np.linalg.norm(values)) or 1.0
                chunk_id, score = chunk_id_of(record["id"]), float(values @ vector) / norm
                similarity[chunk_id] = max(score, similarity.get(chunk_id, -1.0))
        scores = {
            chunk_id: similarity.get(chunk_id, 0.0) + LEXICAL_BONUS * lexical.get(chunk_id, 0.0)
            for chunk_id in rows
        }
        hits: list[Hit] = []
        seen_urls: set[str] = set()
        for chunk_id in sorted(scores, key=lambda c: -scores[c]):
            row = rows[chunk_id]
            if row.url in seen_urls:
                continue
            seen_urls.add(row.url)
            hits.append(
                Hit(
                    chunk_id=chunk_id,
                    url=row.url,
                    title=row.title,
                    heading=row.heading,
                    text=row.text,
                    score=scores[chunk_id],
                    similarity=similarity.get(chunk_id, 0.0),
                    lexical_rank=words.index(chunk_id) if chunk_id in words else None,
                )
            )
            if len(hits) == k:
                break
        return hits

    async def _lexical(self, site_id: str, query: str) -> tuple[dict[str, float], list[str]]:
        """Each chunk's bm25 relevance, 0 to 1 (1 for a first place), from both FTS indexes,
        each weighted by the share of the question it can read — a Thai question naming
        "Debian" gets little say from the word index, which sees only that word — and the
        word index's ranking."""
        relevance: dict[str, float] = {}
        words: list[str] = []
        spaced, unspaced = script_shares(query)
        for index, terms, share in (
            ("words", word_terms(query), spaced),
            ("trigram", trigram_terms(query), unspaced),
        ):
            expression = match_expression(terms)
            if expression is None:
                continue
            found = await kb_rows.lexical_search(
                self._db, site_id, expression, LEXICAL_CANDIDATES, index=index
            )
            best = found[0][1] if found and found[0][1] > 0 else 1.0
            for chunk_id, score in found:
                relevance[chunk_id] = relevance.get(chunk_id, 0.0) + share * max(score, 0) / best
            if index == "words":
                words = [chunk_id for chunk_id, _ in found]
        return relevance, words
