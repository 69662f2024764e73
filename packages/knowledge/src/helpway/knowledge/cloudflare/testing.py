"""Doubles of the Vectorize and Workers AI bindings for CPython tests, with their JS shapes.

They reproduce what a Python Worker sees through the SDK's binding wrapper
(`workers-runtime-sdk` 1.9.5, `workers/rpc.py`) for the calls Helpway makes, as documented by
Cloudflare (Vectorize client API v2 and limits; Workers AI model schemas):

- Arguments are converted by the SDK's `python_to_rpc`: tuples and bytearrays raise
  `TypeError`, and anything that is not a plain dict, list or scalar (a numpy array) reaches JS
  as an opaque proxy, which the service refuses.
- Results are dicts with attribute access (`JsDict`); a vector's values are a typed array,
  which Pyodide converts to a `memoryview`, not a list.
- Vectorize v2: writes return `{"mutationId"}`; `query` takes `topK` (default 5, at most 100,
  at most 20 with values or all metadata), `namespace`, `returnValues`, `returnMetadata`
  (`true`/`false` or `"none"`/`"indexed"`/`"all"`) and `filter`, which may only name
  properties with a metadata index; cosine scores, best first; `getByIds` in no promised order
  (the double uses storage order). Not reproduced: the seconds a real write takes to become
  visible, and approximate (non-exact) scoring on large indexes.
- Workers AI: an embedding model answers `{"shape": [n, dims], "data": [[...]]}`; a chat model
  with `stream: true` answers a ReadableStream of server-sent events, `data: {"response": ...}`
  lines then `data: [DONE]`, in byte chunks that may split a line or a UTF-8 character.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import uuid
from array import array
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from helpway.store.cloudflare.testing import FakeJsException, JsObject, to_js_value

from ..vector_index import matches_filter

MAX_TOP_K = 100
MAX_TOP_K_WITH_DATA = 20
MAX_WRITE = 1000
MAX_ID_BYTES = 64
MAX_METADATA_BYTES = 10 * 1024
SCALARS = (str, int, float, bool, type(None))


def to_js(value: Any) -> Any:
    """Check an argument the way the SDK and JS would see it; return it unchanged."""
    to_js_value(value)
    if isinstance(value, Mapping):
        for item in value.values():
            to_js(item)
    elif isinstance(value, list):
        for item in value:
            to_js(item)
    elif not isinstance(value, SCALARS):
        raise FakeJsException(
            f"TypeError: a {type(value).__name__} reaches JS as an opaque proxy", "TypeError"
        )
    return value


def _typed_array(values: Sequence[float]) -> memoryview:
    return memoryview(array("f", values))


@dataclass
class _Stored:
    namespace: str | None
    values: list[float]
    metadata: dict[str, Any]


class FakeVectorize:
    """A Vectorize v2 index double: exact cosine search over float32 vectors in memory."""

    def __init__(self, dims: int, metadata_indexes: Sequence[str] = ()) -> None:
        self.dims = dims
        self.metadata_indexes = set(metadata_indexes)
        self._vectors: dict[str, _Stored] = {}
        self._mutation: str | None = None
        self._mutated_at: str | None = None
        self._clock = 0

    async def insert(self, vectors: list[dict[str, Any]]) -> JsObject:
        return self._write(vectors, replace=False)

    async def upsert(self, vectors: list[dict[str, Any]]) -> JsObject:
        return self._write(vectors, replace=True)

    async def query(self, vector: list[float], options: dict[str, Any] | None = None) -> JsObject:
        to_js(vector)
        options = to_js(options or {})
        if len(vector) != self.dims:
            raise FakeJsException(
                f"VECTOR_QUERY_ERROR (code = 40006): query vector has {len(vector)} dimensions, "
                f"the index {self.dims}"
            )
        top_k = options.get("topK", 5)
        return_values = bool(options.get("returnValues", False))
        return_metadata = options.get("returnMetadata", "none")
        with_data = return_values or return_metadata in (True, "all")
        limit = MAX_TOP_K_WITH_DATA if with_data else MAX_TOP_K
        if not isinstance(top_k, int) or not 1 <= top_k <= limit:
            raise FakeJsException(f"VECTOR_QUERY_ERROR (code = 40025): topK must be 1 to {limit}")
        filter_ = options.get("filter") or {}
        unindexed = set(filter_) - self.metadata_indexes
        if unindexed:
            raise FakeJsException(
                f"VECTOR_QUERY_ERROR (code = 40030): no metadata index for {sorted(unindexed)}"
            )
        namespace = options.get("namespace")
        scored = []
        for vid, stored in self._vectors.items():
            if namespace is not None and stored.namespace != namespace:
                continue
            if filter_ and not matches_filter(stored.metadata, filter_):
                continue
            scored.append((_cosine(vector, stored.values), vid, stored))
        scored.sort(key=lambda item: -item[0])
        matches = []
        for score, vid, stored in scored[:top_k]:
            match = JsObject(id=vid, score=score)
            if stored.namespace is not None:
                match["namespace"] = stored.namespace
            if return_values:
                match["values"] = _typed_array(stored.values)
            if return_metadata not in (False, "none"):
                match["metadata"] = JsObject(stored.metadata)
            matches.append(match)
        return JsObject(matches=matches, count=len(matches))

    async def getByIds(self, ids: list[str]) -> list[JsObject]:
        to_js(ids)
        wanted = set(ids)
        return [self._vector(vid, stored) for vid, stored in self._vectors.items() if vid in wanted]

    async def deleteByIds(self, ids: list[str]) -> JsObject:
        to_js(ids)
        for vid in ids:
            self._vectors.pop(vid, None)
        return self._mutated()

    async def describe(self) -> JsObject:
        return JsObject(
            dimensions=self.dims,
            vectorCount=len(self._vectors),
            processedUpToDatetime=self._mutated_at,
            processedUpToMutation=self._mutation,
        )

    def _write(self, vectors: list[dict[str, Any]], replace: bool) -> JsObject:
        to_js(vectors)
        if len(vectors) > MAX_WRITE:
            raise FakeJsException(f"VECTOR_UPSERT_ERROR: at most {MAX_WRITE} vectors per call")
        for vector in vectors:
            values = vector["values"]
            if len(values) != self.dims:
                raise FakeJsException(
                    f"VECTOR_UPSERT_ERROR (code = 40008): vector {vector['id']} has "
                    f"{len(values)} dimensions, the index {self.dims}"
                )
            if len(vector["id"].encode()) > MAX_ID_BYTES:
                raise FakeJsException("VECTOR_UPSERT_ERROR: id longer than 64 bytes")
            if len(json.dumps(vector.get("metadata") or {}).encode()) > MAX_METADATA_BYTES:
                raise FakeJsException("VECTOR_UPSERT_ERROR: metadata over 10 KiB")
        for vector in vectors:
            if not replace and vector["id"] in self._vectors:
                continue
            self._vectors[vector["id"]] = _Stored(
                namespace=vector.get("namespace"),
                values=list(array("f", vector["values"])),  # stored as float32
                metadata=json.loads(json.dumps(vector.get("metadata") or {})),
            )
        return self._mutated()

    def _mutated(self) -> JsObject:
        self._clock += 1
        self._mutation = str(uuid.uuid4())
        self._mutated_at = f"2026-01-01T00:00:{self._clock % 60:02d}.000Z"
        return JsObject(mutationId=self._mutation)

    @staticmethod
    def _vector(vid: str, stored: _Stored) -> JsObject:
        vector = JsObject(id=vid, values=_typed_array(stored.values))
        if stored.namespace is not None:
            vector["namespace"] = stored.namespace
        vector["metadata"] = JsObject(stored.metadata)
        return vector


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


# ---------------------------------------------------------------- Workers AI

Embed = Callable[[list[str]], Awaitable[list[list[float]]]]
Reply = Callable[[list[dict[str, str]]], str]


def hashed_words(dims: int) -> Embed:
    """A deterministic stand-in for an embedding model: words hashed into `dims` buckets, so
    texts sharing words are close. Rows are not normalised (the adapter must do it)."""

    async def embed(texts: list[str]) -> list[list[float]]:
        rows = []
        for text in texts:
            row = [0.0] * dims
            for word in re.findall(r"\w+", text.lower()):
                bucket = int.from_bytes(hashlib.sha256(word.encode()).digest()[:4], "big")
                row[bucket % dims] += 1.0
            rows.append(row)
        return rows

    return embed


def quote_first_passage(messages: list[dict[str, str]]) -> str:
    """A stand-in chat model for grounded prompts: answers with the first line of the first
    passage's text, or `NO_ANSWER` if it was given none."""
    found = re.search(r'<passage number="1">\n[^\n]*\n\n([^\n]+)', messages[-1]["content"])
    return found.group(1) if found else "NO_ANSWER"


class FakeReadableStream:
    """A JS ReadableStream of bytes as Pyodide exposes it: async-iterable, each chunk a
    Uint8Array proxy with `to_bytes()`."""

    class _Chunk:
        def __init__(self, data: bytes) -> None:
            self._data = data

        def to_bytes(self) -> bytes:
            return self._data

    def __init__(self, data: bytes, chunk_bytes: int) -> None:
        self._chunks = [data[i : i + chunk_bytes] for i in range(0, len(data), chunk_bytes)]

    async def __aiter__(self) -> AsyncIterator[FakeReadableStream._Chunk]:
        for chunk in self._chunks:
            yield self._Chunk(chunk)


def sse_body(pieces: Sequence[str]) -> bytes:
    """A Workers AI text-generation event stream saying `pieces`."""
    events = [f"data: {json.dumps({'response': piece, 'p': 'abc'})}\n\n" for piece in pieces]
    events.append(f"data: {json.dumps({'response': '', 'usage': {'total_tokens': 9}})}\n\n")
    events.append("data: [DONE]\n\n")
    return "".join(events).encode()


class FakeWorkersAI:
    """`env.AI` for one embedding model and one chat model.

    `embed` stands in for the embedding model; `reply` for the chat model (given the messages,
    the whole reply, streamed in word-sized pieces). Every call is recorded in `calls`."""

    def __init__(
        self,
        dims: int,
        embed: Embed | None = None,
        reply: Reply | None = None,
        chunk_bytes: int = 7,
    ) -> None:
        self.dims = dims
        self._embed = embed or hashed_words(dims)
        self._reply = reply or (lambda messages: "NO_ANSWER")
        self._chunk_bytes = chunk_bytes
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def run(self, model: str, inputs: dict[str, Any]) -> Any:
        to_js(inputs)
        self.calls.append((model, inputs))
        if "text" in inputs:
            texts = [inputs["text"]] if isinstance(inputs["text"], str) else inputs["text"]
            data = await self._embed(list(texts))
            return JsObject(shape=[len(data), self.dims], data=data, pooling="cls")
        if "messages" in inputs:
            reply = self._reply(inputs["messages"])
            if not inputs.get("stream"):
                return JsObject(response=reply)
            pieces = re.findall(r"\s*\S+", reply) or [reply]
            return FakeReadableStream(sse_body(pieces), self._chunk_bytes)
        raise FakeJsException(f"AiError: 5006: {model} got an input it does not accept")
