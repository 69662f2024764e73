"""The visitor's token in a partitioned HttpOnly cookie of the edge's own, for a widget frame
the browser refuses storage: the session sets it and resumes from it (`resume_only`: and never
starts a visitor), reset removes it. Both runtimes."""

from __future__ import annotations

import asyncio
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from helpway.edge.routes.visitor import VISITOR_COOKIE_PATH, visitor_cookie
from helpway.store import identity, sites
from helpway.store.sqlite import SqliteDatabase

PAGE = {"origin": "http://localhost:3000"}
BODY = {"site_id": "demo", "page_url": "http://localhost:3000/pricing"}


def _cookie(answer: Any, site_id: str = "demo") -> str:
    """The site's visitor cookie as set, checked for every attribute that keeps it safe."""
    [header] = [h for h in answer.headers.get_list("set-cookie") if h.startswith("helpway_")]
    name_value, *attributes = [part.strip() for part in header.split(";")]
    assert name_value.startswith(visitor_cookie(site_id) + "=")
    assert {"Secure", "HttpOnly", "SameSite=None", "Partitioned"} <= set(attributes)
    assert f"Path={VISITOR_COOKIE_PATH}" in attributes
    return name_value


def _frame(api: Any) -> dict[str, str]:
    """What the widget's frame sends: its Origin is the edge's own."""
    url = api.http.base_url
    return {"origin": f"{url.scheme}://{url.netloc.decode()}"}


async def _post(api: Any, body: dict[str, Any], cookie: str = "", page: bool = False) -> Any:
    """A session request of the frame's (`page`: of the host page's) with exactly the cookie
    given (the client's own jar left out)."""
    api.http.cookies.clear()
    headers = PAGE if page else _frame(api)
    if cookie:
        headers = {**headers, "cookie": cookie}
    return await api.http.post("/api/visitor/session", json=body, headers=headers)


async def test_a_session_resumes_from_the_cookie_and_reset_removes_it(api: Any) -> None:
    first = await _post(api, BODY)
    assert first.status_code == 200, first.text
    cookie = _cookie(first)
    assert cookie == visitor_cookie("demo") + "=" + first.json()["visitor_token"]

    # No token in the body (the frame has no storage): the cookie names the visitor.
    again = await _post(api, BODY, cookie)
    assert again.status_code == 200, again.text
    assert again.json()["visitor_id"] == first.json()["visitor_id"]
    assert again.json()["conversation_id"] == first.json()["conversation_id"]
    # A token in the body wins over the cookie; none and no cookie: a new visitor.
    fresh = await _post(api, BODY)
    assert fresh.json()["visitor_id"] != first.json()["visitor_id"]
    with_token = {**BODY, "visitor_token": fresh.json()["visitor_token"]}
    both = await _post(api, with_token, _cookie(again))
    assert both.json()["visitor_id"] == fresh.json()["visitor_id"]

    # Asked from the host page itself (its Origin): the cookie resumes nobody and none is set.
    hosts = await _post(api, BODY, cookie, page=True)
    assert hosts.status_code == 200, hosts.text
    assert hosts.json()["visitor_id"] != first.json()["visitor_id"]
    assert not [h for h in hosts.headers.get_list("set-cookie") if h.startswith("helpway_")]

    forget = await api.http.delete("/api/visitor/session", params={"site_id": "demo"})
    assert forget.status_code == 204
    assert _cookie(forget) == visitor_cookie("demo") + "="
    assert "Max-Age=0" in forget.headers["set-cookie"]
    bad = await api.http.delete("/api/visitor/session", params={"site_id": "no such id!"})
    assert bad.status_code == 422 and bad.json()["code"]


def _visitors(d1_path: Path) -> int:
    with sqlite3.connect(d1_path) as db:
        return int(db.execute("SELECT count(*) FROM visitors").fetchone()[0])


def _enforcing_site(d1_path: Path, site_id: str) -> str:
    """A site that chats only with verified users, on the pages BODY names: its secret."""

    async def seed() -> str:
        db = SqliteDatabase(d1_path)
        try:
            if await sites.get_site(db, site_id) is None:  # the local edge's D1 outlives a test
                origins = [PAGE["origin"]]
                await sites.create_site(db, name="Shop", site_id=site_id, allowed_origins=origins)
            site = await sites.set_identity(db, site_id, required=True)
            assert site is not None and site.identity_secret
            return site.identity_secret
        finally:
            db.close()

    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, seed()).result()


async def test_resume_only_resumes_the_cookies_visitor_and_starts_nobody(api: Any) -> None:
    """What the frame without storage asks on every page load: a stranger's page view is a 204
    with no body and no cookie, and stores no visitor; a returning visitor gets their session."""
    resume = {**BODY, "resume_only": True}
    known = await _post(api, BODY)
    cookie = _cookie(known)
    before = _visitors(api.d1_path)

    stranger = await _post(api, resume)
    assert (stranger.status_code, stranger.content) == (204, b"")
    assert not stranger.headers.get_list("set-cookie")
    unknown = await _post(api, resume, visitor_cookie("demo") + "=" + "x" * 43)
    assert unknown.status_code == 204
    # The host page's own request with the cookie resumes nobody, and starts nobody either.
    hosts = await _post(api, resume, cookie, page=True)
    assert hosts.status_code == 204
    # A site that chats only with verified users: a stranger not signed in is no error yet.
    secret = _enforcing_site(api.d1_path, "resume-shop")
    signed_out = await _post(api, {**resume, "site_id": "resume-shop"})
    assert signed_out.status_code == 204
    assert _visitors(api.d1_path) == before

    returning = await _post(api, resume, cookie)
    assert returning.status_code == 200, returning.text
    assert returning.json()["visitor_id"] == known.json()["visitor_id"]
    assert returning.json()["conversation_id"] == known.json()["conversation_id"]
    assert _cookie(returning) == visitor_cookie("demo") + "=" + returning.json()["visitor_token"]

    # Another user signed in on the page: not theirs to resume, and no new visitor either.
    ana, bob = ({"user_id": user, "user_hash": identity.user_hash(secret, user)} for user in "ab")
    verified = {**BODY, "site_id": "resume-shop"}
    first = await _post(api, {**verified, **ana})
    assert first.status_code == 200, first.text
    before = _visitors(api.d1_path)
    anas = _cookie(first, "resume-shop")
    other = await _post(api, {**verified, **bob, "resume_only": True}, anas)
    assert other.status_code == 204
    again = await _post(api, {**verified, **ana, "resume_only": True}, anas)
    assert again.json()["visitor_id"] == first.json()["visitor_id"]
    assert _visitors(api.d1_path) == before


async def test_an_spa_navigation_updates_the_visitors_page(api: Any) -> None:
    """`POST /api/visitor/page`: what the agents' context panel shows as the visitor's page."""
    session = (await _post(api, BODY, page=True)).json()
    auth = {**PAGE, "authorization": "Bearer " + session["visitor_token"]}
    moved = {"page_url": "http://localhost:3000/pricing/teams"}
    answer = await api.http.post("/api/visitor/page", json=moved, headers=auth)
    assert answer.status_code == 204, answer.text
    login = await api.http.post(
        "/api/agent/login", json={"email": "agent@demo.helpway.dev", "password": "helpway-demo"}
    )
    agent = {"authorization": "Bearer " + login.json()["token"]}
    context = await api.http.get(
        f"/api/conversations/{session['conversation_id']}/visitor", headers=agent
    )
    assert context.json()["page_url"] == moved["page_url"]

    elsewhere = {"page_url": "https://evil.example/phish"}
    refused = await api.http.post("/api/visitor/page", json=elsewhere, headers=auth)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    nobody = await api.http.post("/api/visitor/page", json=moved, headers=PAGE)
    assert nobody.status_code == 401
    bad = await api.http.post("/api/visitor/page", json={"page_url": 3}, headers=auth)
    assert bad.status_code == 422
    after = await api.http.get(
        f"/api/conversations/{session['conversation_id']}/visitor", headers=agent
    )
    assert after.json()["page_url"] == moved["page_url"]  # nothing refused was kept
