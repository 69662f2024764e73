"""The Worker's settings, from its `[vars]` (strings; unset vars take the defaults).

The answer threshold differs from the local one on purpose: `AnswerPolicy`'s default was
calibrated for multilingual-e5 (whose similarities crowd a narrow band near 0.8-0.9), not for
bge-m3. The value below is provisional until `helpway kb eval` is run against Workers AI.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from helpway.knowledge.cloudflare.workers_ai import CHAT_MODEL, EMBEDDING_DIMS, EMBEDDING_MODEL

PROVISIONAL_MIN_SIMILARITY = 0.6


@dataclass(frozen=True)
class CloudflareSettings:
    embedding_model: str = EMBEDDING_MODEL
    embedding_dims: int = EMBEDDING_DIMS
    chat_model: str = CHAT_MODEL
    min_similarity: float = PROVISIONAL_MIN_SIMILARITY

    @classmethod
    def from_env(cls, env: Any) -> CloudflareSettings:
        def var(name: str) -> str | None:
            value = getattr(env, name, None)
            if value is None:
                return None
            return str(value).strip() or None

        defaults = cls()
        dims = var("HELPWAY_EMBEDDING_DIMS")
        similarity = var("HELPWAY_ANSWER_MIN_SIMILARITY")
        return cls(
            embedding_model=var("HELPWAY_EMBEDDING_MODEL") or defaults.embedding_model,
            embedding_dims=int(dims) if dims else defaults.embedding_dims,
            chat_model=var("HELPWAY_CHAT_MODEL") or defaults.chat_model,
            min_similarity=float(similarity) if similarity else defaults.min_similarity,
        )
