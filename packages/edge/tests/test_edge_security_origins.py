"""Allowed origins on every visitor HTTP request, on the local edge and on the Worker (`api`,
see conftest.py): a visitor token of a locked-down site works from the site's pages and from
the widget's own frame (the edge's origin), and is refused from any other page — a token
copied elsewhere is useless there."""

from __future__ import annotations

import asyncio
import itertools
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from helpway.store import sites
from helpway.store.sqlite import SqliteDatabase

SHOP = "https://shop.example"
_n = itertools.count()


async def _locked_site(d1_path: Path, site_id: str) -> None:
    db = SqliteDatabase(d1_path)
    try:
        await sites.create_site(db, name=site_id, site_id=site_id, allowed_origins=[SHOP])
    finally:
        db.close()


async def test_history_checks_the_callers_origin(api: Any) -> None:
    site_id = f"locked{next(_n)}"
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, _locked_site(api.d1_path, site_id)).result()
    session = await api.http.post(
        "/api/visitor/session", json={"site_id": site_id}, headers={"origin": SHOP}
    )
    assert session.status_code == 200, session.text
    visitor = session.json()
    path = f"/api/conversations/{visitor['conversation_id']}/history"
    auth = {"authorization": f"Bearer {visitor['visitor_token']}"}
    for origin, status in [
        (SHOP, 200),
        (api.origin, 200),  # the widget's frame, served by the edge
        (None, 200),  # not a browser page
        ("https://evil.example", 403),
        ("https://shop.example.evil.example", 403),
        ("null", 403),
    ]:
        headers = auth if origin is None else {**auth, "origin": origin}
        response = await api.http.get(path, headers=headers)
        assert response.status_code == status, (origin, response.text)
        if status == 403:
            assert response.json()["code"] == "forbidden"
            assert visitor["conversation_id"] not in response.text
    # Agents are not bound to a site's pages: the console runs on the edge.
    agent = await api.agent()
    demo = await api.visitor()
    agent_read = await api.http.get(
        f"/api/conversations/{demo['conversation_id']}/history",
        headers={"authorization": f"Bearer {agent['token']}", "origin": "https://evil.example"},
    )
    assert agent_read.status_code == 200
