"""Helpway conversation rooms: the pure room state machine and its hosts.

`Room` (room.py) decides; a host performs its effects. `LocalRoomHost` is the asyncio host the
local edge uses, with room storage in one SQLite file per conversation; a Durable Object host
implements the same loop over `ctx.storage.sql` and hibernating WebSockets.
"""

from .assistant import Assistant, Final, FinalAnswer
from .effects import Entry, ServerFrame
from .host import LocalRoomHost
from .outbox import Backoff, Publisher
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
    "Room",
    "ServerFrame",
    "Session",
]
