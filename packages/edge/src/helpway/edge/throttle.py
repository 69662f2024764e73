"""The agents' login limit: failed logins per e-mail (guessing one account's password) and per
client IP (trying many accounts), on the rooms' token buckets (`helpway.rooms.ratelimit`).

The buckets sit behind a port, `LoginLimiter`, because where they live decides what the limit
bounds: `LocalLoginLimiter` keeps them in this process (the local edge is one process), while
on Cloudflare each isolate has its own memory, so buckets held there would limit each isolate
alone and an attacker spread over many isolates would pass. There the Worker uses the rooms'
`DurableLimiter`: one limiter object per key, shared by every isolate.

A login takes a token from both keys before any password work and gives them back when it
succeeds, so only failures cost (a user who knows their password is never slowed by their own
logins). The rates are strict (`Rate.strict`): a refused attempt counts too, so a client that
keeps hammering stays shut and one that waits Retry-After gets in.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from helpway.rooms.ratelimit import Keys, LocalLimiter, Rate

# 5 failures per e-mail, then one a minute; 30 per IP, then one every 2 seconds.
PER_EMAIL = Rate(burst=5, per_second=1 / 60, strict=True)
PER_IP = Rate(burst=30, per_second=1 / 2, strict=True)


@dataclass(frozen=True)
class LoginLimits:
    per_email: Rate = PER_EMAIL
    per_ip: Rate = PER_IP

    def keys(self, email: str, ip: str | None) -> list[tuple[str, Rate]]:
        """The buckets a login of the (normalised) `email` from `ip` is charged to."""
        keys = [(f"login-email:{email}", self.per_email)]
        if ip:
            keys.append((f"login-ip:{ip}", self.per_ip))
        return keys


class LoginLimiter(Protocol):
    """Where the login buckets live: this process, or limiter objects every isolate shares."""

    async def take(self, keys: Keys) -> int:
        """0 if a token was taken from every key, else the milliseconds to wait."""
        ...

    async def give_back(self, keys: Keys) -> None:
        """Return the tokens a successful `take` took."""
        ...


def monotonic_ms() -> int:
    return time.monotonic_ns() // 1_000_000


class LocalLoginLimiter:
    """The buckets in this process, on a monotonic clock (a test passes its own)."""

    def __init__(self, clock: Callable[[], int] = monotonic_ms) -> None:
        self._clock = clock
        self._buckets = LocalLimiter()

    async def take(self, keys: Keys) -> int:
        return self._buckets.take(keys, self._clock())

    async def give_back(self, keys: Keys) -> None:
        self._buckets.give_back(keys, self._clock())
