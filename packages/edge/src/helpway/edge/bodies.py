"""Read request bodies and queries into the shared pydantic models, within a byte budget.

The size is checked before parsing (declared length first, then while streaming), so an
oversized body costs at most `max_bytes` of memory and is refused with `too_large`.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from helpway.shared import errors, wire

from .errors import ApiError

M = TypeVar("M", bound=BaseModel)

# Ordinary JSON bodies (sessions, logins) are tiny; KB documents carry whole articles.
MAX_JSON_BYTES = 64 * 1024
MAX_DOCUMENT_BYTES = 8 * 1024 * 1024


async def read_body(request: Request, max_bytes: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise ApiError(errors.TOO_LARGE, f"body is larger than {max_bytes} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise ApiError(errors.TOO_LARGE, f"body is larger than {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def describe(exc: ValidationError) -> str:
    """The first problem, named by its path: enough for a developer, no echo of the input."""
    first = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    pattern = first.get("ctx", {}).get("pattern")
    if first["type"] == "string_pattern_mismatch" and pattern in wire.PATTERNS:
        # Its pattern is a page of invisible and control code points: say which rule the text
        # broke instead, in the codec's words (the input itself is never echoed).
        return f"{where}: {wire.PATTERNS[pattern](first['input'])}"
    return f"{where}: {first['msg']}"


def parse(model: type[M], raw: bytes) -> M:
    """Validate JSON bytes; malformed JSON is `bad_frame` (400), a bad field `invalid` (422)."""
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        if any(err["type"] == "json_invalid" for err in exc.errors()):
            raise ApiError(errors.BAD_FRAME, "body is not valid JSON") from None
        raise ApiError(errors.INVALID, describe(exc)) from None


async def read_model(request: Request, model: type[M], max_bytes: int = MAX_JSON_BYTES) -> M:
    return parse(model, await read_body(request, max_bytes))


def read_query(request: Request, model: type[M]) -> M:
    """Validate the query string; repeated or unknown parameters are refused by the model."""
    params: dict[str, Any] = dict(request.query_params)
    try:
        return model.model_validate(params)
    except ValidationError as exc:
        raise ApiError(errors.INVALID, describe(exc)) from None
