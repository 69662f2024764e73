"""Visitor tokens expire: an expired token reads nothing, the visitor session renews it within
the refresh window as a new token (the old one replayed stays dead), and past the window the
visitor starts afresh. On the local edge and on the Worker (`api`, see conftest.py)."""

from __future__ import annotations

import sqlite3

from helpway.store.ids import now_ms
from helpway.store.visitors import REFRESH_WINDOW_MS


def _expire(api, visitor_id: str, ago_ms: int) -> None:  # type: ignore[no-untyped-def]
    """Move a visitor's token expiry into the past in the edge's real D1 file."""
    with sqlite3.connect(api.d1_path) as d1:
        d1.execute(
            "UPDATE visitors SET token_expires_at = ? WHERE id = ?", (now_ms() - ago_ms, visitor_id)
        )


async def test_expired_token_is_refused_then_renewed_once(api) -> None:
    first = await api.visitor()
    history = f"/api/conversations/{first['conversation_id']}/history"
    old = {"authorization": f"Bearer {first['visitor_token']}"}
    assert (await api.http.get(history, headers=old)).status_code == 200

    _expire(api, first["visitor_id"], ago_ms=60_000)
    refused = await api.http.get(history, headers=old)
    assert refused.status_code == 401 and refused.json()["code"] == "unauthorized"

    renewed = await api.visitor(first["visitor_token"])
    assert renewed["visitor_id"] == first["visitor_id"]
    assert renewed["conversation_id"] == first["conversation_id"]
    assert renewed["visitor_token"] != first["visitor_token"]
    fresh = {"authorization": f"Bearer {renewed['visitor_token']}"}
    assert (await api.http.get(history, headers=fresh)).status_code == 200

    # The old token, replayed, neither reads nor renews: it starts a stranger.
    assert (await api.http.get(history, headers=old)).status_code == 401
    replay = await api.visitor(first["visitor_token"])
    assert replay["visitor_id"] != first["visitor_id"]


async def test_token_past_the_refresh_window_starts_afresh(api) -> None:
    first = await api.visitor()
    _expire(api, first["visitor_id"], ago_ms=REFRESH_WINDOW_MS + 60_000)
    again = await api.visitor(first["visitor_token"])
    assert again["visitor_id"] != first["visitor_id"]
    assert again["conversation_id"] != first["conversation_id"]
