"""`/ws/conversations/{id}`: a visitor's or agent's socket into the conversation's room.

The edge's part is the door: decode frames (refusing bad ones with an error frame and keeping
the socket), require `join` first, resolve its token to a participant of *this* conversation,
refuse a visitor whose page `Origin` the site does not allow (as the history route does),
then hand every later frame to the room host, which owns ordering, storage and fan-out. The
session carries the client's address for the per-IP send limit (uvicorn resolves it from
`X-Forwarded-For` when the edge runs behind a trusted proxy). A `join` after a `room_full`
refusal goes to the host, which retries it for the participant this socket authenticated.
An agent's `assign` names an agent id: the door resolves it to an agent of the conversation's
site (`not_found` otherwise) before the host sees it; a visitor's is `forbidden` at once.

The socket does not wait for each frame's effects before reading the next: it submits up to
`IN_FLIGHT` frames to the room, so a burst the client sends at once is decided and stored in
one group commit (one disk sync) instead of one commit after another. Whatever the door answers
itself (a refusal, an `assign`) and a `join` wait for the frames before them, so every answer
still comes in the order of the frames.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable

from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from helpway.rooms.session import Session
from helpway.shared import errors, frames
from helpway.store.database import Database

from ..auth import assignee_for, check_visitor_origin, participant_for
from ..errors import ApiError
from ..framing import Refusal, decode
from ..services import RoomHost, services
from .channel import Channel
from .joining import CLOSE_UNAUTHORIZED, await_join, refuse

# Frames of one socket submitted to its room and not yet performed, at most: a client that
# sends faster than its room stores waits on the socket (TCP backpressure).
IN_FLIGHT = 32


async def conversation_socket(ws: WebSocket) -> None:
    await ws.accept()
    found = services(ws)
    async with Channel(ws).running() as channel:
        join = await await_join(channel)
        if join is None:
            return
        try:
            participant = await participant_for(
                found.db, join.token, ws.path_params["conversation_id"]
            )
            if participant.author.role == "visitor":
                await check_visitor_origin(ws, found.db, participant.conversation.site_id)
        except ApiError as exc:
            # Not found and forbidden end the socket too: retrying cannot help, so the client
            # must see the same close as for a bad token.
            await refuse(channel, errors.UNAUTHORIZED, exc.message, CLOSE_UNAUTHORIZED)
            return
        session = Session(
            conversation_id=participant.conversation.id,
            site_id=participant.conversation.site_id,
            participant=participant.author,
            send=channel.send,
            ip=ws.client.host if ws.client else None,
            close=channel.close,
        )
        await found.rooms.join(session, join.last_seq)
        in_flight: deque[Awaitable[None]] = deque()
        try:
            while (raw := await channel.receive()) is not None:
                try:
                    frame = decode(raw)
                except Refusal as refusal:
                    await _settle(in_flight)
                    await found.rooms.send(session, refusal.frame())
                    continue
                if isinstance(frame, frames.Assign):
                    await _settle(in_flight)
                    await _assign(found.db, found.rooms, session, frame)
                elif isinstance(frame, frames.Join):  # may attach the socket: later frames wait
                    await _settle(in_flight)
                    await found.rooms.receive(session, frame)
                else:
                    in_flight.append(found.rooms.submit(session, frame))
                    if len(in_flight) >= IN_FLIGHT:
                        await in_flight.popleft()
            await _settle(in_flight)
        finally:
            await asyncio.gather(*in_flight, return_exceptions=True)
            await found.rooms.leave(session)


async def _settle(in_flight: deque[Awaitable[None]]) -> None:
    """Wait for the submitted frames' effects, oldest first."""
    while in_flight:
        await in_flight.popleft()


async def _assign(db: Database, rooms: RoomHost, session: Session, frame: frames.Assign) -> None:
    if session.participant.role != "agent":
        await rooms.send(session, Refusal(errors.FORBIDDEN, "only agents can assign").frame())
        return
    try:
        assignee = await assignee_for(db, frame.agent_id, session.site_id)
    except ApiError as exc:
        await rooms.send(session, Refusal(exc.code, exc.message).frame())
        return
    await rooms.assign(session, assignee)


ROUTES = [WebSocketRoute("/ws/conversations/{conversation_id}", conversation_socket)]
