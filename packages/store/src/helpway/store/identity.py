"""Identity verification of a site's signed-in users: the site owner's server computes
`HMAC-SHA256(site secret, user id)` (hex) and hands it to the widget with the user id; the edge
recomputes it. Only a holder of the secret can vouch for a user id, so a visitor cannot claim
to be someone else by editing the page, and user A's hash does not vouch for user B.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

_SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh site secret (shown once to the site owner, kept server-side by both sides)."""
    return secrets.token_urlsafe(_SECRET_BYTES)


def user_hash(secret: str, user_id: str) -> str:
    """What the site owner's server computes for `user_id` (lower-case hex)."""
    return hmac.new(secret.encode("utf-8"), user_id.encode("utf-8"), hashlib.sha256).hexdigest()


def verified(secret: str, user_id: str, claimed_hash: str) -> bool:
    """Does `claimed_hash` vouch for `user_id`? Constant-time; hex case is ignored."""
    return hmac.compare_digest(user_hash(secret, user_id), claimed_hash.strip().lower())
