"""Agent password hashing with Argon2id.

Parameters follow OWASP's minimum for Argon2id (19 MiB, 2 passes, 1 lane) rather than
argon2-cffi's 64 MiB default, so a login fits comfortably in a Worker's 128 MB.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than today's."""
    return _hasher().check_needs_rehash(password_hash)


@cache
def dummy_hash() -> str:
    """A hash to verify against when the email is unknown, so a login takes as long either way."""
    return hash_password("no such agent")
