"""The `VectorIndex` port on a Vectorize (v2) binding (`env.VECTORIZE`).

The port is Vectorize-shaped, so this is mostly translation at the JS boundary:

- going out, values must be plain JS arrays and objects: vectors become lists of floats (never
  numpy arrays or tuples, which the SDK cannot send), options and metadata plain dicts and lists;
- coming back, results are dicts whose vectors may be typed arrays (a `memoryview` in Python):
  they become lists of floats, and a match carries `values` or `metadata` only if asked for;
- `getByIds` answers in the order asked, whatever order the service uses.

Input is checked here with the port's own rules before any call, so bad input is a `ValueError`
that names the problem (as locally), not a remote error after a round trip. Vectorize's
stricter limits are kept too: `topK` at most 20 when values or all metadata are returned, and
writes go in batches of at most 1000 vectors.

One difference no adapter can hide: Vectorize applies writes asynchronously. A vector is
queryable a few seconds after `upsert` returns (`describe()['processedUpToMutation']` tells
when), where the local index answers at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from ..vector_index import (
    IndexInfo,
    Match,
    Mutation,
    QueryOptions,
    QueryResult,
    VectorRecord,
    check_query,
    check_record,
)

# Vectors per write (Vectorize's limit from a Worker); id lists are sent in the same batches.
BATCH = 1000
MAX_TOP_K_WITH_DATA = 20


def plain(value: Any) -> Any:
    """A value the SDK can send to JS (or one it received), as plain dicts, lists and scalars."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, memoryview):  # a typed array
        return [float(x) for x in value.tolist()]
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def floats(values: Any) -> list[float]:
    """A vector as a JS-sendable list of floats, from a list, tuple, numpy array or memoryview."""
    return [float(x) for x in values]


class VectorizeIndex:
    def __init__(self, binding: Any, dims: int) -> None:
        self._binding = binding
        self.dims = dims

    async def insert(self, vectors: Sequence[VectorRecord]) -> Mutation:
        return await self._write("insert", vectors)

    async def upsert(self, vectors: Sequence[VectorRecord]) -> Mutation:
        return await self._write("upsert", vectors)

    async def query(
        self, vector: Sequence[float], options: QueryOptions | None = None
    ) -> QueryResult:
        asked = cast(dict[str, Any], plain(options or {}))
        top_k = check_query(vector, cast(QueryOptions, asked), self.dims)
        with_values = bool(asked.get("returnValues"))
        return_metadata = asked.get("returnMetadata", "none")
        with_metadata = return_metadata not in (False, "none")
        if (with_values or return_metadata in (True, "all")) and top_k > MAX_TOP_K_WITH_DATA:
            raise ValueError(
                f"topK must be at most {MAX_TOP_K_WITH_DATA} when values or metadata are returned"
            )
        result = await self._binding.query(floats(vector), asked)
        matches = [self._match(found, with_values, with_metadata) for found in result["matches"]]
        return {"matches": matches, "count": len(matches)}

    async def getByIds(self, ids: Sequence[str]) -> list[VectorRecord]:
        wanted = list(dict.fromkeys(ids))
        found: dict[str, VectorRecord] = {}
        for i in range(0, len(wanted), BATCH):
            for raw in await self._binding.getByIds(wanted[i : i + BATCH]):
                record = self._record(raw)
                found[record["id"]] = record
        return [found[vid] for vid in wanted if vid in found]

    async def deleteByIds(self, ids: Sequence[str]) -> Mutation:
        mutation: Mutation = {"mutationId": ""}
        unique = list(dict.fromkeys(ids))
        for i in range(0, len(unique), BATCH):
            result = await self._binding.deleteByIds(unique[i : i + BATCH])
            mutation = {"mutationId": str(result["mutationId"])}
        return mutation

    async def describe(self) -> IndexInfo:
        info = await self._binding.describe()
        return {
            "dimensions": int(info["dimensions"]),
            "vectorCount": int(info["vectorCount"]),
            "processedUpToDatetime": _text(info.get("processedUpToDatetime")),
            "processedUpToMutation": _text(info.get("processedUpToMutation")),
        }

    async def _write(self, verb: str, vectors: Sequence[VectorRecord]) -> Mutation:
        for record in vectors:
            check_record(record, self.dims)
        records = [
            {
                "id": record["id"],
                "values": floats(record["values"]),
                **({"namespace": record["namespace"]} if "namespace" in record else {}),
                **({"metadata": plain(record["metadata"])} if "metadata" in record else {}),
            }
            for record in vectors
        ]
        mutation: Mutation = {"mutationId": ""}
        for i in range(0, len(records), BATCH):
            result = await getattr(self._binding, verb)(records[i : i + BATCH])
            mutation = {"mutationId": str(result["mutationId"])}
        return mutation

    @staticmethod
    def _match(found: Mapping[str, Any], with_values: bool, with_metadata: bool) -> Match:
        match: Match = {"id": str(found["id"]), "score": float(found["score"])}
        if found.get("namespace") is not None:
            match["namespace"] = str(found["namespace"])
        if with_values and found.get("values") is not None:
            match["values"] = floats(plain(found["values"]))
        if with_metadata:
            match["metadata"] = plain(found.get("metadata") or {})
        return match

    @staticmethod
    def _record(raw: Mapping[str, Any]) -> VectorRecord:
        record: VectorRecord = {"id": str(raw["id"]), "values": floats(plain(raw["values"]))}
        if raw.get("namespace") is not None:
            record["namespace"] = str(raw["namespace"])
        record["metadata"] = plain(raw.get("metadata") or {})
        return record


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
