"""The agent console's REST routes against the real local edge: message search, the visitor's
context, the AI-suggested reply and canned responses — each tried by an agent of another site
too, who finds nothing and may change nothing."""

from __future__ import annotations

import asyncio
import itertools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from helpway.store import agents, sites
from helpway.store.sqlite import SqliteDatabase

PASSWORD = "console password 1"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
_n = itertools.count()


@dataclass(frozen=True)
class Desk:
    site_id: str
    admin: str  # session tokens
    agent: str
    stranger: str  # an agent of another site


async def _seed(data: Path, site_id: str, other: str) -> None:
    db = SqliteDatabase(data / "d1.sqlite3")
    try:
        for site in (site_id, other):
            await sites.create_site(db, name=site, site_id=site)
        for name, site, role in (
            ("admin", site_id, "admin"),
            ("agent", site_id, "agent"),
            ("stranger", other, "admin"),
        ):
            made = await agents.create_agent(
                db, email=f"{name}@{site_id}.example", name=name.title(), password=PASSWORD
            )
            await agents.add_agent_to_site(db, site, made.id, role)  # type: ignore[arg-type]
    finally:
        db.close()


async def _login(client: Any, email: str, password: str = PASSWORD) -> str:
    response = await client.http.post(
        "/api/agent/login", json={"email": email, "password": password}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


@pytest.fixture
async def desk(edge: Any, client: Any) -> Desk:
    n = next(_n)
    site_id, other = f"console-{n}", f"console-other-{n}"
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, _seed(edge.data, site_id, other)).result()
    tokens = [await _login(client, f"{who}@{site_id}.example") for who in ("admin", "agent")]
    stranger = await _login(client, f"stranger@{site_id}.example")
    return Desk(site_id, tokens[0], tokens[1], stranger)


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def _visitor_says(client: Any, site_id: str, text: str, agent_token: str) -> dict[str, Any]:
    """A visitor (Firefox on Linux, in Bangkok, on /pricing) says `text`; returns its session
    once D1 holds the message."""
    response = await client.http.post(
        "/api/visitor/session",
        json={
            "site_id": site_id,
            "page_url": "http://127.0.0.1/pricing",
            "locale": "th-TH",
            "time_zone": "Asia/Bangkok",
        },
        headers={"user-agent": FIREFOX},
    )
    assert response.status_code == 200, response.text
    session = dict(response.json())
    async with client.conversation(session["conversation_id"], session["visitor_token"]) as sock:
        await sock.send({"type": "message.send", "client_id": "q1", "text": text})
        await sock.recv_until("ack", client_id="q1")
    await client.history(session["conversation_id"], agent_token, 1)
    return session


async def test_search_finds_the_agents_conversations_only(client: Any, desk: Desk) -> None:
    said = await _visitor_says(
        client, desk.site_id, "My parcel tracking number is wrong", desk.agent
    )
    found = await client.http.get(
        "/api/search", params={"q": "tracking numbers"}, headers=bearer(desk.agent)
    )
    assert found.status_code == 200, found.text
    hits = found.json()["hits"]
    assert [hit["conversation"]["id"] for hit in hits] == [said["conversation_id"]]
    assert "parcel tracking number" in hits[0]["snippet"] and hits[0]["seq"] == 1
    marked = [hits[0]["snippet"][start:end] for start, end in hits[0]["highlights"]]
    assert marked == ["tracking", "number"]
    assert found.json()["more"] is False

    theirs = await client.http.get(
        "/api/search", params={"q": "tracking"}, headers=bearer(desk.stranger)
    )
    assert theirs.status_code == 200 and theirs.json()["hits"] == []
    assert "parcel" not in theirs.text
    visitor = await client.http.get(
        "/api/search", params={"q": "tracking"}, headers=bearer(said["visitor_token"])
    )
    assert visitor.status_code == 401
    half = await client.http.get(
        "/api/search", params={"q": "x", "before_id": "abc"}, headers=bearer(desk.agent)
    )
    assert half.status_code == 422 and half.json()["code"] == "invalid"


async def test_visitor_context_shows_page_language_time_zone_and_browser(
    client: Any, desk: Desk
) -> None:
    said = await _visitor_says(client, desk.site_id, "Hello there", desk.agent)
    path = f"/api/conversations/{said['conversation_id']}/visitor"
    context = await client.http.get(path, headers=bearer(desk.agent))
    assert context.status_code == 200, context.text
    body = context.json()
    assert body["visitor_id"] == said["visitor_id"]
    assert (body["page_url"], body["locale"], body["time_zone"]) == (
        "http://127.0.0.1/pricing",
        "th-TH",
        "Asia/Bangkok",
    )
    assert (body["browser"], body["user_agent"], body["user_id"]) == (
        "Firefox 128 on Linux",
        FIREFOX,
        None,
    )

    for token in (desk.stranger, said["visitor_token"]):
        refused = await client.http.get(path, headers=bearer(token))
        assert refused.status_code == 403 and "pricing" not in refused.text
    bad_zone = await client.http.post(
        "/api/visitor/session", json={"site_id": desk.site_id, "time_zone": "<b>"}
    )
    assert bad_zone.status_code == 422


async def test_suggested_reply_is_a_kb_draft_never_sent(client: Any) -> None:
    agent = await client.agent()  # the demo site, whose KB knows about passwords
    token = agent["token"]
    session = await client.visitor()
    path = f"/api/conversations/{session['conversation_id']}/suggested-reply"
    early = await client.http.post(path, headers=bearer(token))
    assert early.status_code == 409 and early.json()["code"] == "conflict"

    question = "How do I reset my password?"
    async with client.conversation(session["conversation_id"], session["visitor_token"]) as sock:
        await sock.send({"type": "message.send", "client_id": "q1", "text": question})
        await sock.recv_until("ack", client_id="q1")
        await sock.recv_until("message", seq=2)  # the assistant's own answer, in the room
    await client.history(session["conversation_id"], token, 2)
    suggested = await client.http.post(path, headers=bearer(token))
    assert suggested.status_code == 200, suggested.text
    body = suggested.json()
    assert body["question"] == question and body["resolution"] == "answered"
    assert body["text"] and any("password" in c["url"] for c in body["citations"])
    history = await client.http.get(
        f"/api/conversations/{session['conversation_id']}/history", headers=bearer(token)
    )
    assert [e["author"]["role"] for e in history.json()["entries"]] == ["visitor", "assistant"]
    refused = await client.http.post(path, headers=bearer(session["visitor_token"]))
    assert refused.status_code == 403


async def test_canned_responses_admins_manage_agents_use(client: Any, desk: Desk) -> None:
    path = f"/api/sites/{desk.site_id}/canned"
    refund = {"shortcut": "refund", "title": "Refunds", "text": "Refunds take 5 days."}
    assert (
        await client.http.post(path, json=refund, headers=bearer(desk.agent))
    ).status_code == 403
    assert (
        await client.http.post(path, json=refund, headers=bearer(desk.stranger))
    ).status_code == 403
    made = await client.http.post(path, json=refund, headers=bearer(desk.admin))
    assert made.status_code == 200, made.text
    canned_id = made.json()["id"]
    again = await client.http.post(path, json=refund, headers=bearer(desk.admin))
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    slashed = {**refund, "shortcut": "/refund"}
    assert (
        await client.http.post(path, json=slashed, headers=bearer(desk.admin))
    ).status_code == 422

    listed = await client.http.get(path, headers=bearer(desk.agent))
    assert listed.status_code == 200
    assert [(r["shortcut"], r["text"]) for r in listed.json()["responses"]] == [
        ("refund", "Refunds take 5 days.")
    ]
    assert (await client.http.get(path, headers=bearer(desk.stranger))).status_code == 403

    one = f"{path}/{canned_id}"
    changed = {**refund, "text": "Refunds take 3 days."}
    assert (
        await client.http.post(one, json=changed, headers=bearer(desk.agent))
    ).status_code == 403
    replaced = await client.http.post(one, json=changed, headers=bearer(desk.admin))
    assert replaced.status_code == 200 and replaced.json()["text"] == "Refunds take 3 days."
    other_site = f"/api/sites/console-other-{desk.site_id.split('-')[-1]}/canned/{canned_id}"
    assert (await client.http.delete(other_site, headers=bearer(desk.stranger))).status_code == 404
    assert (await client.http.delete(one, headers=bearer(desk.agent))).status_code == 403
    assert (await client.http.delete(one, headers=bearer(desk.admin))).status_code == 204
    assert (await client.http.delete(one, headers=bearer(desk.admin))).status_code == 404
    assert (await client.http.get(path, headers=bearer(desk.agent))).json()["responses"] == []


async def test_the_demo_site_comes_with_canned_replies(client: Any) -> None:
    """A newcomer typing `/` in the demo console finds something to pick."""
    agent = await client.agent()
    auth = {"authorization": f"Bearer {agent['token']}"}
    listed = await client.http.get("/api/sites/demo/canned", headers=auth)
    assert listed.status_code == 200, listed.text
    shortcuts = {reply["shortcut"] for reply in listed.json()["responses"]}
    assert {"hello", "reset", "thanks"} <= shortcuts
