"""Helpway conversation rooms: the pure room state machine and its hosts.

`Room` (room.py) decides; a host performs its effects. `LocalRoomHost` is the asyncio host the
local edge uses, with room storage in one SQLite file per conversation; a Durable Object host
implements the same loop over `ctx.storage.sql` and hibernating WebSockets. `RoomPolicy` sizes a
room (sockets, typing pacing and TTL); `SendLimits` bound visitors' sends across rooms.
"""

from .assistant import Assistant, Final, FinalAnswer
from .effects import Entry, ServerFrame
from .host import LocalRoomHost
from .outbox import Backoff, Publisher
from .policy import RoomPolicy
from .ratelimit import Rate, SendLimits
from .room import ASSISTANT, Room
from .session import Session

__all__ = [
    "ASSISTANT",
    "Assistant",
    "Backoff",
    "Entry",
    "Final",
    "FinalAnswer",
    "LocalRoomHost",
    "Publisher",
    "Rate",
    "Room",
    "RoomPolicy",
    "SendLimits",
    "ServerFrame",
    "Session",
]
