"""`/ws/inbox`: an agent's live inbox. After `join` with an agent token, the socket receives an
`inbox.update` for every change to a conversation of the agent's sites, each site's `presence`
once and then on every change, and it takes only `ping` and `presence.set` (the agent's chosen
availability; each frame is also this console's heartbeat for presence).

`/ws/inbox?site_id=X` narrows the socket to one site, which must be one of the agent's; that is
the form the console uses everywhere, since on Cloudflare each site has its own hub object and
the Worker requires it.
"""

from __future__ import annotations

from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from helpway.shared import errors, frames

from ..auth import agent_for
from ..errors import ApiError
from ..framing import Refusal
from ..services import services
from .channel import Channel
from .joining import CLOSE_UNAUTHORIZED, await_join, next_frame, refuse


async def inbox_socket(ws: WebSocket) -> None:
    await ws.accept()
    hub = services(ws).inbox
    async with Channel(ws).running() as channel:
        join = await await_join(channel, frames.inbox_client_frame_adapter)
        if join is None:
            return
        try:
            identity = await agent_for(services(ws).db, join.token)
        except ApiError as exc:
            await refuse(channel, errors.UNAUTHORIZED, exc.message, CLOSE_UNAUTHORIZED)
            return
        site_ids = identity.site_ids
        wanted = ws.query_params.get("site_id")
        if wanted is not None:
            if wanted not in site_ids:
                message = "not an agent of this site"
                await refuse(channel, errors.UNAUTHORIZED, message, CLOSE_UNAUTHORIZED)
                return
            site_ids = (wanted,)

        async def end() -> None:
            message = "no longer an agent of this site"
            await refuse(channel, errors.UNAUTHORIZED, message, CLOSE_UNAUTHORIZED)

        subscription = await hub.subscribe(
            site_ids,
            channel.offer,
            agent_id=identity.agent.id,
            name=identity.agent.name,
            close=end,
        )
        try:
            while (
                frame := await next_frame(channel, frames.inbox_client_frame_adapter)
            ) is not None:
                status = frame.status if isinstance(frame, frames.SetPresence) else None
                await hub.heard(subscription, status)
                if isinstance(frame, frames.Ping):
                    await channel.send(frames.Pong(type="pong"))
                elif isinstance(frame, frames.Join):
                    await channel.send(Refusal(errors.ALREADY_JOINED, "already joined").frame())
                elif status is None:
                    message = "the inbox socket only accepts ping and presence.set"
                    await channel.send(Refusal(errors.INVALID, message).frame())
        finally:
            await hub.unsubscribe(subscription)


ROUTES = [WebSocketRoute("/ws/inbox", inbox_socket)]
