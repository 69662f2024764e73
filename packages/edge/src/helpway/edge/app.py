"""The Helpway edge as one ASGI app: the API and socket routes, plus whatever pages the
runtime serves itself (locally: the demo site and the widget build; on Cloudflare the static
assets binding serves those).

Runtime-neutral: it imports no runtime. A composition root supplies the lifespan that puts the
`Services` on `app.state.services` and the extra routes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import EXCEPTION_HANDLERS, JsonErrors
from .routes import (
    agents,
    canned,
    conversations,
    kb,
    members,
    openapi,
    search,
    site_loader,
    sites,
    suggestions,
    visitor,
    visitor_context,
)
from .sockets import conversation, inbox

API_ROUTES: list[BaseRoute] = [
    *visitor.ROUTES,
    *conversations.ROUTES,
    *agents.ROUTES,
    *search.ROUTES,
    *visitor_context.ROUTES,
    *suggestions.ROUTES,
    *canned.ROUTES,
    *kb.ROUTES,
    *sites.ROUTES,
    *members.ROUTES,
    *openapi.ROUTES,
    *site_loader.ROUTES,
    *conversation.ROUTES,
    *inbox.ROUTES,
]

# The widget calls the API from its host page's origin. Credentials travel as bearer tokens,
# never cookies, so any origin may call; each site's allowed origins are checked per request.
CORS = Middleware(
    CORSMiddleware,
    allow_origins=["*"],
    allow_methods=["GET", "POST", "DELETE"],
    allow_headers=["authorization", "content-type"],
    expose_headers=["retry-after"],
    max_age=600,
)


# Every API answer: never sniffed into HTML or script whatever a stored text holds, and never
# kept by a shared cache (histories, exports and keys are private).
API_HEADERS = [(b"x-content-type-options", b"nosniff"), (b"cache-control", b"no-store")]


class ApiHeaders:
    """ASGI middleware adding `API_HEADERS` to every `/api/` response, errors included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in API_HEADERS if name not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def build_app(
    lifespan: Callable[[Starlette], AbstractAsyncContextManager[Any]],
    pages: Sequence[BaseRoute] = (),
) -> Starlette:
    return Starlette(
        routes=[*API_ROUTES, *pages],
        # JsonErrors outermost, so it also sees the responses CORSMiddleware builds itself.
        middleware=[Middleware(ApiHeaders), Middleware(JsonErrors), CORS],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        lifespan=lifespan,
    )
