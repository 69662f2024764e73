"""The Worker's HTTP side: the same Starlette app as locally, on Cloudflare's adapters.

`worker_app(env)` builds it on the first request of an isolate, never at import (a Python
Worker's memory snapshot is taken after import, and must not hold bindings or drawn values).
Conversation and inbox sockets never reach it — the Worker hands their upgrades to Durable
Objects — so its room host and inbox hub hold no sockets: they reach the conversation and hub
objects over RPC for what HTTP routes ask of them (erase a room, read its log, end an agent's
sockets).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from helpway.knowledge.cloudflare.vectorize import VectorizeIndex
from helpway.knowledge.cloudflare.workers_ai import WorkersAiEmbedder, WorkersAiGenerator
from helpway.knowledge.confidence import AnswerPolicy
from helpway.knowledge.knowledge_base import KnowledgeBase
from helpway.knowledge.offload import inline
from helpway.rooms.cloudflare.ratelimit import DurableLimiter
from helpway.rooms.effects import Entry, ServerFrame
from helpway.rooms.session import Session
from helpway.shared import frames
from helpway.store.cloudflare.d1 import D1Database
from helpway.store.database import Database

from ..app import build_app
from ..services import Services
from .inbox_object import InboxObjects
from .settings import CloudflareSettings

_entries: TypeAdapter[list[Entry]] = TypeAdapter(list[Entry])
# The knowledge base keeps nothing on disk here (D1, Vectorize and Workers AI hold it all).
_NO_DATA_DIR = Path("/nonexistent")


def cloudflare_knowledge(db: Database, env: Any, settings: CloudflareSettings) -> KnowledgeBase:
    """The knowledge base on D1 (rows, FTS5), Vectorize (vectors) and Workers AI (models)."""
    return KnowledgeBase(
        db,
        _NO_DATA_DIR,
        embedder=WorkersAiEmbedder(env.AI, settings.embedding_model, settings.embedding_dims),
        index=VectorizeIndex(env.VECTORIZE, settings.embedding_dims),
        generator=WorkersAiGenerator(env.AI, settings.chat_model),
        policy=AnswerPolicy(min_similarity=settings.min_similarity),
        offload=inline,
    )


class ConversationObjects:
    """The app's room host on the Worker: the Worker routes every conversation socket to its
    Durable Object before the app sees the request, so joining and frames never come here;
    what the HTTP routes ask of rooms (erase, end a participant's sockets, read a log) goes to
    the conversation objects over RPC.

    `disconnect` reaches the objects of the site's conversations that are not closed (a closed
    conversation's room rarely has sockets, and waking every object a site ever had would cost
    one call each); an agent's socket left on a closed one can still read it until it closes,
    but no route or new socket lets the agent in."""

    def __init__(self, namespace: Any, db: Database) -> None:
        self._namespace = namespace
        self._db = db

    async def erase(self, conversation_id: str) -> None:
        await self._namespace.getByName(conversation_id).erase()

    async def disconnect(self, site_id: str, participant_id: str) -> int:
        rows = await self._db.all(
            "SELECT id FROM conversations WHERE site_id = ? AND status != 'closed'", (site_id,)
        )
        ended = 0
        for row in rows:
            ended += int(await self._namespace.getByName(row["id"]).disconnect(participant_id))
        return ended

    async def room_log(self, conversation_id: str, after_seq: int) -> list[Entry]:
        text = await self._namespace.getByName(conversation_id).room_log(after_seq)
        return _entries.validate_json(str(text))

    async def join(self, session: Session, last_seq: int = 0) -> None:
        raise RuntimeError("conversation sockets are served by the ConversationRoom object")

    async def receive(self, session: Session, frame: frames.ClientFrame) -> None:
        raise RuntimeError("conversation sockets are served by the ConversationRoom object")

    def submit(self, session: Session, frame: frames.ClientFrame) -> Awaitable[None]:
        raise RuntimeError("conversation sockets are served by the ConversationRoom object")

    async def send(self, session: Session, frame: ServerFrame) -> None:
        raise RuntimeError("conversation sockets are served by the ConversationRoom object")

    async def assign(self, session: Session, assignee: frames.Author | None) -> None:
        raise RuntimeError("conversation sockets are served by the ConversationRoom object")

    async def leave(self, session: Session) -> None:
        raise RuntimeError("conversation sockets are served by the ConversationRoom object")


class AssetsLoader:
    """The loader template (`services.LoaderTemplate`) from the static-assets binding: the same
    built `widget.js` the assets service serves, read once per isolate (a deploy starts new
    isolates with the new assets)."""

    def __init__(self, env: Any) -> None:
        self.env = env
        self._template: str | None = None

    async def template(self) -> str | None:
        if self._template is None:
            response = await self.env.ASSETS.fetch("https://assets.invalid/widget.js")
            if int(response.status) != 200:
                return None
            self._template = str(await response.text())
        return self._template


def worker_services(env: Any) -> Services:
    db = D1Database(env.DB)
    return Services(
        db=db,
        rooms=ConversationObjects(env.ROOMS, db),
        knowledge=cloudflare_knowledge(db, env, CloudflareSettings.from_env(env)),
        inbox=InboxObjects(env),
        loader=AssetsLoader(env),
        # Every isolate's logins charge the same limiter objects (an isolate's own memory
        # would limit that isolate alone).
        login_limiter=DurableLimiter(env.LIMITER),
    )


@contextlib.asynccontextmanager
async def _no_lifespan(app: Starlette) -> AsyncIterator[None]:
    """The SDK's bridge runs the lifespan around every request: there is nothing to open."""
    yield


class ConnectingIp:
    """The client's address from `CF-Connecting-IP`, as `request.client`. The SDK's ASGI
    bridge gives no client, and a route limited per IP (logins) would then not be limited by
    IP at all; Cloudflare sets this header on every request it forwards (a client's own value
    is replaced), so on the Worker it can be trusted, unlike locally."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            ip = Headers(scope=scope).get("cf-connecting-ip")
            if ip:
                scope = {**scope, "client": (ip, 0)}
        await self.app(scope, receive, send)


def make_worker_app(env: Any) -> Starlette:
    app = build_app(_no_lifespan)
    app.add_middleware(ConnectingIp)
    app.state.services = worker_services(env)
    return app


_app: Starlette | None = None


def worker_app(env: Any) -> Starlette:
    """The isolate's app, built on its first request and kept for the next ones."""
    global _app
    if _app is None:
        _app = make_worker_app(env)
    return _app
