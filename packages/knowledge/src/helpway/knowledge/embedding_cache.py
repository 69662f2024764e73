"""An `Embedder` wrapper that remembers vectors on disk, keyed by (model id, kind, text hash).

Re-ingesting a folder, or running the tests again, then embeds only the text that changed: the
model is by far the slowest step of ingest. The cache is a SQLite file so several processes (the
CLI and the local edge) can share it safely; it is read and written on a worker thread, since a
large document's tens of thousands of vectors take a while either way.
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .embedder import Embedder, Kind, Vectors


def _key(model_id: str, kind: Kind, text: str) -> str:
    return hashlib.sha256(f"{model_id}\0{kind}\0{text}".encode()).hexdigest()


class CachedEmbedder:
    def __init__(self, inner: Embedder, path: Path) -> None:
        self._inner = inner
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS embeddings (key TEXT PRIMARY KEY, vector BLOB NOT NULL)"
        )
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def model_id(self) -> str:
        return self._inner.model_id

    @property
    def dims(self) -> int:
        return self._inner.dims

    def _lookup(self, keys: list[str]) -> dict[str, Vectors]:
        found: dict[str, Vectors] = {}
        with self._lock:
            for i in range(0, len(keys), 500):
                part = keys[i : i + 500]
                marks = ",".join("?" * len(part))
                sql = f"SELECT key, vector FROM embeddings WHERE key IN ({marks})"
                for key, blob in self._conn.execute(sql, part):
                    vector = np.frombuffer(blob, dtype=np.float32)
                    if vector.shape == (self.dims,):
                        found[key] = vector
        return found

    def _store(self, rows: list[tuple[str, bytes]]) -> None:
        with self._lock:
            self._conn.executemany(
                "INSERT OR REPLACE INTO embeddings (key, vector) VALUES (?, ?)", rows
            )

    async def embed(self, texts: Sequence[str], kind: Kind) -> Vectors:
        items = list(texts)
        keys = [_key(self.model_id, kind, text) for text in items]
        found = await asyncio.to_thread(self._lookup, list(set(keys)))
        self.hits += sum(1 for key in keys if key in found)
        missing = {key: text for key, text in zip(keys, items, strict=True) if key not in found}
        if missing:
            vectors = await self._inner.embed(list(missing.values()), kind)
            for key, vector in zip(missing, vectors, strict=True):
                found[key] = np.asarray(vector, dtype=np.float32)
            await asyncio.to_thread(self._store, [(key, found[key].tobytes()) for key in missing])
            self.misses += len(missing)
        out = np.empty((len(items), self.dims), dtype=np.float32)
        for row, key in enumerate(keys):
            out[row] = found[key]
        return out

    def close(self) -> None:
        self._conn.close()
