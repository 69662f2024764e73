"""Draining a room's outbox to the publisher (D1 and the inbox, wired by the edge).

Publishing is at-least-once and in seq order; the receiving side is idempotent by
(conversation id, seq). A failing publisher is retried with capped, jittered exponential backoff
and never blocks the room: entries wait in the room's storage, which outlives restarts.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from .effects import Entry

# Called with (conversation id, entries in seq order); raising means "try again later".
Publisher: TypeAlias = Callable[[str, Sequence[Entry]], Awaitable[None]]
PUBLISH_BATCH = 50


@dataclass(frozen=True)
class Backoff:
    initial_s: float = 0.1
    maximum_s: float = 10.0
    factor: float = 2.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number `attempt` (0-based): full jitter over the upper
        half, so many rooms failing together do not retry in lockstep."""
        ceiling = min(self.maximum_s, self.initial_s * self.factor**attempt)
        return random.uniform(ceiling / 2, ceiling)
