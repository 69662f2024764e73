"""The `VectorIndex` port, shaped like Cloudflare Vectorize v2, and its pure query rules.

Calls and results use Vectorize's names and dict shapes (`topK`, `returnMetadata`, `matches`,
`mutationId`, ...), so the Cloudflare adapter passes them through and the contract tests written
against the local index are the spec for both. Ids are unique across the whole index (not per
namespace), as in Vectorize; callers give each site its own namespace.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal, NotRequired, Protocol, TypedDict

MetadataValue = str | int | float | bool
Metadata = dict[str, Any]
ReturnMetadata = bool | Literal["none", "indexed", "all"]

MAX_ID_BYTES = 64
MAX_NAMESPACE_BYTES = 64
MAX_METADATA_BYTES = 10 * 1024
MAX_TOP_K = 100
_OPERATORS = ("$eq", "$ne", "$in", "$nin", "$lt", "$lte", "$gt", "$gte")


class VectorRecord(TypedDict):
    id: str
    values: Sequence[float]
    namespace: NotRequired[str]
    metadata: NotRequired[Metadata]


class QueryOptions(TypedDict, total=False):
    topK: int
    namespace: str
    returnValues: bool
    returnMetadata: ReturnMetadata
    filter: Mapping[str, Any]


class Match(TypedDict):
    id: str
    score: float
    namespace: NotRequired[str]
    values: NotRequired[list[float]]
    metadata: NotRequired[Metadata]


class QueryResult(TypedDict):
    matches: list[Match]
    count: int


class Mutation(TypedDict):
    mutationId: str


class IndexInfo(TypedDict):
    dimensions: int
    vectorCount: int
    processedUpToDatetime: str | None
    processedUpToMutation: str | None


class VectorIndex(Protocol):
    async def insert(self, vectors: Sequence[VectorRecord]) -> Mutation:
        """Add vectors whose ids are new; existing ids are left as they are."""
        ...

    async def upsert(self, vectors: Sequence[VectorRecord]) -> Mutation:
        """Add or replace vectors by id."""
        ...

    async def query(
        self, vector: Sequence[float], options: QueryOptions | None = None
    ) -> QueryResult:
        """The `topK` nearest by cosine similarity (higher is closer), best first."""
        ...

    async def getByIds(self, ids: Sequence[str]) -> list[VectorRecord]: ...

    async def deleteByIds(self, ids: Sequence[str]) -> Mutation: ...

    async def describe(self) -> IndexInfo: ...


class IndexMismatchError(Exception):
    """The index on disk was built with another model or dimension: its vectors would not
    compare with new ones, so it is refused rather than silently mixed."""


def check_record(record: VectorRecord, dims: int) -> None:
    """Raise ValueError for a record Vectorize would reject."""
    if not isinstance(record.get("id"), str) or not record["id"]:
        raise ValueError("a vector needs a non-empty string id")
    if len(record["id"].encode()) > MAX_ID_BYTES:
        raise ValueError(f"vector id longer than {MAX_ID_BYTES} bytes: {record['id']!r}")
    if len(record["values"]) != dims:
        raise ValueError(
            f"vector {record['id']!r} has {len(record['values'])} dimensions, index has {dims}"
        )
    namespace = record.get("namespace")
    if namespace is not None and len(namespace.encode()) > MAX_NAMESPACE_BYTES:
        raise ValueError(f"namespace longer than {MAX_NAMESPACE_BYTES} bytes: {namespace!r}")
    if len(json.dumps(record.get("metadata") or {}).encode()) > MAX_METADATA_BYTES:
        raise ValueError(f"metadata of {record['id']!r} is over {MAX_METADATA_BYTES} bytes")


def check_query(vector: Sequence[float], options: QueryOptions, dims: int) -> int:
    """Validate a query and return its topK."""
    if len(vector) != dims:
        raise ValueError(f"query vector has {len(vector)} dimensions, index has {dims}")
    top_k = options.get("topK", 5)
    if not isinstance(top_k, int) or not 1 <= top_k <= MAX_TOP_K:
        raise ValueError(f"topK must be an integer from 1 to {MAX_TOP_K}")
    if options.get("returnMetadata", "none") not in (True, False, "none", "indexed", "all"):
        raise ValueError("returnMetadata must be a boolean or 'none', 'indexed' or 'all'")
    filter_ = options.get("filter") or {}
    for field, condition in filter_.items():
        if isinstance(condition, Mapping):
            unknown = set(condition) - set(_OPERATORS)
            if unknown:
                raise ValueError(f"unknown filter operator(s) on {field!r}: {sorted(unknown)}")
    return top_k


def _lookup(metadata: Metadata, field: str) -> tuple[bool, Any]:
    value: Any = metadata
    for part in field.split("."):
        if not isinstance(value, dict) or part not in value:
            return False, None
        value = value[part]
    return True, value


def _comparable(a: Any, b: Any) -> bool:
    """Range operators compare numbers with numbers and strings with strings, nothing else."""
    if isinstance(a, bool) or isinstance(b, bool):
        return False
    numbers = (int, float)
    return (isinstance(a, numbers) and isinstance(b, numbers)) or (
        isinstance(a, str) and isinstance(b, str)
    )


def _compare(found: bool, value: Any, op: str, operand: Any) -> bool:
    if op == "$eq":
        return found and value == operand
    if op == "$ne":
        return not found or value != operand
    if op == "$in":
        return found and value in operand
    if op == "$nin":
        return not found or value not in operand
    if not found or not _comparable(value, operand):
        return False
    if op == "$lt":
        return bool(value < operand)
    if op == "$lte":
        return bool(value <= operand)
    if op == "$gt":
        return bool(value > operand)
    return bool(value >= operand)


def matches_filter(metadata: Metadata, filter_: Mapping[str, Any]) -> bool:
    """Vectorize's metadata filter: fields AND-ed, a bare value meaning `$eq`."""
    for field, condition in filter_.items():
        found, value = _lookup(metadata, field)
        ops = condition if isinstance(condition, Mapping) else {"$eq": condition}
        if not all(_compare(found, value, op, operand) for op, operand in ops.items()):
            return False
    return True
