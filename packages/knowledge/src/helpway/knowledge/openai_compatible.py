"""A `Generator` on any OpenAI-compatible chat server: a self-hoster's own model.

vLLM, llama.cpp's server, Ollama, LM Studio, LocalAI and hosted APIs all speak
`POST {base_url}/chat/completions` with `"stream": true`, answering server-sent events whose
`data:` lines carry `{"choices": [{"delta": {"content": "..."}}]}` and end with `data: [DONE]`.
`base_url` is written as for the OpenAI SDK, with the version (`http://127.0.0.1:8000/v1`).

The prompt and the reading of the model's text are `grounded`'s; this module only speaks HTTP.
A failed request or a broken stream raises `GeneratorError`; a stalled one is cut by the
knowledge base's watchdog, which closes this stream and with it the HTTP response.
"""

from __future__ import annotations

import json
import os
import ssl
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

import httpx

from .answers import AnswerEvent
from .grounded import answer_events, chat_messages, declined
from .retrieval import Hit
from .wording import wording_for

MAX_ANSWER_TOKENS = 512
TEMPERATURE = 0.2  # low: the answer restates the passages, it does not invent
CONNECT_SECONDS = 10.0
READ_SECONDS = 120.0  # a backstop only: the watchdog cuts stalls much sooner
MAX_ERROR_BODY = 500  # characters of a failed response's body kept in the error

ENV_BASE_URL = "HELPWAY_LLM_BASE_URL"
ENV_MODEL = "HELPWAY_LLM_MODEL"
ENV_API_KEY = "HELPWAY_LLM_API_KEY"


class GeneratorError(RuntimeError):
    """The model server refused the request or sent something that is not a chat stream."""


@dataclass(frozen=True)
class OpenAiSettings:
    base_url: str  # e.g. http://127.0.0.1:8000/v1
    model: str
    api_key: str | None = None  # sent as a bearer token; local servers often need none
    max_tokens: int = MAX_ANSWER_TOKENS
    temperature: float = TEMPERATURE

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> OpenAiSettings | None:
        """Settings from `HELPWAY_LLM_BASE_URL`, `HELPWAY_LLM_MODEL` and (optional)
        `HELPWAY_LLM_API_KEY`; None when no base URL is set."""
        base_url = environ.get(ENV_BASE_URL, "").strip()
        if not base_url:
            return None
        model = environ.get(ENV_MODEL, "").strip()
        if not model:
            raise ValueError(f"{ENV_BASE_URL} is set: set {ENV_MODEL} to the model to ask too")
        return cls(base_url, model, environ.get(ENV_API_KEY, "").strip() or None)

    @property
    def endpoint(self) -> str:
        return self.base_url.rstrip("/") + "/chat/completions"


def _choice(payload: Any, streamed: bool) -> tuple[str, bool]:
    """The text of one streamed chunk (`delta`) or of a whole, unstreamed reply (`message`),
    and whether the model says it has finished (a `finish_reason`)."""
    if not isinstance(payload, dict):
        raise GeneratorError(f"the model server sent {type(payload).__name__}, not an object")
    if "error" in payload:
        raise GeneratorError(f"the model server reported an error: {payload['error']}")
    choices = payload.get("choices")
    if not isinstance(choices, list):
        raise GeneratorError("the model server sent a reply without choices")
    if not choices:
        return "", False  # a chunk of usage figures only
    choice = choices[0] if isinstance(choices[0], dict) else {}
    part = choice.get("delta" if streamed else "message") or {}
    content = part.get("content") if isinstance(part, dict) else None
    return (content if isinstance(content, str) else ""), bool(choice.get("finish_reason"))


def _json(data: str | bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        raise GeneratorError(
            f"the model server sent something that is not JSON: {data[:80]!r}"
        ) from None


async def sse_events(lines: AsyncIterable[str]) -> AsyncIterator[str]:
    """The data of each server-sent event (its `data:` lines joined by newlines), in order."""
    data: list[str] = []
    async for line in lines:
        if not line:
            if data:
                yield "\n".join(data)
                data = []
            continue
        field, _, value = line.partition(":")
        if field == "data":
            data.append(value.removeprefix(" "))
    if data:
        yield "\n".join(data)


async def chat_texts(lines: AsyncIterable[str]) -> AsyncIterator[str]:
    """The text pieces of an OpenAI chat stream, until `[DONE]`.

    A stream that ends before `[DONE]` and before any `finish_reason` was cut short (a proxy or
    the server gave up), so it raises rather than pass a truncated answer off as whole.
    """
    finished = False
    async for data in sse_events(lines):
        if data.strip() == "[DONE]":
            return
        text, done = _choice(_json(data), streamed=True)
        finished = finished or done
        if text:
            yield text
    if not finished:
        raise GeneratorError("the model server's stream ended in the middle of the answer")


class OpenAiCompatibleGenerator:
    def __init__(self, settings: OpenAiSettings) -> None:
        self.settings = settings
        # Built once: certificate loading is the slow part of opening a client.
        self._tls = ssl.create_default_context()

    def _request_body(self, question: str, passages: Sequence[Hit]) -> dict[str, Any]:
        return {
            "model": self.settings.model,
            "messages": chat_messages(question, passages),
            "stream": True,
            "max_tokens": self.settings.max_tokens,
            "temperature": self.settings.temperature,
        }

    async def _texts(self, question: str, passages: Sequence[Hit]) -> AsyncGenerator[str]:
        headers = {"accept": "text/event-stream"}
        if self.settings.api_key:
            headers["authorization"] = f"Bearer {self.settings.api_key}"
        timeout = httpx.Timeout(READ_SECONDS, connect=CONNECT_SECONDS)
        async with (
            httpx.AsyncClient(timeout=timeout, verify=self._tls) as client,
            client.stream(
                "POST",
                self.settings.endpoint,
                json=self._request_body(question, passages),
                headers=headers,
            ) as response,
        ):
            if response.status_code != 200:
                body = (await response.aread()).decode("utf-8", errors="replace")
                raise GeneratorError(
                    f"the model server answered {response.status_code}: {body[:MAX_ERROR_BODY]}"
                )
            if response.headers.get("content-type", "").startswith("application/json"):
                # A server that does not stream sends the whole reply at once.
                text, _ = _choice(_json(await response.aread()), streamed=False)
                if text:
                    yield text
                return
            async for text in chat_texts(response.aiter_lines()):
                yield text

    async def generate(self, question: str, passages: Sequence[Hit]) -> AsyncIterator[AnswerEvent]:
        decline = wording_for(question).decline
        if not passages:
            async for event in declined(decline):
                yield event
            return
        # Closed as soon as the answer is read: a decline stops reading at the sentinel.
        async with aclosing(self._texts(question, passages)) as texts:
            async for event in answer_events(texts, passages, decline):
                yield event
