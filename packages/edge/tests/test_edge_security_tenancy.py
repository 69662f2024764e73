"""Cross-tenant isolation on the local edge and on the Worker (`api`, see conftest.py): two
sites, each with its own agent and visitor, and every HTTP route and both socket paths tried
with the other tenant's ids and tokens → 401/403/404 and none of the other tenant's data. Then
tampered, expired and replayed tokens.
"""

from __future__ import annotations

import asyncio
import itertools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from helpway.store import agent_sessions, agents, sites
from helpway.store.sqlite import SqliteDatabase

PASSWORD = "tenant password 1"
_n = itertools.count()


@dataclass(frozen=True)
class Tenant:
    site_id: str
    email: str
    agent_token: str
    visitor_token: str
    conversation_id: str
    secret_text: str  # said by the visitor; must never reach the other tenant


async def _seed_sites(d1_path: Path, site_ids: list[str]) -> None:
    db = SqliteDatabase(d1_path)
    try:
        for site_id in site_ids:
            await sites.create_site(db, name=site_id, site_id=site_id)
            agent = await agents.create_agent(
                db, email=f"agent@{site_id}.example", name=f"Agent {site_id}", password=PASSWORD
            )
            await agents.add_agent_to_site(db, site_id, agent.id)
    finally:
        db.close()


def in_thread(job: Any) -> Any:
    """Seed D1 from a loop of its own, beside the test's loop."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, job).result()


async def _tenant(client: Any, site_id: str) -> Tenant:
    login = await client.http.post(
        "/api/agent/login", json={"email": f"agent@{site_id}.example", "password": PASSWORD}
    )
    assert login.status_code == 200, login.text
    visitor = await client.visitor(site_id=site_id)
    secret = f"secret of {site_id}: card 4111-{site_id}"
    # Once D1 holds it, the inbox and history below would show it if they leaked.
    await client.say(visitor["conversation_id"], visitor["visitor_token"], "s1", secret)
    return Tenant(
        site_id=site_id,
        email=f"agent@{site_id}.example",
        agent_token=login.json()["token"],
        visitor_token=visitor["visitor_token"],
        conversation_id=visitor["conversation_id"],
        secret_text=secret,
    )


@pytest.fixture
async def tenants(api: Any) -> tuple[Tenant, Tenant]:
    n = next(_n)
    ids = [f"tenant-a{n}", f"tenant-b{n}"]
    in_thread(_seed_sites(api.d1_path, ids))
    a, b = [await _tenant(api, site_id) for site_id in ids]
    return a, b


def assert_refused(response: httpx.Response, statuses: set[int], leak: Tenant) -> None:
    assert response.status_code in statuses, response.text
    assert response.json()["code"] in {"unauthorized", "forbidden", "not_found"}
    assert leak.secret_text not in response.text
    assert leak.conversation_id not in response.text


def bearer(token: str) -> dict[str, bytes]:
    """As UTF-8 bytes, so tampered tokens with non-ASCII characters reach the server."""
    return {"authorization": f"Bearer {token}".encode()}


async def test_http_routes_refuse_the_other_tenant(api: Any, tenants: Any) -> None:
    a, b = tenants
    http = api.http
    history_b = f"/api/conversations/{b.conversation_id}/history"
    for token in (a.visitor_token, a.agent_token):
        assert_refused(await http.get(history_b, headers=bearer(token)), {403}, b)
    # The agent's own reads work, so the refusals above are about the tenant, not the token.
    history_a = f"/api/conversations/{a.conversation_id}/history"
    own = await http.get(history_a, headers=bearer(a.agent_token))
    assert own.status_code == 200 and a.secret_text in own.text

    inbox = await http.get("/api/inbox", headers=bearer(a.agent_token))
    assert inbox.status_code == 200
    ids = {row["id"] for row in inbox.json()["conversations"]}
    assert a.conversation_id in ids and b.conversation_id not in ids
    assert b.secret_text not in inbox.text
    # A visitor token is not an agent session.
    assert_refused(await http.get("/api/inbox", headers=bearer(b.visitor_token)), {401}, a)

    listing = await http.get(
        "/api/kb/documents", params={"site_id": b.site_id}, headers=bearer(a.agent_token)
    )
    assert_refused(listing, {403}, b)
    ingest = await http.post(
        "/api/kb/documents",
        json={"site_id": b.site_id, "url": "/planted", "content": "# Planted\n\nby A"},
        headers=bearer(a.agent_token),
    )
    assert_refused(ingest, {403}, b)
    for token in (a.visitor_token, b.visitor_token):
        assert_refused(
            await http.post(
                "/api/kb/documents",
                json={"site_id": a.site_id, "url": "/planted", "content": "# P\n\nby visitor"},
                headers=bearer(token),
            ),
            {401},
            b,
        )

    # A's visitor token presented to B's site starts a new visitor of B: nothing of A carries.
    crossed = await api.visitor(a.visitor_token, site_id=b.site_id)
    assert crossed["visitor_token"] != a.visitor_token
    assert crossed["conversation_id"] not in {a.conversation_id, b.conversation_id}
    fresh = await http.get(
        f"/api/conversations/{crossed['conversation_id']}/history",
        headers=bearer(crossed["visitor_token"]),
    )
    assert fresh.json()["entries"] == []


async def _refused_join(client: Any, path: str, token: str) -> str:
    code, close_code = await client.join_refusal(path, token)
    assert close_code == 4401
    return str(code)


async def test_sockets_refuse_the_other_tenant(api: Any, tenants: Any) -> None:
    a, b = tenants
    for token in (a.visitor_token, a.agent_token):
        code = await _refused_join(api, f"/ws/conversations/{b.conversation_id}", token)
        assert code == "unauthorized"
    # A visitor is no agent, of any site.
    for site_id in (a.site_id, b.site_id):
        inbox = f"/ws/inbox?site_id={site_id}"
        assert await _refused_join(api, inbox, a.visitor_token) == "unauthorized"
    # On the Worker an inbox socket names its site's hub, which refuses A's agent; the local
    # inbox ignores the name and serves A's own sites (test_a_live_inbox_hears_its_tenant_only).
    if api.kind == "cloudflare":
        inbox = f"/ws/inbox?site_id={b.site_id}"
        assert await _refused_join(api, inbox, a.agent_token) == "unauthorized"


# Local only: the local inbox socket serves every site of its agent; on the Worker each site
# has its own hub object (test_cf_edge_worker.py: an agent hears only its sites).
async def test_a_live_inbox_hears_its_tenant_only(client: Any, edge: Any) -> None:
    n = next(_n)
    ids = [f"tenant-live-a{n}", f"tenant-live-b{n}"]
    in_thread(_seed_sites(client.d1_path, ids))
    a, b = [await _tenant(client, site_id) for site_id in ids]
    # A's live inbox hears A's conversations only: B's visitor speaks first (and B's agent
    # sees it), then A's; A's inbox gets A's update with nothing of B's before it.
    async with client.socket("/ws/inbox") as inbox_a, client.socket("/ws/inbox") as inbox_b:
        for sock, tenant in ((inbox_a, a), (inbox_b, b)):
            await sock.send({"type": "join", "v": 1, "token": tenant.agent_token, "last_seq": 0})
        await _say(client, b, "B again")
        await inbox_b.recv_until("inbox.update")
        await _say(client, a, "A again")
        update, before = await inbox_a.recv_until("inbox.update")
        assert update["conversation"]["id"] == a.conversation_id
        assert all(frame.get("conversation", {}).get("id") != b.conversation_id for frame in before)


async def _say(client: Any, tenant: Tenant, text: str) -> None:
    async with client.conversation(tenant.conversation_id, tenant.visitor_token) as sock:
        await sock.send({"type": "message.send", "client_id": f"say{next(_n)}", "text": text})
        await sock.recv_until("ack")


def _tampered(token: str) -> list[str]:
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    return [flipped, token + "x", token[:-1], token.upper(), " " + token + "\u200b"]


async def test_tampered_tokens_are_refused(api: Any, tenants: Any) -> None:
    a, _ = tenants
    history = f"/api/conversations/{a.conversation_id}/history"
    for token in _tampered(a.visitor_token) + _tampered(a.agent_token):
        assert_refused(await api.http.get(history, headers=bearer(token)), {401}, a)
        code = await _refused_join(api, f"/ws/conversations/{a.conversation_id}", token)
        assert code == "unauthorized"


async def test_logged_out_token_cannot_be_replayed(api: Any, tenants: Any) -> None:
    a, _ = tenants
    out = await api.http.post("/api/agent/logout", headers=bearer(a.agent_token))
    assert out.status_code == 204
    assert_refused(await api.http.get("/api/inbox", headers=bearer(a.agent_token)), {401}, a)
    history = f"/api/conversations/{a.conversation_id}/history"
    assert_refused(await api.http.get(history, headers=bearer(a.agent_token)), {401}, a)
    inbox = f"/ws/inbox?site_id={a.site_id}"
    assert await _refused_join(api, inbox, a.agent_token) == "unauthorized"
    again = await api.http.post("/api/agent/logout", headers=bearer(a.agent_token))
    assert again.status_code == 401


async def _expired_session(d1_path: Path, email: str) -> str:
    db = SqliteDatabase(d1_path)
    try:
        agent = await agents.find_agent(db, email)
        assert agent is not None
        # Issued long ago, for an hour: expired by now.
        return await agent_sessions.create_agent_session(db, agent.id, ttl_ms=3_600_000, now=1)
    finally:
        db.close()


async def test_expired_agent_session_is_refused(api: Any, tenants: Any) -> None:
    a, _ = tenants
    token = in_thread(_expired_session(api.d1_path, a.email))
    assert_refused(await api.http.get("/api/inbox", headers=bearer(token)), {401}, a)
    code = await _refused_join(api, f"/ws/conversations/{a.conversation_id}", token)
    assert code == "unauthorized"
