"""The Worker's HTTP side: the same Starlette app as locally, on Cloudflare's adapters.

`worker_app(env)` builds it on the first request of an isolate, never at import (a Python
Worker's memory snapshot is taken after import, and must not hold bindings or drawn values).
Conversation and inbox sockets never reach it — the Worker hands their upgrades to Durable
Objects — so its room host is a guard that says so, and its inbox hub stays empty.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from helpway.knowledge.cloudflare.vectorize import VectorizeIndex
from helpway.knowledge.cloudflare.workers_ai import WorkersAiEmbedder, WorkersAiGenerator
from helpway.knowledge.confidence import AnswerPolicy
from helpway.knowledge.knowledge_base import KnowledgeBase
from helpway.rooms.effects import ServerFrame
from helpway.rooms.session import Session
from helpway.shared import frames
from helpway.store.cloudflare.d1 import D1Database
from helpway.store.database import Database

from ..app import build_app
from ..inbox_hub import InboxHub
from ..services import Services
from .settings import CloudflareSettings

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
    )


class SocketsAreDurableObjects:
    """The app's room host on the Worker: never called, because the Worker routes every
    conversation socket to its Durable Object before the app sees the request."""

    async def join(self, session: Session, last_seq: int = 0) -> None:
        raise RuntimeError("conversation sockets are served by the ConversationRoom object")

    async def receive(self, session: Session, frame: frames.ClientFrame) -> None:
        raise RuntimeError("conversation sockets are served by the ConversationRoom object")

    async def send(self, session: Session, frame: ServerFrame) -> None:
        raise RuntimeError("conversation sockets are served by the ConversationRoom object")

    async def leave(self, session: Session) -> None:
        raise RuntimeError("conversation sockets are served by the ConversationRoom object")


def worker_services(env: Any) -> Services:
    db = D1Database(env.DB)
    return Services(
        db=db,
        rooms=SocketsAreDurableObjects(),
        knowledge=cloudflare_knowledge(db, env, CloudflareSettings.from_env(env)),
        inbox=InboxHub(),
    )


@contextlib.asynccontextmanager
async def _no_lifespan(app: Starlette) -> AsyncIterator[None]:
    """The SDK's bridge runs the lifespan around every request: there is nothing to open."""
    yield


def make_worker_app(env: Any) -> Starlette:
    app = build_app(_no_lifespan)
    app.state.services = worker_services(env)
    return app


_app: Starlette | None = None


def worker_app(env: Any) -> Starlette:
    """The isolate's app, built on its first request and kept for the next ones."""
    global _app
    if _app is None:
        _app = make_worker_app(env)
    return _app
