"""Rate limits that span rooms and isolates: token buckets keyed by a string.

The sends' keys are a visitor and a client IP; the edge's login limit keys an e-mail and an IP
(`helpway.edge.throttle`) with the same buckets, the same `LocalLimiter` and the same limiter
objects on Cloudflare: one mechanism, two callers.

A room only sees its own sockets, but abuse spans rooms (one script opening many
conversations), so the buckets live outside the rooms. On Cloudflare each key is its own small
Durable Object (`ip:<address>`, `visitor:<id>`) that serialises the takes on its bucket;
`LocalLimiter` keeps every key's bucket in one process. Either way the arithmetic is the pure
`Bucket` below, so both limit alike.

Only visitors' new messages are charged: agents are signed-in staff, a resend of a message the
room already stored costs nothing (the room answers it from its receipts), and typing is paced by
the room itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .session import Session


@dataclass(frozen=True)
class Rate:
    """`burst` takes at once, then `per_second` takes a second on average.

    A `strict` rate is for a security limit (logins), whose refill takes minutes: a refused
    take still spends a token (down to `-burst`), so a client that keeps hammering stays shut
    while one that waits gets in; on Cloudflare its bucket is kept in the limiter object's
    storage, so an object evicted while idle does not forgive it; and a limiter object that
    cannot be reached refuses instead of admitting. Sends are not strict: a refused send costs
    nothing, and a forgotten bucket refills within seconds anyway."""

    burst: int
    per_second: float
    strict: bool = False


@dataclass(frozen=True)
class Bucket:
    """A token bucket as of `at_ms`: holds `tokens`, refilled continuously at its rate."""

    tokens: float
    at_ms: int

    @classmethod
    def full(cls, rate: Rate, now_ms: int) -> Bucket:
        return cls(float(rate.burst), now_ms)

    def level(self, rate: Rate, now_ms: int) -> float:
        elapsed_s = max(now_ms - self.at_ms, 0) / 1000
        return min(float(rate.burst), self.tokens + elapsed_s * rate.per_second)

    def wait_ms(self, rate: Rate, now_ms: int) -> int:
        """0 if a token can be taken now, else how long until one can."""
        missing = 1 - self.level(rate, now_ms)
        return 0 if missing <= 0 else max(1, int(missing / rate.per_second * 1000 + 0.999))

    def take(self, rate: Rate, now_ms: int) -> Bucket:
        """The bucket after taking one token (check `wait_ms` first; a refused take of a
        strict rate spends one too, never below `-burst`)."""
        return Bucket(max(self.level(rate, now_ms) - 1, -rate.burst), max(now_ms, self.at_ms))

    def given_back(self, rate: Rate, now_ms: int) -> Bucket:
        """The bucket after returning one token (never above full)."""
        level = min(float(rate.burst), self.level(rate, now_ms) + 1)
        return Bucket(level, max(now_ms, self.at_ms))


@dataclass(frozen=True)
class SendLimits:
    # A person types a few messages in a row at most; a paste of lines is a burst.
    per_visitor: Rate = Rate(burst=30, per_second=1.0)
    # Many visitors can share an address (an office, a school, a mobile carrier's NAT).
    per_ip: Rate = Rate(burst=200, per_second=20.0)


DEFAULT_SEND_LIMITS = SendLimits()


Keys = Sequence[tuple[str, Rate]]


class LocalLimiter:
    """Every key's bucket in this process. A bucket that has refilled is forgotten (a full
    bucket and a missing one limit alike), so memory follows the active senders only."""

    PRUNE_EVERY = 1024

    def __init__(self, limits: SendLimits = DEFAULT_SEND_LIMITS) -> None:
        self.limits = limits
        self._buckets: dict[str, tuple[Rate, Bucket]] = {}
        self._takes = 0

    def admit(self, session: Session, now_ms: int) -> int:
        """Charge one new message from `session`: 0 if it may go ahead, else the milliseconds
        to wait before retrying. A refused send charges nothing."""
        if session.participant.role != "visitor":
            return 0
        keys = [(f"visitor:{session.participant.id}", self.limits.per_visitor)]
        if session.ip:
            keys.append((f"ip:{session.ip}", self.limits.per_ip))
        return self.take(keys, now_ms)

    def __len__(self) -> int:
        """How many buckets are held (the ones not yet refilled)."""
        return len(self._buckets)

    def take(self, keys: Keys, now_ms: int) -> int:
        """One token from every keyed bucket, or none from any if one of them is empty (but
        strict ones: they are charged either way). 0 if taken, else the milliseconds to wait."""
        buckets = [(key, rate, self._bucket(key, rate, now_ms)) for key, rate in keys]
        wait = max(bucket.wait_ms(rate, now_ms) for _, rate, bucket in buckets)
        for key, rate, bucket in buckets:
            if rate.strict or not wait:
                self._buckets[key] = (rate, bucket.take(rate, now_ms))
        self._takes += 1
        if self._takes % self.PRUNE_EVERY == 0:
            self._prune(now_ms)
        return wait

    def give_back(self, keys: Keys, now_ms: int) -> None:
        """Return the tokens a `take` of `keys` took (its caller did not need them after all)."""
        for key, rate in keys:
            if key in self._buckets:
                self._buckets[key] = (rate, self._buckets[key][1].given_back(rate, now_ms))

    def _bucket(self, key: str, rate: Rate, now_ms: int) -> Bucket:
        held = self._buckets.get(key)
        return held[1] if held else Bucket.full(rate, now_ms)

    def _prune(self, now_ms: int) -> None:
        for key, (rate, bucket) in list(self._buckets.items()):
            if bucket.level(rate, now_ms) >= rate.burst:
                del self._buckets[key]
