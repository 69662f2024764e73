"""A participant's connection to a room, and the ordered writer behind it.

The edge authenticates a socket, then hands the host a `Session`. Frames for a session go
through its `Outlet`: one queue and one writer task, so frames arrive in the order the room
decided them while a slow or dead socket never holds up the room (as a Durable Object's
`ws.send` never blocks it).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from helpway.shared import frames

from .effects import ServerFrame

log = logging.getLogger("helpway.rooms")

SendFrame = Callable[[ServerFrame], Awaitable[None]]
CloseSocket = Callable[[int, str], Awaitable[None]]
# A session whose socket falls this far behind is dropped; it resumes with `last_seq` later.
MAX_PENDING_FRAMES = 10_000


def _session_id() -> str:
    return secrets.token_urlsafe(9)


@dataclass(eq=False)
class Session:
    """One socket in one conversation: who (already authenticated) and how to reach it.

    `site_id` is the conversation's site; a room created by this session's join belongs to it.
    `ip` is the client's address, for the per-IP send limit (None: not limited by address).
    `close` ends the socket (code, reason): the host calls it when the conversation is erased
    or the participant loses access (None: the host cannot end it, only stop writing)."""

    conversation_id: str
    site_id: str
    participant: frames.Author
    send: SendFrame
    id: str = field(default_factory=_session_id)
    ip: str | None = None
    close: CloseSocket | None = None


class Outlet:
    """Writes a session's frames in order; calls `on_gone` once if the socket fails."""

    def __init__(self, session: Session, on_gone: Callable[[Session], Awaitable[None]]) -> None:
        self.session = session
        self._on_gone = on_gone
        self._queue: asyncio.Queue[ServerFrame] = asyncio.Queue()
        self._overflowed = False
        self._task = asyncio.create_task(self._write(), name=f"session {session.id}")

    def put(self, frame: ServerFrame) -> None:
        if self._task.done() or self._overflowed:
            return
        if self._queue.qsize() >= MAX_PENDING_FRAMES:
            # The socket stopped reading (its send may hang forever): give up on it now.
            log.info("session %s is too far behind; dropping it", self.session.id)
            self._overflowed = True
            self._task.cancel()
            return
        self._queue.put_nowait(frame)

    def stop(self) -> None:
        """Stop writing (the socket is closed). Safe to call from the writer itself."""
        if asyncio.current_task() is not self._task:
            self._task.cancel()

    async def aclose(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def _write(self) -> None:
        try:
            while True:
                await self.session.send(await self._queue.get())
        except asyncio.CancelledError:
            if not self._overflowed:
                raise  # stopped by the host: the session is already detached
        except Exception as exc:  # any failure of a send means the socket is gone
            log.info("session %s send failed: %r", self.session.id, exc)
        await self._on_gone(self.session)
