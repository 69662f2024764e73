"""What one room takes: how many sockets, and how typing indicators are paced and expire."""

from __future__ import annotations

from dataclasses import dataclass

from helpway.shared import limits


@dataclass(frozen=True)
class RoomPolicy:
    # Open sockets per conversation (a visitor's tabs and the agents'); one more gets
    # `room_full`. Sockets that died without a close stop counting once the edge's idle
    # timeout drops them.
    max_sessions: int = 32
    # A typist not heard from for this long is switched off for the others by the room itself:
    # the close or "stopped typing" frame that should have done it may never come.
    typing_ttl_ms: int = limits.TYPING_TTL_MS
    # A session's "started typing" is relayed at most this often, so a client toggling fast
    # costs the others at most two frames per interval; one that comes sooner is held back
    # until the interval is over (never dropped: the client sends no repeat for a short burst).
    typing_interval_ms: int = 1000
    # Receipts (client id → message) of this many latest entries stay in memory; older ones are
    # read from storage on a miss, so a long conversation does not grow its room's memory.
    receipt_window: int = 32


DEFAULT_POLICY = RoomPolicy()
