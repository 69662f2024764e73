"""Token buckets keyed by a string (an e-mail, an IP address): a pure core that takes the time
as an argument, so it is tested without sleeping and works the same on any runtime.

A bucket holds up to `capacity` tokens and regains `per_second` of them each second; an attempt
costs one. Only failures are charged (see `LoginLimits`), so a user who knows their password
is never slowed by their own successful logins.

State is per process (per isolate on Cloudflare): it bounds what one server takes, not what a
fleet of isolates takes together. Keys are capped, dropping the stalest, so a flood of
distinct keys costs bounded memory.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field

MAX_KEYS = 10_000


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class TokenBuckets:
    capacity: float
    per_second: float
    max_keys: int = MAX_KEYS
    _buckets: OrderedDict[str, _Bucket] = field(default_factory=OrderedDict)

    def _refilled(self, key: str, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            return _Bucket(self.capacity, now)
        gained = max(0.0, now - bucket.at) * self.per_second
        return _Bucket(min(self.capacity, bucket.tokens + gained), now)

    def wait(self, key: str, now: float) -> float:
        """Seconds until `key` may try again; 0 when it may try now."""
        tokens = self._refilled(key, now).tokens
        return 0.0 if tokens >= 1 else (1 - tokens) / self.per_second

    def charge(self, key: str, now: float) -> None:
        """Spend one token of `key` (it may go below zero: hammering keeps it shut)."""
        bucket = self._refilled(key, now)
        bucket.tokens = max(bucket.tokens - 1, -self.capacity)
        self._buckets[key] = bucket
        self._buckets.move_to_end(key)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)


@dataclass
class LoginLimits:
    """Failed agent logins, per e-mail (guessing one account's password) and per client IP
    (trying many accounts). Defaults: 5 failures per e-mail then one per minute; 30 per IP then
    one every 2 seconds."""

    by_email: TokenBuckets = field(default_factory=lambda: TokenBuckets(5, 1 / 60))
    by_ip: TokenBuckets = field(default_factory=lambda: TokenBuckets(30, 1 / 2))

    def retry_after(self, email: str, ip: str | None, now: float) -> int:
        """Whole seconds to wait before trying (0: go ahead)."""
        wait = self.by_email.wait(email, now)
        if ip is not None:
            wait = max(wait, self.by_ip.wait(ip, now))
        return math.ceil(wait)

    def failed(self, email: str, ip: str | None, now: float) -> None:
        self.by_email.charge(email, now)
        if ip is not None:
            self.by_ip.charge(ip, now)
