"""A site's inbox hub Durable Object, without the runtime: the inbox sockets of the site's
agents, and the fan-out of the site's conversation changes to them.

One hub object per site (`routing.inbox_object_name`): a conversation object tells its site's
hub, and an inbox socket names its site in the URL (`/ws/inbox?site_id=X`), so the Worker
routes it to that hub before its first frame; an agent of several sites opens one socket per
site. Why this design rather than one socket subscribing to several site hubs: a hibernating
socket belongs to exactly one object, so a multi-site socket would need a fan-in object per
socket and subscriptions (with leases, renewals and cleanup) in every site hub, all to save the
console a loop; here a hub holds only its own site's sockets, sends each change to all of them,
and an attachment holds one site whatever the agent's site count (well under 2 KiB). The cost
is a socket per site for agents of many sites (browsers allow a couple of hundred).

The local `/ws/inbox` socket's protocol otherwise, event by event: the first frame must be
`join` with an agent token of an agent of the hub's site (else `not_joined`, 4400 or 4401);
then the socket gets an `inbox.update` for every change to a conversation of the site and the
site's `presence` (at once, then on every change), and takes `ping` and `presence.set`. Sending
is best effort, as locally: the console reloads the inbox whenever its socket reconnects.
Sockets silent for the idle timeout are closed with 4408 by the alarm.

Presence lives in the sockets' attachments (agent, name, chosen status, last heard), so it
survives hibernation with them; `presence` decides it from them at the clock's time, and the
object remembers only what it last pushed (forgotten on hibernation: it then pushes again,
harmlessly). The alarm that closes silent sockets is also what expires their presence.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Callable
from typing import Any

from helpway.shared import errors, frames, limits
from helpway.store.cloudflare.d1 import D1Database

from ..auth import agent_for
from ..errors import ApiError
from ..framing import Refusal, decode, encode
from ..inbox_hub import InboxHub, presence_frame
from ..presence import AgentPresence, Presence, SocketPresence
from ..sockets.joining import CLOSE_UNAUTHORIZED, CLOSE_UNSUPPORTED_VERSION
from .routing import inbox_object_name

log = logging.getLogger("helpway.edge.cloudflare")

CLOSE_IDLE = 4408
_OPEN_STATES = (0, 1)


def _attachment(ws: Any) -> dict[str, Any] | None:
    text = ws.deserializeAttachment()
    return None if text is None else dict(json.loads(str(text)))


def _attach(ws: Any, data: dict[str, Any]) -> None:
    ws.serializeAttachment(json.dumps(data, separators=(",", ":")))


class InboxNotifier:
    """The conversation objects' side: tell the site's hub object about a changed
    conversation."""

    def __init__(self, env: Any) -> None:
        self._namespace = env.INBOX

    async def publish(self, summary: frames.ConversationSummary) -> None:
        hub = self._namespace.getByName(inbox_object_name(summary.site_id))
        await hub.publish(summary.model_dump_json())


class InboxObjects(InboxHub):
    """The Worker's inbox hub: its HTTP side holds no sockets (each site's hub object does), so
    `disconnect` goes to the site's hub object."""

    def __init__(self, env: Any) -> None:
        super().__init__()
        self._namespace = env.INBOX

    async def disconnect(self, site_id: str, agent_id: str) -> int:
        hub = self._namespace.getByName(inbox_object_name(site_id))
        return int(await hub.disconnect(agent_id))

    async def anyone_online(self, site_id: str) -> bool:
        hub = self._namespace.getByName(inbox_object_name(site_id))
        return bool(await hub.anyone_online())


class InboxObject:
    def __init__(
        self,
        ctx: Any,
        env: Any,
        *,
        clock: Callable[[], int],
        idle_timeout_ms: int = limits.IDLE_TIMEOUT_S * 1000,
    ) -> None:
        self._ctx = ctx
        self._db = D1Database(env.DB)
        self._clock = clock
        self._idle_timeout_ms = idle_timeout_ms
        self._turns: dict[str, asyncio.Lock] = {}
        self._published: list[AgentPresence] | None = None

    def accept(self, ws: Any, site_id: str) -> None:
        """A new inbox socket for `site_id` (the hub's site), before its join."""
        self._ctx.acceptWebSocket(ws)
        socket_id = secrets.token_urlsafe(9)
        _attach(ws, {"id": socket_id, "site": site_id, "agent": None, "seen": self._clock()})

    async def message(self, ws: Any, raw: str | bytes) -> None:
        data = _attachment(ws)
        if data is None:
            return
        data["seen"] = self._clock()
        _attach(ws, data)
        async with self._turns.setdefault(data["id"], asyncio.Lock()):
            await self._handle(ws, raw)
        joined = data["agent"] is None and (_attachment(ws) or {}).get("agent") is not None
        self._push_presence(newcomer=ws if joined else None)
        await self._arm()

    async def closed(self, ws: Any) -> None:
        data = _attachment(ws)
        if data is not None:
            self._turns.pop(data["id"], None)
        self._push_presence(leaving=ws)

    async def anyone_online(self) -> bool:
        """Whether an agent of the hub's site is available now (for the widget)."""
        return self._presence().anyone_online(self._clock())

    async def publish(self, summary_json: str) -> None:
        """A conversation of the hub's site changed: send it to the site's agents."""
        summary = frames.ConversationSummary.model_validate_json(summary_json)
        update = encode(frames.InboxUpdate(type="inbox.update", conversation=summary))
        for ws in self._open_sockets():
            data = _attachment(ws)
            if data is None or data["agent"] is None or data["site"] != summary.site_id:
                continue
            try:
                ws.send(update)
            except Exception as exc:  # gone: the runtime reports its close
                log.info("inbox send failed: %r", exc)

    async def disconnect(self, agent_id: str) -> int:
        """The agent no longer answers for the hub's site: its sockets here are told
        `unauthorized` and closed. Returns how many."""
        ended = 0
        for ws in self._open_sockets():
            data = _attachment(ws)
            if data is not None and data["agent"] == agent_id:
                _attach(ws, {**data, "agent": None})
                self._refuse(
                    ws, errors.UNAUTHORIZED, "no longer an agent of this site", CLOSE_UNAUTHORIZED
                )
                ended += 1
        self._push_presence()
        return ended

    async def alarm(self) -> None:
        now = self._clock()
        for ws in self._open_sockets():
            data = _attachment(ws)
            if data is not None and data["seen"] + self._idle_timeout_ms <= now:
                try:
                    ws.close(CLOSE_IDLE, "idle")
                except Exception as exc:
                    log.debug("closing an idle socket failed: %r", exc)
        self._push_presence()
        await self._arm()

    async def _handle(self, ws: Any, raw: str | bytes) -> None:
        try:
            frame = decode(raw, frames.inbox_client_frame_adapter)
        except Refusal as refusal:
            self._send(ws, refusal.frame())
            return
        data = _attachment(ws)
        assert data is not None
        if data["agent"] is not None:
            if isinstance(frame, frames.Ping):
                self._send(ws, frames.Pong(type="pong"))
            elif isinstance(frame, frames.SetPresence):
                _attach(ws, {**data, "status": frame.status})
            elif isinstance(frame, frames.Join):
                self._send(ws, Refusal(errors.ALREADY_JOINED, "already joined").frame())
            else:
                message = "the inbox socket only accepts ping and presence.set"
                self._send(ws, Refusal(errors.INVALID, message).frame())
            return
        if not isinstance(frame, frames.Join):
            client_id = frames.client_id_of(frame)
            self._send(ws, Refusal(errors.NOT_JOINED, "send join first", client_id).frame())
            return
        if frame.v != limits.PROTOCOL_VERSION:
            message = f"this server speaks protocol version {limits.PROTOCOL_VERSION}"
            self._refuse(ws, errors.UNSUPPORTED_VERSION, message, CLOSE_UNSUPPORTED_VERSION)
            return
        try:
            identity = await agent_for(self._db, frame.token)
        except ApiError as exc:
            self._refuse(ws, errors.UNAUTHORIZED, exc.message, CLOSE_UNAUTHORIZED)
            return
        if data["site"] not in identity.site_ids:
            message = "not an agent of this site"
            self._refuse(ws, errors.UNAUTHORIZED, message, CLOSE_UNAUTHORIZED)
            return
        data = _attachment(ws) or data
        name = identity.agent.name
        _attach(ws, {**data, "agent": identity.agent.id, "name": name, "status": "away"})

    def _presence(self, leaving: Any = None) -> Presence:
        """The site's presence from its joined, open sockets (but `leaving`)."""
        presence = Presence(self._idle_timeout_ms, self._published)
        for ws in self._open_sockets():
            data = _attachment(ws)
            if ws is leaving or data is None or data["agent"] is None:
                continue
            presence.sockets[data["id"]] = SocketPresence(
                data["agent"], data.get("name", ""), data.get("status", "away"), data["seen"]
            )
        return presence

    def _push_presence(self, leaving: Any = None, newcomer: Any = None) -> None:
        """Send the site's presence to its joined sockets if it changed since last sent, and
        to a `newcomer` (just joined) in any case: its first look."""
        now = self._clock()
        presence = self._presence(leaving)
        changed = presence.update(now)
        self._published = presence.published
        if changed is None and newcomer is None:
            return
        joined = [
            (ws, data)
            for ws in self._open_sockets()
            if ws is not leaving and (data := _attachment(ws)) is not None and data["agent"]
        ]
        targets = joined if changed is not None else [(ws, d) for ws, d in joined if ws is newcomer]
        for ws, data in targets:
            self._send(ws, presence_frame(data["site"], presence.agents(now)))

    async def _arm(self) -> None:
        seen = [d["seen"] for ws in self._open_sockets() if (d := _attachment(ws)) is not None]
        if not seen:
            return
        at = min(seen) + self._idle_timeout_ms
        current = await self._ctx.storage.getAlarm()
        if current is None or at < int(current):
            await self._ctx.storage.setAlarm(at)

    def _open_sockets(self) -> list[Any]:
        return [ws for ws in self._ctx.getWebSockets() if ws.readyState in _OPEN_STATES]

    def _send(self, ws: Any, frame: frames.Frame) -> None:
        try:
            ws.send(encode(frame))
        except Exception as exc:
            log.info("inbox send failed: %r", exc)

    def _refuse(self, ws: Any, code: str, message: str, close_code: int) -> None:
        self._send(ws, Refusal(code, message).frame())
        ws.close(close_code, code)
