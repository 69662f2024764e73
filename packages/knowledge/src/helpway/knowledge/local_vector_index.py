"""Local `VectorIndex`: exact cosine search with numpy over vectors persisted in SQLite.

Brute force is exact and fast enough for help centres (about 1.5 ms per query at 10k x 384 on
one core). Vectors live in a SQLite file so the CLI can ingest while the local edge serves; each
namespace's matrix is cached in memory and rebuilt when this process writes or when
`PRAGMA data_version` shows that another process did. Every call runs on the index's one worker
thread, as the local D1's do: writing a large document's vectors takes seconds, which the event
loop (every request and socket of the local edge) must not wait for, and one thread keeps the
connection and the cache free of races.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from .vector_index import (
    IndexInfo,
    IndexMismatchError,
    Match,
    Metadata,
    Mutation,
    QueryOptions,
    QueryResult,
    VectorRecord,
    check_query,
    check_record,
    matches_filter,
)

T = TypeVar("T")
_ALL = "\0all"  # cache key of the whole index (queries without a namespace)


@dataclass
class _Matrix:
    ids: list[str]
    namespaces: list[str | None]
    metadata: list[Metadata]
    unit: npt.NDArray[np.float32]  # rows scaled to unit length, for cosine by dot product


class LocalVectorIndex:
    def __init__(self, path: Path, model_id: str, dims: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.model_id = model_id
        self.dims = dims
        self.metric = "cosine"
        self._conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.executescript(
            "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
            "CREATE TABLE IF NOT EXISTS vectors (id TEXT PRIMARY KEY, namespace TEXT,"
            " vector BLOB NOT NULL, metadata TEXT NOT NULL);"
            "CREATE INDEX IF NOT EXISTS vectors_namespace ON vectors (namespace);"
        )
        self._check_identity()
        self._cache: dict[str, _Matrix] = {}
        self._data_version = self._version()
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vector-index")

    async def _run(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn)

    def _check_identity(self) -> None:
        stored = dict(self._conn.execute("SELECT key, value FROM meta").fetchall())
        wanted = {"model_id": self.model_id, "dims": str(self.dims), "metric": "cosine"}
        if not stored:
            self._conn.executemany("INSERT INTO meta VALUES (?, ?)", sorted(wanted.items()))
            return
        if stored.get("model_id") != self.model_id or stored.get("dims") != str(self.dims):
            raise IndexMismatchError(
                f"{self.path} holds vectors of {stored.get('model_id')} "
                f"({stored.get('dims')} dims), not {self.model_id} ({self.dims} dims); "
                "delete it and ingest again to switch models"
            )

    def _version(self) -> int:
        return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def _mutated(self) -> Mutation:
        mutation = uuid.uuid4().hex
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self._conn.executemany(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)",
            [("mutation", mutation), ("mutated_at", stamp)],
        )
        self._cache.clear()
        return {"mutationId": mutation}

    def _write(self, vectors: Sequence[VectorRecord], verb: str) -> Mutation:
        for record in vectors:
            check_record(record, self.dims)
        rows = [
            (
                record["id"],
                record.get("namespace"),
                np.asarray(record["values"], dtype=np.float32).tobytes(),
                json.dumps(record.get("metadata") or {}),
            )
            for record in vectors
        ]
        with self._conn:
            self._conn.execute("BEGIN")
            self._conn.executemany(f"{verb} INTO vectors VALUES (?, ?, ?, ?)", rows)
            return self._mutated()

    async def insert(self, vectors: Sequence[VectorRecord]) -> Mutation:
        return await self._run(lambda: self._write(vectors, "INSERT OR IGNORE"))

    async def upsert(self, vectors: Sequence[VectorRecord]) -> Mutation:
        return await self._run(lambda: self._write(vectors, "INSERT OR REPLACE"))

    async def deleteByIds(self, ids: Sequence[str]) -> Mutation:
        return await self._run(lambda: self._delete(ids))

    def _delete(self, ids: Sequence[str]) -> Mutation:
        with self._conn:
            self._conn.execute("BEGIN")
            self._conn.executemany("DELETE FROM vectors WHERE id = ?", [(i,) for i in ids])
            return self._mutated()

    async def getByIds(self, ids: Sequence[str]) -> list[VectorRecord]:
        return await self._run(lambda: self._get(ids))

    def _get(self, ids: Sequence[str]) -> list[VectorRecord]:
        found: dict[str, VectorRecord] = {}
        for i in range(0, len(ids), 500):
            part = list(ids[i : i + 500])
            marks = ",".join("?" * len(part))
            sql = f"SELECT id, namespace, vector, metadata FROM vectors WHERE id IN ({marks})"
            for vid, namespace, blob, metadata in self._conn.execute(sql, part):
                record: VectorRecord = {
                    "id": vid,
                    "values": np.frombuffer(blob, dtype=np.float32).tolist(),
                    "metadata": json.loads(metadata),
                }
                if namespace is not None:
                    record["namespace"] = namespace
                found[vid] = record
        return [found[i] for i in dict.fromkeys(ids) if i in found]

    def _matrix(self, namespace: str | None) -> _Matrix:
        version = self._version()
        if version != self._data_version:
            self._cache.clear()
            self._data_version = version
        key = _ALL if namespace is None else namespace
        if key not in self._cache:
            if namespace is None:
                rows = self._conn.execute("SELECT id, namespace, vector, metadata FROM vectors")
            else:
                rows = self._conn.execute(
                    "SELECT id, namespace, vector, metadata FROM vectors WHERE namespace = ?",
                    (namespace,),
                )
            ids, namespaces, metadata, blobs = [], [], [], []
            for vid, ns, blob, meta in rows:
                ids.append(vid)
                namespaces.append(ns)
                metadata.append(json.loads(meta))
                blobs.append(blob)
            matrix = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(ids), self.dims)
            norms = np.linalg.norm(matrix, axis=1, keepdims=True)
            unit = matrix / np.where(norms == 0, 1, norms)
            self._cache[key] = _Matrix(ids, namespaces, metadata, unit.astype(np.float32))
        return self._cache[key]

    async def query(
        self, vector: Sequence[float], options: QueryOptions | None = None
    ) -> QueryResult:
        return await self._run(lambda: self._query(vector, options or {}))

    def _query(self, vector: Sequence[float], options: QueryOptions) -> QueryResult:
        top_k = check_query(vector, options, self.dims)
        data = self._matrix(options.get("namespace"))
        q = np.asarray(vector, dtype=np.float32)
        norm = float(np.linalg.norm(q))
        if not data.ids or norm == 0:
            return {"matches": [], "count": 0}
        scores = data.unit @ (q / norm)
        filter_ = options.get("filter")
        if filter_:
            keep = np.array([matches_filter(m, filter_) for m in data.metadata], dtype=bool)
            scores = np.where(keep, scores, -np.inf)
        k = min(top_k, len(data.ids))
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best], kind="stable")]
        return_metadata = options.get("returnMetadata", "none")
        matches: list[Match] = []
        for row in best:
            if not np.isfinite(scores[row]):
                continue
            match: Match = {"id": data.ids[row], "score": float(scores[row])}
            namespace = data.namespaces[row]
            if namespace is not None:
                match["namespace"] = namespace
            if options.get("returnValues"):
                match["values"] = self._values(data.ids[row])
            if return_metadata not in (False, "none"):
                match["metadata"] = data.metadata[row]
            matches.append(match)
        return {"matches": matches, "count": len(matches)}

    def _values(self, vid: str) -> list[float]:
        """The values as stored (not the unit-scaled copy used for scoring)."""
        row = self._conn.execute("SELECT vector FROM vectors WHERE id = ?", (vid,)).fetchone()
        return np.frombuffer(row[0], dtype=np.float32).tolist()

    async def describe(self) -> IndexInfo:
        return await self._run(self._describe)

    def _describe(self) -> IndexInfo:
        count = self._conn.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]
        meta = dict(self._conn.execute("SELECT key, value FROM meta").fetchall())
        return {
            "dimensions": self.dims,
            "vectorCount": int(count),
            "processedUpToDatetime": meta.get("mutated_at"),
            "processedUpToMutation": meta.get("mutation"),
        }

    def close(self) -> None:
        """After every call already made has run."""
        self._thread.shutdown(wait=True)
        self._conn.close()
