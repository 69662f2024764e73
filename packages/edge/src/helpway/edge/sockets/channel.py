"""One accepted WebSocket with a bounded outgoing queue drained by a single writer task.

Rooms and the inbox hub call `send` from other connections' tasks; queueing keeps that call
instant and keeps one slow reader from stalling a whole room. A reader too slow to keep up is
disconnected (1013, "try again later"): its client reconnects and resumes from its last seq,
which loses nothing, whereas an unbounded queue would grow without limit.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from helpway.shared import frames

from .. import framing

MAX_QUEUED_FRAMES = 1024
CLOSE_TOO_SLOW = 1013
# How long a closing socket gets to flush its last frames (e.g. the `unauthorized` error).
FLUSH_TIMEOUT_S = 5.0


class _Close:
    def __init__(self, code: int, reason: str) -> None:
        self.code = code
        self.reason = reason


class Channel:
    def __init__(self, ws: WebSocket) -> None:
        self._ws = ws
        # Frames, then at most one last item: a `_Close` to send, or None if the client left.
        self._queue: asyncio.Queue[str | _Close | None] = asyncio.Queue(MAX_QUEUED_FRAMES + 1)
        self._closing = False

    async def send(self, frame: frames.Frame) -> None:
        """Queue `frame`; frames for a closing socket are dropped (its client will resume)."""
        if self._closing:
            return
        if self._queue.qsize() >= MAX_QUEUED_FRAMES:
            self._close_soon(CLOSE_TOO_SLOW, "too slow to keep up")
            return
        self._queue.put_nowait(framing.encode(frame))

    async def close(self, code: int, reason: str) -> None:
        """Close after the frames already queued have been written."""
        self._close_soon(code, reason)

    def _close_soon(self, code: int, reason: str) -> None:
        self._finish(_Close(code, reason))

    def _finish(self, last: _Close | None) -> None:
        if not self._closing:
            self._closing = True
            self._queue.put_nowait(last)

    async def receive(self) -> str | bytes | None:
        """The next client message, or None once the client is gone or the socket closes."""
        if self._closing:
            return None
        try:
            message = await self._ws.receive()
        except (WebSocketDisconnect, RuntimeError):
            message = {"type": "websocket.disconnect"}
        if message["type"] == "websocket.disconnect":
            self._finish(None)  # nobody to write to, nothing to close
            return None
        text = message.get("text")
        return text if text is not None else message.get("bytes") or b""

    async def _write(self) -> None:
        while True:
            item = await self._queue.get()
            if item is None:
                return
            if isinstance(item, _Close):
                if self._ws.application_state == WebSocketState.CONNECTED:
                    await self._ws.close(item.code, item.reason)
                return
            await self._ws.send_text(item)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Channel]:
        """Run the writer for the body's duration, then close normally and flush."""
        writer = asyncio.create_task(self._write())
        try:
            yield self
        finally:
            self._close_soon(1000, "")
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer, FLUSH_TIMEOUT_S)
            writer.cancel()
