"""One error shape for every HTTP failure: `rest.ErrorBody` JSON with a status that fits.

Handlers raise `ApiError`; anything Starlette raises itself (unknown route, wrong method) and
anything unexpected is translated here too, so a client never sees an HTML error page and bad
input never turns into a 500.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

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
# The reverse, for errors raised by Starlette itself (status only).
_CODE_FOR_STATUS = {
    400: errors.BAD_FRAME,
    401: errors.UNAUTHORIZED,
    403: errors.FORBIDDEN,
    404: errors.NOT_FOUND,
    405: errors.INVALID,
    413: errors.TOO_LARGE,
    429: errors.RATE_LIMITED,
}


class ApiError(Exception):
    """A refusal with a stable code; its HTTP status follows from the code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def status(self) -> int:
        return STATUS.get(self.code, 400)


def error_response(code: str, message: str, status: int | None = None) -> Response:
    body = ErrorBody.model_validate({"code": code, "message": message})
    return JSONResponse(body.model_dump(), status_code=status or STATUS.get(code, 400))


async def on_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.code, exc.message, exc.status)


async def on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _CODE_FOR_STATUS.get(exc.status_code, errors.INTERNAL)
    response = error_response(code, str(exc.detail), exc.status_code)
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
