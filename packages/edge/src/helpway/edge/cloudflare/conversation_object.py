"""What the conversation's Durable Object does, without the runtime: the socket door in front of
the rooms' Durable Object host.

The door is the local conversation socket's (`sockets/conversation.py`), rewritten for events:
the object gets one call per message rather than a loop per socket. Frames that fail to decode
get an error frame and the socket stays; the first frame must be `join` of our protocol version
(else `not_joined`, or 4400); its token must belong to a participant of this conversation
(else 4401), and a visitor's upgrade must come from a page origin its site allows (else
4401); then every frame goes to the room host. A socket's messages are handled one at a
time, in order, even while one waits on D1 (the runtime delivers the next message meanwhile).

Visitors' new messages are charged to the `RateLimiter` objects of their visitor id and client
IP (`CF-Connecting-IP`, which the Worker's upgrade carries) with the local edge's `SendLimits`;
see `helpway.rooms.cloudflare.ratelimit` (fails open if a limiter object is unreachable).

An agent's `assign` names an agent id: the door resolves it in D1 to an agent of the
conversation's site (`not_found` otherwise) before the host sees it, as locally.

Committed entries are published to D1 (`apply_entries`) and then to the conversation's site's
inbox hub object, from the object's alarm.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from helpway.rooms.cloudflare.host import DurableRoomHost, now_ms, socket_of
from helpway.rooms.cloudflare.ratelimit import DurableLimiter
from helpway.rooms.ratelimit import DEFAULT_SEND_LIMITS, SendLimits
from helpway.shared import errors, frames, limits
from helpway.store.cloudflare.d1 import D1Database

from ..assistant import kb_assistant
from ..auth import assignee_for, check_page_origin, participant_for
from ..errors import ApiError
from ..framing import Refusal, decode, encode
from ..publishing import publisher
from ..sockets.joining import CLOSE_UNAUTHORIZED, CLOSE_UNSUPPORTED_VERSION
from .app import cloudflare_knowledge
from .inbox_object import InboxNotifier
from .settings import CloudflareSettings


class ConversationObject:
    def __init__(
        self,
        ctx: Any,
        env: Any,
        *,
        clock: Callable[[], int] = now_ms,
        send_limits: SendLimits = DEFAULT_SEND_LIMITS,
    ) -> None:
        self._db = D1Database(env.DB)
        knowledge = cloudflare_knowledge(self._db, env, CloudflareSettings.from_env(env))
        self.host = DurableRoomHost(
            ctx,
            publish=publisher(self._db, InboxNotifier(env)),
            encode=encode,
            assistant=kb_assistant(knowledge),
            limiter=DurableLimiter(env.LIMITER, send_limits),
            clock=clock,
        )
        self._turns: dict[str, asyncio.Lock] = {}  # socket id → its messages' turn

    def accept(
        self, ws: Any, conversation_id: str, ip: str | None, origin: str | None = None
    ) -> None:
        """A new socket for this conversation (the upgrade the Worker forwarded); `origin` is
        the page origin to check for a visitor (`origins.page_origin` of the upgrade)."""
        self.host.accept(ws, conversation_id, ip, origin)

    async def erase(self) -> None:
        """The conversation was erased from D1: close its sockets, delete the storage."""
        await self.host.erase()

    async def disconnect(self, participant_id: str) -> int:
        """The participant lost access to the site: end its sockets here."""
        return await self.host.disconnect(participant_id)

    def room_log(self, after_seq: int) -> str:
        """The log after `after_seq` as a JSON list of entries (RPC passes text)."""
        entries = self.host.room_log(after_seq)
        return "[" + ",".join(entry.model_dump_json() for entry in entries) + "]"

    async def message(self, ws: Any, raw: str | bytes) -> None:
        socket = self.host.heard(ws)
        if socket is None:
            return  # not a socket this object accepted
        async with self._turns.setdefault(socket.id, asyncio.Lock()):
            await self._handle(ws, raw)

    async def closed(self, ws: Any) -> None:
        """`webSocketClose` or `webSocketError`."""
        socket = socket_of(ws)
        if socket is not None:
            self._turns.pop(socket.id, None)
        await self.host.leave(ws)

    async def alarm(self) -> None:
        await self.host.alarm()

    async def _handle(self, ws: Any, raw: str | bytes) -> None:
        socket = socket_of(ws)
        assert socket is not None
        try:
            frame = decode(raw)
        except Refusal as refusal:
            self.host.send(ws, refusal.frame())
            return
        if socket.joined:
            if isinstance(frame, frames.Assign):
                await self._assign(ws, frame)
            else:
                await self.host.receive(ws, frame)
            return
        if not isinstance(frame, frames.Join):
            client_id = frames.client_id_of(frame)
            self.host.send(ws, Refusal(errors.NOT_JOINED, "send join first", client_id).frame())
            return
        if socket.participant is not None:  # authenticated already: a retry after room_full
            await self.host.join(ws, frame.last_seq)
            return
        if frame.v != limits.PROTOCOL_VERSION:
            message = f"this server speaks protocol version {limits.PROTOCOL_VERSION}"
            self._refuse(ws, errors.UNSUPPORTED_VERSION, message, CLOSE_UNSUPPORTED_VERSION)
            return
        try:
            participant = await participant_for(self._db, frame.token, socket.conversation_id)
            if participant.author.role == "visitor":
                site_id = participant.conversation.site_id
                await check_page_origin(self._db, site_id, socket.origin)
        except ApiError as exc:
            # Not found and forbidden end the socket too, exactly as locally.
            self._refuse(ws, errors.UNAUTHORIZED, exc.message, CLOSE_UNAUTHORIZED)
            return
        self.host.authenticated(ws, participant.author, participant.conversation.site_id)
        await self.host.join(ws, frame.last_seq)

    async def _assign(self, ws: Any, frame: frames.Assign) -> None:
        socket = socket_of(ws)
        assert socket is not None and socket.participant is not None
        if socket.participant.role != "agent":
            self.host.send(ws, Refusal(errors.FORBIDDEN, "only agents can assign").frame())
            return
        try:
            assignee = await assignee_for(self._db, frame.agent_id, socket.site_id or "")
        except ApiError as exc:
            self.host.send(ws, Refusal(exc.code, exc.message).frame())
            return
        await self.host.assign(ws, assignee)

    def _refuse(self, ws: Any, code: str, message: str, close_code: int) -> None:
        self.host.send(ws, Refusal(code, message).frame())
        ws.close(close_code, code)
