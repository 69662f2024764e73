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

from .errors import EXCEPTION_HANDLERS, JsonErrors
from .routes import agents, conversations, kb, openapi, sites, visitor
from .sockets import conversation, inbox

API_ROUTES: list[BaseRoute] = [
    *visitor.ROUTES,
    *conversations.ROUTES,
    *agents.ROUTES,
    *kb.ROUTES,
    *sites.ROUTES,
    *openapi.ROUTES,
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


def build_app(
    lifespan: Callable[[Starlette], AbstractAsyncContextManager[Any]],
    pages: Sequence[BaseRoute] = (),
) -> Starlette:
    return Starlette(
        routes=[*API_ROUTES, *pages],
        # JsonErrors outermost, so it also sees the responses CORSMiddleware builds itself.
        middleware=[Middleware(JsonErrors), CORS],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        lifespan=lifespan,
    )
