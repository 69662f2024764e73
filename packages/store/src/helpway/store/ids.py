"""Identifiers, secrets and time for store rows.

Everything random is drawn at call time, never at import: a Python Worker's memory snapshot would
otherwise freeze the same "random" values into every instance.
"""

from __future__ import annotations

import hashlib
import secrets
import time

# 12 random bytes → 16 URL-safe characters: short enough for URLs, far from colliding.
_ID_BYTES = 12
_TOKEN_BYTES = 32


def new_id() -> str:
    """A short random URL-safe id."""
    return secrets.token_urlsafe(_ID_BYTES)


def new_token() -> str:
    """A bearer token for a visitor or an agent session; only its hash is stored."""
    return secrets.token_urlsafe(_TOKEN_BYTES)


def hash_token(token: str) -> str:
    """SHA-256 (hex) of a token. Tokens are long random strings, so no salt or slow hash is needed
    and lookups by hash stay a plain index seek."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def now_ms() -> int:
    """Wall-clock time in Unix milliseconds, the unit of every stored time."""
    return time.time_ns() // 1_000_000
