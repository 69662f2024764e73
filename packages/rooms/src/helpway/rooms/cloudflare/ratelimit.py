"""Visitors' send limits on Cloudflare: one small Durable Object per bucket key.

`LocalLimiter` keeps every key's bucket in one process; on Cloudflare the conversation objects
run anywhere, so each key (`visitor:<id>`, `ip:<address>`) is its own object, which serialises
the takes on its bucket. The arithmetic is the same pure `Bucket`, with the same `SendLimits`.

- `BucketObject` is the limiter object's logic: `take` answers 0 (a token was taken) or the
  milliseconds to wait (nothing taken); `give_back` returns a token. Its bucket lives in memory
  only. An object nobody calls is evicted after about ten seconds idle (Cloudflare's lifecycle
  notes), and a forgotten bucket is a full one: the per-IP bucket (200 at 20/s) refills within
  those ten seconds anyway, so forgetting it changes nothing; the per-visitor bucket (30 at 1/s)
  may be forgiven up to 20 tokens after a pause of 10-30 s, so a visitor id that pauses and
  bursts gets at most a burst per ~10 s. That is accepted: visitor ids are free to mint, so the
  per-IP bucket is what bounds a script, and memory costs no storage write (and no output-gate
  wait) on every visitor message.
- `DurableLimiter` is the conversation object's side, with `LocalLimiter.admit`'s semantics:
  only visitors are charged; one token from every key's bucket, or none from any. The keys are
  asked at once (one round trip, not two); if one refuses, the tokens the others took are given
  back. An unreachable limiter object fails open: the message goes ahead and a warning is
  logged, because a chat that stops accepting messages when a limiter object is overloaded or
  being redeployed is worse than a few unmetered messages (the room still bounds each message's
  size, and D1 writes are batched by the outbox).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Protocol

from helpway.shared import frames

from ..ratelimit import DEFAULT_SEND_LIMITS, Bucket, Rate, SendLimits

log = logging.getLogger("helpway.rooms.cloudflare")


class SendLimiter(Protocol):
    """What the Durable Object host asks before a visitor's new message reaches the room."""

    async def admit(self, participant: frames.Author, ip: str | None) -> int:
        """0 if the message may go ahead, else the milliseconds to wait before retrying."""
        ...


class BucketObject:
    """The bucket of one key. The rate comes with each call (the object does not know which
    key it serves), as plain numbers, which is what an RPC carries."""

    def __init__(self, clock: Callable[[], int]) -> None:
        self._clock = clock
        self._bucket: Bucket | None = None

    def take(self, burst: int, per_second: float) -> int:
        """0 if a token was taken, else the milliseconds until one can be (nothing taken)."""
        rate, now = Rate(burst, per_second), self._clock()
        bucket = self._bucket or Bucket.full(rate, now)
        wait = bucket.wait_ms(rate, now)
        if not wait:
            self._bucket = bucket.take(rate, now)
        return wait

    def give_back(self, burst: int, per_second: float) -> None:
        """Undo a take: the send it was for was refused by another key's bucket."""
        if self._bucket is None:
            return
        rate, now = Rate(burst, per_second), self._clock()
        level = min(float(rate.burst), self._bucket.level(rate, now) + 1)
        self._bucket = Bucket(level, max(now, self._bucket.at_ms))


def bucket_keys(
    participant: frames.Author, ip: str | None, limits: SendLimits
) -> list[tuple[str, Rate]]:
    """The buckets a new message from `participant` is charged to (none for staff)."""
    if participant.role != "visitor":
        return []
    keys = [(f"visitor:{participant.id}", limits.per_visitor)]
    if ip:
        keys.append((f"ip:{ip}", limits.per_ip))
    return keys


class DurableLimiter:
    """Charges visitors' new messages to their limiter objects. `namespace` is the limiter's
    Durable Object binding (`env.LIMITER`)."""

    def __init__(self, namespace: Any, limits: SendLimits = DEFAULT_SEND_LIMITS) -> None:
        self._namespace = namespace
        self.limits = limits

    async def admit(self, participant: frames.Author, ip: str | None) -> int:
        """0 if the message may go ahead, else the milliseconds to wait before retrying."""
        keys = bucket_keys(participant, ip, self.limits)
        if not keys:
            return 0
        waits = await asyncio.gather(*(self._take(key, rate) for key, rate in keys))
        wait = max(waits)
        if wait:
            taken = [k for k, w in zip(keys, waits, strict=True) if not w]
            await asyncio.gather(*(self._give_back(key, rate) for key, rate in taken))
        return wait

    async def _take(self, key: str, rate: Rate) -> int:
        try:
            return int(await self._namespace.getByName(key).take(rate.burst, rate.per_second))
        except Exception as exc:
            log.warning("rate limiter %s unreachable (%r): admitting the message", key, exc)
            return 0

    async def _give_back(self, key: str, rate: Rate) -> None:
        try:
            await self._namespace.getByName(key).give_back(rate.burst, rate.per_second)
        except Exception as exc:
            log.warning("rate limiter %s: giving a token back failed (%r)", key, exc)
