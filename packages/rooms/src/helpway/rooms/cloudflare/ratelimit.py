"""Rate limits on Cloudflare (visitors' sends, agents' logins): one small Durable Object per
bucket key.

`LocalLimiter` keeps every key's bucket in one process; on Cloudflare the conversation objects
and the Worker's isolates run anywhere, so each key (`visitor:<id>`, `ip:<address>`, the
login's `login-email:<e-mail>`, `login-ip:<address>`) is its own object, which serialises the
takes on its bucket. The arithmetic is the same pure `Bucket` with the same rates.

- `BucketObject` is the limiter object's logic: `take` answers 0 (a token was taken) or the
  milliseconds to wait (nothing taken); `give_back` returns a token. A send bucket lives in
  memory only (a strict one, a login's, is also kept in the object's storage: see `Rate`).
  An object nobody calls is evicted after about ten seconds idle (Cloudflare's lifecycle
  notes), and a forgotten bucket is a full one: the per-IP bucket (200 at 20/s) refills within
  those ten seconds anyway, so forgetting it changes nothing; the per-visitor bucket (30 at 1/s)
  may be forgiven up to 20 tokens after a pause of 10-30 s, so a visitor id that pauses and
  bursts gets at most a burst per ~10 s. That is accepted: visitor ids are free to mint, so the
  per-IP bucket is what bounds a script, and memory costs no storage write (and no output-gate
  wait) on every visitor message.
- `DurableLimiter` is the callers' side (the conversation object's `admit`, the Worker's login
  route's `take`/`give_back`), with `LocalLimiter`'s semantics:
  only visitors are charged; one token from every key's bucket, or none from any. The keys are
  asked at once (one round trip, not two); if one refuses, the tokens the others took are given
  back. An unreachable limiter object fails open: the message goes ahead and a warning is
  logged, because a chat that stops accepting messages when a limiter object is overloaded or
  being redeployed is worse than a few unmetered messages (the room still bounds each message's
  size, and D1 writes are batched by the outbox). A strict rate's object fails closed instead:
  an attacker who overloads one login key's object must not open it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Protocol

from helpway.shared import frames

from ..ratelimit import DEFAULT_SEND_LIMITS, Bucket, Keys, Rate, SendLimits

log = logging.getLogger("helpway.rooms.cloudflare")

# What an unreachable limiter object of a strict rate answers: try again in a second.
UNREACHABLE_WAIT_MS = 1000


class SendLimiter(Protocol):
    """What the Durable Object host asks before a visitor's new message reaches the room."""

    async def admit(self, participant: frames.Author, ip: str | None) -> int:
        """0 if the message may go ahead, else the milliseconds to wait before retrying."""
        ...


class BucketObject:
    """The bucket of one key. The rate comes with each call (the object does not know which
    key it serves), as plain numbers, which is what an RPC carries. A strict rate's bucket is
    written to `storage` (the object's `ctx.storage`) after each change and read back by a new
    instance, so eviction forgives nothing; other buckets live in memory only."""

    def __init__(self, clock: Callable[[], int], storage: Any = None) -> None:
        self._clock = clock
        self._storage = storage
        self._bucket: Bucket | None = None
        self._loaded = False

    def take(self, burst: int, per_second: float, strict: bool = False) -> int:
        """0 if a token was taken, else the milliseconds until one can be (nothing taken,
        unless the rate is strict)."""
        rate, now = Rate(burst, per_second, strict), self._clock()
        bucket = self._held(rate) or Bucket.full(rate, now)
        wait = bucket.wait_ms(rate, now)
        if strict or not wait:
            self._keep(rate, bucket.take(rate, now))
        return wait

    def give_back(self, burst: int, per_second: float, strict: bool = False) -> None:
        """Undo a take: the send it was for was refused by another key's bucket, or the login
        it was for succeeded."""
        rate = Rate(burst, per_second, strict)
        bucket = self._held(rate)
        if bucket is not None:
            self._keep(rate, bucket.given_back(rate, self._clock()))

    def _held(self, rate: Rate) -> Bucket | None:
        if rate.strict and not self._loaded and self._storage is not None:
            self._loaded = True
            sql = self._storage.sql
            sql.exec("CREATE TABLE IF NOT EXISTS bucket (tokens REAL NOT NULL, at_ms INTEGER)")
            rows = sql.exec("SELECT tokens, at_ms FROM bucket").toArray()
            if rows:
                self._bucket = Bucket(float(rows[0]["tokens"]), int(rows[0]["at_ms"]))
        return self._bucket

    def _keep(self, rate: Rate, bucket: Bucket) -> None:
        self._bucket = bucket
        if rate.strict and self._storage is not None:
            sql = self._storage.sql
            sql.exec("DELETE FROM bucket")
            sql.exec("INSERT INTO bucket VALUES (?, ?)", bucket.tokens, bucket.at_ms)


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
    """Charges keys' buckets to their limiter objects. `namespace` is the limiter's Durable
    Object binding (`env.LIMITER`)."""

    def __init__(self, namespace: Any, limits: SendLimits = DEFAULT_SEND_LIMITS) -> None:
        self._namespace = namespace
        self.limits = limits

    async def admit(self, participant: frames.Author, ip: str | None) -> int:
        """0 if the message may go ahead, else the milliseconds to wait before retrying."""
        keys = bucket_keys(participant, ip, self.limits)
        return await self.take(keys) if keys else 0

    async def take(self, keys: Keys) -> int:
        """`LocalLimiter.take` over the keys' objects: 0 if a token was taken from each, else
        the milliseconds to wait (the tokens the others took are given back, strict ones'
        excepted: a refused strict attempt counts)."""
        waits = await asyncio.gather(*(self._take(key, rate) for key, rate in keys))
        wait = max(waits)
        if wait:
            taken = [(k, r) for (k, r), w in zip(keys, waits, strict=True) if not w]
            await self.give_back([(k, r) for k, r in taken if not r.strict])
        return wait

    async def give_back(self, keys: Keys) -> None:
        await asyncio.gather(*(self._give_back(key, rate) for key, rate in keys))

    async def _take(self, key: str, rate: Rate) -> int:
        try:
            stub = self._namespace.getByName(key)
            return int(await stub.take(rate.burst, rate.per_second, rate.strict))
        except Exception as exc:
            if rate.strict:
                log.warning("rate limiter %s unreachable (%r): refusing", key, exc)
                return UNREACHABLE_WAIT_MS
            log.warning("rate limiter %s unreachable (%r): admitting the message", key, exc)
            return 0

    async def _give_back(self, key: str, rate: Rate) -> None:
        try:
            await self._namespace.getByName(key).give_back(rate.burst, rate.per_second, rate.strict)
        except Exception as exc:
            log.warning("rate limiter %s: giving a token back failed (%r)", key, exc)
