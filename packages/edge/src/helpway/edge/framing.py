"""Decode client frames and encode server frames for the WebSocket endpoints.

Refusals are classified exactly like the browser's codec (`helpway.shared.wire.decode`): over
the byte limit → `too_large`; not JSON, not an object or no known `type` → `bad_frame`; a known
frame with a bad field → `invalid`. The size check comes first so an oversized frame is never
parsed.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import TypeAdapter, ValidationError

from helpway.shared import errors, frames, limits

from .bodies import describe

# pydantic error types meaning "this is not a frame at all", as opposed to a bad field.
_NOT_A_FRAME = {"json_invalid", "json_type", "union_tag_not_found", "union_tag_invalid"}
_NOT_AN_OBJECT = {"model_type", "model_attributes_type", "dict_type"}


class Refusal(Exception):
    """A client frame the server will not act on; becomes an `error` frame. `client_id` names
    a refused send (`message.send`, `note.send`, `rating.send`), so the sender can mark that
    very one as failed."""

    def __init__(self, code: str, message: str, client_id: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.client_id = client_id

    def frame(self) -> frames.Error:
        return frames.Error.model_validate(
            {
                "type": "error",
                "code": self.code,
                "message": self.message[:500],
                "client_id": self.client_id,
            }
        )


def decode(raw: str | bytes, adapter: TypeAdapter[Any] = frames.client_frame_adapter) -> Any:
    """Parse one client frame (a room's unless `adapter` is the inbox's) or raise `Refusal`."""
    size = len(raw.encode("utf-8")) if isinstance(raw, str) else len(raw)
    if size > limits.MAX_FRAME_BYTES:
        raise Refusal(errors.TOO_LARGE, f"frame is larger than {limits.MAX_FRAME_BYTES} bytes")
    try:
        return adapter.validate_json(raw)
    except ValidationError as exc:
        problems = exc.errors(include_url=False, include_input=False)
        kinds = {problem["type"] for problem in problems}
        if kinds & _NOT_A_FRAME or (kinds & _NOT_AN_OBJECT and not problems[0]["loc"]):
            raise Refusal(errors.BAD_FRAME, _bad_frame_message(kinds)) from None
        raise Refusal(errors.INVALID, describe(exc), _send_client_id(raw)) from None


def _bad_frame_message(kinds: set[str]) -> str:
    if "json_invalid" in kinds:
        return "frame is not JSON"
    if kinds & {"union_tag_not_found", "union_tag_invalid"}:
        return "unknown frame type"
    return "frame is not an object"


def _send_client_id(raw: str | bytes) -> str | None:
    """The `client_id` of an invalid send (a message, a note or a rating), when it is itself a
    valid one."""
    frame = json.loads(raw)
    sends = ("message.send", "note.send", "rating.send")
    client_id = frame.get("client_id") if frame.get("type") in sends else None
    if isinstance(client_id, str) and 0 < len(client_id) <= limits.MAX_CLIENT_ID_CHARS:
        return client_id
    return None


def encode(frame: frames.Frame) -> str:
    """Compact JSON without absent optional fields, the form the browser codec expects."""
    return frame.model_dump_json(exclude_none=True)
