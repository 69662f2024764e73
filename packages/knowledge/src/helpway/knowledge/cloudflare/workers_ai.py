"""Workers AI (`env.AI`) behind the `Embedder` and `Generator` ports.

Embeddings: `@cf/baai/bge-m3`, multilingual like the local e5 model, 1024 dims (so the
Vectorize index is created with 1024 dimensions, cosine). bge-m3 embeds questions and passages
alike — it takes no instruction prefix — so `kind` does not change the request. Rows are
L2-normalised here, whatever the model returns, as the port promises.

Answers: a chat model, asked exactly as the OpenAI-compatible generator asks its server (the
grounded prompt, with KB and visitor text as delimited data) and streamed. `AI.run(model,
{"messages": ..., "stream": True})` returns a stream of server-sent events,
`data: {"response": "<text>"}` lines ending with `data: [DONE]`; `sse_texts` turns its byte
chunks (split anywhere, even inside a UTF-8 character) into text pieces, and
`grounded.answer_events` into answer events (holding back a `NO_ANSWER` decline).
"""

from __future__ import annotations

import codecs
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

import numpy as np

from ..answers import AnswerEvent
from ..embedder import Kind, Vectors
from ..grounded import answer_events, chat_messages, declined
from ..openai_compatible import GeneratorError, sse_events
from ..retrieval import Hit
from ..wording import wording_for

EMBEDDING_MODEL = "@cf/baai/bge-m3"
EMBEDDING_DIMS = 1024
EMBEDDING_BATCH = 32  # texts per call: chunks are short, and a failed call retries less
CHAT_MODEL = "@cf/meta/llama-3.1-8b-instruct"
MAX_ANSWER_TOKENS = 512


class WorkersAiEmbedder:
    def __init__(self, ai: Any, model: str = EMBEDDING_MODEL, dims: int = EMBEDDING_DIMS) -> None:
        self._ai = ai
        self._model = model
        self._dims = dims

    @property
    def model_id(self) -> str:
        return f"workers-ai/{self._model}"

    @property
    def dims(self) -> int:
        return self._dims

    async def embed(self, texts: Sequence[str], kind: Kind) -> Vectors:
        items = list(texts)
        parts = [np.zeros((0, self._dims), dtype=np.float32)]
        for i in range(0, len(items), EMBEDDING_BATCH):
            batch = items[i : i + EMBEDDING_BATCH]
            result = await self._ai.run(self._model, {"text": batch})
            shape = [int(n) for n in result["shape"]]
            if shape != [len(batch), self._dims]:
                raise ValueError(
                    f"{self._model} returned shape {shape}, expected [{len(batch)}, {self._dims}]"
                )
            rows = np.asarray([list(row) for row in result["data"]], dtype=np.float32)
            norms = np.linalg.norm(rows, axis=1, keepdims=True)
            parts.append((rows / np.where(norms == 0, 1, norms)).astype(np.float32))
        return np.concatenate(parts)


async def _lines(stream: Any) -> AsyncIterator[str]:
    """The text lines of a byte stream: the JS ReadableStream `AI.run` returns (chunks are
    Uint8Array proxies with `to_bytes()`), or any async iterable of bytes."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    pending = ""
    async for chunk in stream:
        data = chunk.to_bytes() if hasattr(chunk, "to_bytes") else bytes(chunk)
        pending += decoder.decode(data)
        *lines, pending = pending.split("\n")
        for line in lines:
            yield line.removesuffix("\r")
    pending += decoder.decode(b"", final=True)
    if pending:
        yield pending


async def sse_texts(stream: Any) -> AsyncIterator[str]:
    """The `response` texts of a Workers AI event stream, in order, until `[DONE]`; a stream
    that ends without `[DONE]` was cut short, and raises rather than pass as a whole answer."""
    async for data in sse_events(_lines(stream)):
        if data.strip() == "[DONE]":
            return
        try:
            payload = json.loads(data)
        except ValueError:
            raise GeneratorError(
                f"Workers AI sent an event that is not JSON: {data[:80]!r}"
            ) from None
        text = payload.get("response") if isinstance(payload, dict) else None
        if isinstance(text, str) and text:
            yield text
    raise GeneratorError("the Workers AI stream ended in the middle of the answer")


class WorkersAiGenerator:
    def __init__(self, ai: Any, model: str = CHAT_MODEL) -> None:
        self._ai = ai
        self._model = model

    async def generate(self, question: str, passages: Sequence[Hit]) -> AsyncIterator[AnswerEvent]:
        decline = wording_for(question).decline
        if not passages:
            events = declined(decline)
        else:
            stream = await self._ai.run(
                self._model,
                {
                    "messages": chat_messages(question, passages),
                    "stream": True,
                    "max_tokens": MAX_ANSWER_TOKENS,
                },
            )
            events = answer_events(sse_texts(stream), passages, decline)
        async for event in events:
            yield event
