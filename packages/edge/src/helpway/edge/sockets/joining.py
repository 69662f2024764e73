"""The first phase of every socket: wait for a valid `join` of our protocol version.

Frames that fail to decode, and frames other than `join`, get an error frame and the socket
waits on; a wrong version, or a refused token, ends it with a close code the client can tell
apart from a network drop (4400, 4401), so it does not reconnect in a loop.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from helpway.shared import errors, frames, limits

from ..framing import Refusal, decode
from .channel import Channel

CLOSE_UNSUPPORTED_VERSION = 4400
CLOSE_UNAUTHORIZED = 4401


async def next_frame(
    channel: Channel, adapter: TypeAdapter[Any] = frames.client_frame_adapter
) -> Any:
    """The next frame that decodes (a room's `ClientFrame` unless `adapter` says otherwise),
    answering each one that does not; None when closed."""
    while (raw := await channel.receive()) is not None:
        try:
            return decode(raw, adapter)
        except Refusal as refusal:
            await channel.send(refusal.frame())
    return None


async def await_join(
    channel: Channel, adapter: TypeAdapter[Any] = frames.client_frame_adapter
) -> frames.Join | None:
    while (frame := await next_frame(channel, adapter)) is not None:
        if not isinstance(frame, frames.Join):
            client_id = frames.client_id_of(frame)
            refusal = Refusal(errors.NOT_JOINED, "send join first", client_id)
            await channel.send(refusal.frame())
            continue
        if frame.v != limits.PROTOCOL_VERSION:
            message = f"this server speaks protocol version {limits.PROTOCOL_VERSION}"
            await refuse(channel, errors.UNSUPPORTED_VERSION, message, CLOSE_UNSUPPORTED_VERSION)
            return None
        return frame
    return None


async def refuse(channel: Channel, code: str, message: str, close_code: int) -> None:
    await channel.send(Refusal(code, message).frame())
    await channel.close(close_code, code)
