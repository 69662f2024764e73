"""One error shape for every HTTP failure: `rest.ErrorBody` JSON with a status that fits.

Handlers raise `ApiError`; anything Starlette raises itself (unknown route, wrong method) and
anything unexpected is translated here too, so a client never sees an HTML error page and bad
input never turns into a 500. Error responses that library code builds itself rather than
raising (the CORS middleware refusing a preflight, file responses refusing a `Range`) are
rewritten on their way out by `JsonErrors`.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from helpway.shared import errors
from helpway.shared.rest import ErrorBody

# The HTTP status each stable error code travels with.
STATUS = {
    errors.BAD_FRAME: 400,
    errors.INVALID: 422,
    errors.TOO_LARGE: 413,
    errors.UNAUTHORIZED: 401,
    errors.FORBIDDEN: 403,
    errors.NOT_FOUND: 404,
    errors.CONFLICT: 409,
    errors.CONVERSATION_CLOSED: 409,
    errors.RATE_LIMITED: 429,
    errors.INTERNAL: 500,
}
# The reverse, for errors Starlette raises or builds itself (status only); any other 4xx is
# `invalid` (the request asked for something it may not), any 5xx `internal`.
_CODE_FOR_STATUS = {
    401: errors.UNAUTHORIZED,
    403: errors.FORBIDDEN,
    404: errors.NOT_FOUND,
    409: errors.CONFLICT,
    413: errors.TOO_LARGE,
    429: errors.RATE_LIMITED,
}
# Longer bodies of a library's error response are not a message worth passing on.
_MAX_MESSAGE_CHARS = 200


def code_for_status(status: int) -> str:
    return _CODE_FOR_STATUS.get(status, errors.INVALID if status < 500 else errors.INTERNAL)


class ApiError(Exception):
    """A refusal with a stable code; its HTTP status follows from the code."""

    def __init__(self, code: str, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.headers = dict(headers or {})

    @property
    def status(self) -> int:
        return STATUS.get(self.code, 400)


def error_response(code: str, message: str, status: int | None = None) -> Response:
    body = ErrorBody.model_validate({"code": code, "message": message})
    return JSONResponse(body.model_dump(), status_code=status or STATUS.get(code, 400))


async def on_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    response = error_response(exc.code, exc.message, exc.status)
    response.headers.update(exc.headers)
    return response


async def on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    response = error_response(code_for_status(exc.status_code), str(exc.detail), exc.status_code)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def on_unexpected(request: Request, exc: Exception) -> Response:
    """Starlette re-raises after this response is sent, so the server still logs the trace."""
    return error_response(errors.INTERNAL, "internal error", 500)


EXCEPTION_HANDLERS = {
    ApiError: on_api_error,
    HTTPException: on_http_exception,
    Exception: on_unexpected,
}


class JsonErrors:
    """ASGI middleware: an HTTP error response (status >= 400) that is not JSON leaves as an
    `ErrorBody` with the same status and headers (e.g. `Content-Range` on a 416, the CORS
    headers on a refused preflight); its text, if short, becomes the message."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held: Message | None = None
        body = bytearray()

        async def send_json_errors(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start" and _is_foreign_error(message):
                held = message
            elif held is not None and message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
                if not message.get("more_body", False):
                    await _send_error(send, held, bytes(body), scope["method"] == "HEAD")
            else:
                await send(message)

        await self.app(scope, receive, send_json_errors)


def _is_foreign_error(start: Message) -> bool:
    content_type = MutableHeaders(raw=start["headers"]).get("content-type", "")
    return int(start["status"]) >= 400 and not content_type.startswith("application/json")


async def _send_error(send: Send, start: Message, text: bytes, head: bool) -> None:
    status = int(start["status"])
    message = text.decode("utf-8", "replace").strip()
    if not message or len(message) > _MAX_MESSAGE_CHARS:
        message = _phrase(status)
    json_body = error_response(code_for_status(status), message, status).body
    headers = MutableHeaders(raw=list(start["headers"]))
    headers["content-type"] = "application/json"
    headers["content-length"] = str(len(json_body))
    await send({"type": "http.response.start", "status": status, "headers": headers.raw})
    await send({"type": "http.response.body", "body": b"" if head else json_body})


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "error"
