"""Agent password hashing with Argon2id.

Parameters follow OWASP's minimum for Argon2id (19 MiB, 2 passes, 1 lane) rather than
argon2-cffi's 64 MiB default, so a login fits comfortably in a Worker's 128 MB.

A hash costs tens of milliseconds of CPU on purpose. Run on the event loop, that time is
stolen from every socket the server holds (40 wrong logins at once stalled pings for most of a
second), so hashing and verifying run on a small pool of their own threads: argon2 releases the
GIL while it works, and the pool's size bounds the CPU and memory a burst of logins can take,
queueing the rest. Pyodide (a Python Worker) has no threads: there they run inline.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

T = TypeVar("T")

MIN_PASSWORD_CHARS = 8
HASH_THREADS = 2


class WeakPassword(ValueError):
    """A new password too short to give anyone."""


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(HASH_THREADS, thread_name_prefix="helpway-argon2")


async def _off_loop(work: Callable[..., T], *args: object) -> T:
    if sys.platform == "emscripten":
        return work(*args)
    return await asyncio.get_running_loop().run_in_executor(_pool(), work, *args)


def check_new_password(password: str) -> None:
    """Raise `WeakPassword` for a password no agent should be given."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise WeakPassword(f"a password needs at least {MIN_PASSWORD_CHARS} characters")


async def hash_password(password: str) -> str:
    return await _off_loop(_hasher().hash, password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(password_hash: str, password: str) -> bool:
    return await _off_loop(_verify, password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than today's (cheap: no hashing)."""
    return _hasher().check_needs_rehash(password_hash)


_dummy: list[str] = []


async def dummy_hash() -> str:
    """A hash to verify against when the email is unknown, so a login takes as long either way."""
    if not _dummy:
        _dummy.append(await hash_password("no such agent"))
    return _dummy[0]
