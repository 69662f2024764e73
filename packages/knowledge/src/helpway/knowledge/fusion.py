"""Weighted reciprocal rank fusion: merge ranked lists by rank alone.

Dense cosine and bm25 scores live on unrelated scales; RRF (Cormack et al., 2009) only uses each
item's rank in each list (score = sum of weight / (k + rank)), so no per-corpus score
normalisation is needed. Callers weight the lists by how much they trust them.
"""

from __future__ import annotations

from collections.abc import Sequence

RRF_K = 60


def reciprocal_rank_fusion(
    rankings: Sequence[tuple[Sequence[str], float]], k: int = RRF_K
) -> list[tuple[str, float]]:
    """(id, fused score) best first, from (ranking, weight) pairs; ties keep first appearance."""
    scores: dict[str, float] = {}
    for ranking, weight in rankings:
        for rank, item in enumerate(ranking):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank + 1)
    return sorted(scores.items(), key=lambda pair: -pair[1])
