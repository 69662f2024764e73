"""One accepted WebSocket, written by a single writer task from a bounded buffer.

Two kinds of producers write to a socket. A conversation room writes through its per-session
outlet, which has its own queue and its own policy for a session that falls too far behind: so
`send` waits while the buffer is full (backpressure onto that outlet, never onto the room). If
the outlet gives up while waiting (it cancels the wait), the socket is closed with 1013 ("try
again later"): the client reconnects and resumes from its last seq, losing nothing.

The inbox hub fans one update out to many agents and must not wait for any of them: it uses
`offer`, which closes a socket whose buffer is full instead of waiting (the console reloads the
inbox when it reconnects).

A socket the client has sent nothing on for `idle_timeout_s()` (clients ping every
`limits.HEARTBEAT_INTERVAL_S`) is presumed dead — a closed laptop, a proxy that dropped the
connection silently — and closed with 4408, so the room forgets it (no ghost participants or
typists) and a client that was merely asleep reconnects and resumes. One timer per socket
watches for that, re-armed only when it fires: a deadline set and cancelled around every
frame read (`asyncio.timeout`) cost more than anything else the socket did per frame.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from helpway.shared import frames, limits

from .. import framing

MAX_BUFFERED_FRAMES = 256
CLOSE_TOO_SLOW = 1013
CLOSE_IDLE = 4408
# How long a closing socket gets to flush its last frames (e.g. the `unauthorized` error).
FLUSH_TIMEOUT_S = 5.0


def idle_timeout_s() -> float:
    """Seconds of client silence before a socket is dropped; `HELPWAY_SOCKET_IDLE_S` overrides
    the protocol's `IDLE_TIMEOUT_S` (tests set a short one)."""
    value = os.environ.get("HELPWAY_SOCKET_IDLE_S", "").strip()
    return float(value) if value else float(limits.IDLE_TIMEOUT_S)


class _Close:
    def __init__(self, code: int, reason: str) -> None:
        self.code = code
        self.reason = reason


class Channel:
    def __init__(self, ws: WebSocket) -> None:
        self._ws = ws
        # Encoded frames, then one last item: a `_Close` to send, or None if the client left.
        # Unbounded itself: `_room` bounds the frames, so the last item always fits.
        self._queue: asyncio.Queue[str | _Close | None] = asyncio.Queue()
        self._room = asyncio.Semaphore(MAX_BUFFERED_FRAMES)
        self._closing = False
        self._idle_timeout_s = idle_timeout_s()
        # The task waiting in `receive`, since when, and whether the idle timer stopped it.
        self._reader: asyncio.Task[object] | None = None
        self._waiting_since = 0.0
        self._idle = False
        self._timer: asyncio.TimerHandle | None = None

    async def send(self, frame: frames.Frame) -> None:
        """Buffer `frame`, waiting while the buffer is full; dropped once the socket closes."""
        if self._closing:
            return
        try:
            await self._room.acquire()
        except asyncio.CancelledError:
            self._close_soon(CLOSE_TOO_SLOW, "too slow to keep up")
            raise
        self._put(frame)

    async def offer(self, frame: frames.Frame) -> None:
        """Buffer `frame` without waiting; a full buffer closes the socket instead."""
        if self._closing:
            return
        if self._room.locked():
            self._close_soon(CLOSE_TOO_SLOW, "too slow to keep up")
            return
        await self._room.acquire()  # free, so this does not wait
        self._put(frame)

    def _put(self, frame: frames.Frame) -> None:
        if self._closing:  # closed while waiting for room
            self._room.release()
            return
        self._queue.put_nowait(framing.encode(frame))

    async def close(self, code: int, reason: str) -> None:
        """Close after the frames already buffered have been written."""
        self._close_soon(code, reason)

    def _close_soon(self, code: int, reason: str) -> None:
        self._finish(_Close(code, reason))

    def _finish(self, last: _Close | None) -> None:
        if not self._closing:
            self._closing = True
            self._queue.put_nowait(last)

    async def receive(self) -> str | bytes | None:
        """The next client message, or None once the client is gone, has been silent too long,
        or the socket closes."""
        if self._closing:
            return None
        loop = asyncio.get_running_loop()
        if self._timer is None:
            self._timer = loop.call_later(self._idle_timeout_s, self._watch)
        self._reader = asyncio.current_task()
        self._waiting_since = loop.time()
        try:
            message = await self._ws.receive()
        except asyncio.CancelledError:
            # Stopped by the idle timer, and by nothing else (it is not being cancelled).
            if self._idle and self._reader is not None and self._reader.uncancel() == 0:
                self._close_soon(CLOSE_IDLE, "idle")
                return None
            raise
        except (WebSocketDisconnect, RuntimeError):
            message = {"type": "websocket.disconnect"}
        finally:
            self._reader = None
        if message["type"] == "websocket.disconnect":
            self._finish(None)  # nobody to write to, nothing to close
            return None
        text = message.get("text")
        return text if text is not None else message.get("bytes") or b""

    def _watch(self) -> None:
        """The idle timer: stops a `receive` that has waited `idle_timeout_s`, else fires
        again when the wait in progress (or the next one) would have lasted that long."""
        if self._closing:
            return
        loop = asyncio.get_running_loop()
        deadline = self._waiting_since + self._idle_timeout_s
        if self._reader is None or loop.time() < deadline:
            start = self._waiting_since if self._reader is not None else loop.time()
            self._timer = loop.call_at(start + self._idle_timeout_s, self._watch)
            return
        self._idle = True
        self._reader.cancel()

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
            self._room.release()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Channel]:
        """Run the writer for the body's duration, then close normally and flush."""
        writer = asyncio.create_task(self._write())
        try:
            yield self
        finally:
            if self._timer is not None:
                self._timer.cancel()
            self._close_soon(1000, "")
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer, FLUSH_TIMEOUT_S)
            writer.cancel()
