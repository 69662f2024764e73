"""The Worker's main module (`main` in wrangler.toml): the only Helpway module that imports the
Python Workers SDK and `js`, so it is imported on Cloudflare only.

Everything here is a shell over `helpway.edge.cloudflare`, whose code runs on CPython in the
tests: `Default` routes a request (conversation socket → its `ConversationRoom` object, inbox
socket → its site's `InboxHub` object, anything else → the Starlette app through the SDK's ASGI
bridge); the Durable Object classes turn the runtime's calls (`fetch` for the upgrade,
`webSocketMessage`, `webSocketClose`, `webSocketError`, `alarm`, the conversation's `erase`,
`disconnect` and `room_log` RPCs, the hub's `publish` and `disconnect` RPCs and
the `RateLimiter`'s `take`/`give_back` RPCs, for sends and logins) into calls on the
runtime-free objects. Importing it does no I/O and draws nothing random: Python Workers
snapshot memory after import.
"""

from typing import Any
from urllib.parse import urlsplit

import js
from workers import DurableObject, Response, WorkerEntrypoint, asgi

from helpway.edge.cloudflare.app import worker_app
from helpway.edge.cloudflare.conversation_object import ConversationObject
from helpway.edge.cloudflare.inbox_object import InboxObject
from helpway.edge.cloudflare.routing import (
    ConversationSocket,
    InboxSocket,
    Target,
    inbox_object_name,
    target,
)
from helpway.edge.origins import http_origin, page_origin
from helpway.rooms.cloudflare.host import now_ms
from helpway.rooms.cloudflare.ratelimit import BucketObject
from helpway.shared import errors


def _target(request: Any) -> Target:
    url = urlsplit(request.url)
    return target(request.method, url.path, request.headers.get("upgrade"), url.query)


def _accept_pair() -> tuple[Any, Any]:
    """A WebSocket pair: the client end goes back in the 101, the server end stays here."""
    client, server = js.WebSocketPair.new().object_values()
    return client, server


def _upgrade_expected() -> Any:
    body = {"code": errors.BAD_FRAME, "message": "expected a WebSocket upgrade"}
    return Response.from_json(body, 426)


def _site_expected() -> Any:
    body = {"code": errors.INVALID, "message": "name the inbox's site: /ws/inbox?site_id=..."}
    return Response.from_json(body, 400)


def _text(message: Any) -> str | bytes:
    """A WebSocket message: a str, or an ArrayBuffer proxy for a binary frame."""
    return message if isinstance(message, str) else bytes(message.to_bytes())


class Default(WorkerEntrypoint):
    async def fetch(self, request: Any) -> Any:
        where = _target(request)
        if isinstance(where, ConversationSocket):
            return await self.env.ROOMS.getByName(where.conversation_id).fetch(request)
        if isinstance(where, InboxSocket):
            if where.site_id is None:
                return _site_expected()
            return await self.env.INBOX.getByName(inbox_object_name(where.site_id)).fetch(request)
        return await asgi.fetch(worker_app(self.env), request, self.env)


class ConversationRoom(DurableObject):
    def __init__(self, ctx: Any, env: Any) -> None:
        super().__init__(ctx, env)
        self.room = ConversationObject(ctx, env)

    async def fetch(self, request: Any) -> Any:
        where = _target(request)
        if not isinstance(where, ConversationSocket):
            return _upgrade_expected()
        client, server = _accept_pair()
        ip = request.headers.get("cf-connecting-ip")
        origin = page_origin(request.headers.get("origin"), http_origin(request.url))
        self.room.accept(server, where.conversation_id, ip, origin)
        return Response(None, status=101, web_socket=client)

    async def erase(self) -> None:
        await self.room.erase()

    async def disconnect(self, participant_id: str) -> int:
        return await self.room.disconnect(participant_id)

    async def room_log(self, after_seq: int) -> str:
        return self.room.room_log(int(after_seq))

    async def webSocketMessage(self, ws: Any, message: Any) -> None:
        await self.room.message(ws, _text(message))

    async def webSocketClose(self, ws: Any, code: int, reason: str, wasClean: bool) -> None:
        await self.room.closed(ws)

    async def webSocketError(self, ws: Any, error: Any) -> None:
        await self.room.closed(ws)

    async def alarm(self, alarm_info: Any = None) -> None:
        await self.room.alarm()


class InboxHub(DurableObject):
    def __init__(self, ctx: Any, env: Any) -> None:
        super().__init__(ctx, env)
        self.hub = InboxObject(ctx, env, clock=now_ms)

    async def fetch(self, request: Any) -> Any:
        where = _target(request)
        if not isinstance(where, InboxSocket) or where.site_id is None:
            return _upgrade_expected()
        client, server = _accept_pair()
        self.hub.accept(server, where.site_id)
        return Response(None, status=101, web_socket=client)

    async def publish(self, summary_json: str) -> None:
        await self.hub.publish(summary_json)

    async def disconnect(self, agent_id: str) -> int:
        return await self.hub.disconnect(agent_id)

    async def anyone_online(self) -> bool:
        return await self.hub.anyone_online()

    async def webSocketMessage(self, ws: Any, message: Any) -> None:
        await self.hub.message(ws, _text(message))

    async def webSocketClose(self, ws: Any, code: int, reason: str, wasClean: bool) -> None:
        await self.hub.closed(ws)

    async def webSocketError(self, ws: Any, error: Any) -> None:
        await self.hub.closed(ws)

    async def alarm(self, alarm_info: Any = None) -> None:
        await self.hub.alarm()


class RateLimiter(DurableObject):
    """One rate-limit bucket: a send limit's (`ip:<address>`, `visitor:<id>`), held in memory,
    or a login limit's (`login-email:<e-mail>`, `login-ip:<address>`), kept in storage too."""

    def __init__(self, ctx: Any, env: Any) -> None:
        super().__init__(ctx, env)
        self.bucket = BucketObject(now_ms, ctx.storage)

    async def take(self, burst: int, per_second: float, strict: bool = False) -> int:
        return self.bucket.take(int(burst), float(per_second), bool(strict))

    async def give_back(self, burst: int, per_second: float, strict: bool = False) -> None:
        self.bucket.give_back(int(burst), float(per_second), bool(strict))
