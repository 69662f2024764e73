"""Site administration, on the local edge and, for the REST routes, on the Worker too (`api`,
see conftest.py; the CLI works on the local database only).

Identity verification, set up with the CLI: once a site enforces it, starting, reading and
writing a conversation need a user id signed with the site's secret — no identify, a wrong hash,
user A's hash claiming user B, a pre-enforcement anonymous token: all refused; the verified user
gets in and keeps their conversation. Only a site's admins change its settings or export and
erase its visitors (GDPR), which leaves the visitor's token and conversations unreachable.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from helpway.store import agents, sites
from helpway.store.sqlite import SqliteDatabase

PASSWORD = "roles password 1"
_n = itertools.count()


def sign(secret: str, user_id: str) -> str:
    """What the site owner's server computes."""
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


async def _session(client: Any, site_id: str, **fields: Any) -> Any:
    return await client.http.post("/api/visitor/session", json={"site_id": site_id, **fields})


def _refused(response: Any, status: int = 403) -> None:
    assert response.status_code == status, response.text
    assert response.json()["code"] == ("forbidden" if status == 403 else "invalid")


async def _join_refused(client: Any, conversation_id: str, token: str) -> None:
    async with client.socket(f"/ws/conversations/{conversation_id}") as sock:
        await sock.send({"type": "join", "v": 1, "token": token, "last_seq": 0})
        refusal = await sock.recv()
        assert refusal["type"] == "error" and refusal["code"] == "unauthorized"
        with pytest.raises(ConnectionClosed):
            await sock.recv()


async def test_enforced_identity_refuses_unverified_and_mismatched(
    client: Any, edge: Any, helpway: Any
) -> None:
    site = f"verified{next(_n)}"
    helpway(edge.data, "sites", "create", "--id", site, "--name", "Verified")
    early = (await _session(client, site)).json()  # anonymous, before enforcement

    enforced = helpway(edge.data, "sites", "identity", "--site", site, "--require").stdout
    assert "a verified user is required" in enforced
    found = re.search(r"identity secret \(keep it on your server only\): (\S+)", enforced)
    assert found is not None
    secret = found.group(1)
    cli_hash = helpway(edge.data, "sites", "sign-user", "--site", site, "alice").stdout.strip()
    assert cli_hash == sign(secret, "alice")

    _refused(await _session(client, site))  # no identify
    _refused(await _session(client, site, user_id="alice"))  # no hash
    _refused(await _session(client, site, user_id="alice", user_hash="0" * 64))  # wrong hash
    _refused(await _session(client, site, user_id="alice", user_hash=sign(secret, "bob")))
    _refused(await _session(client, site, user_hash=sign(secret, "alice")), 422)
    _refused(await _session(client, site, user_id="alice", user_hash=sign("guess", "alice")))

    # The visitor that started anonymously before enforcement can no longer read or write.
    early_history = await client.http.get(
        f"/api/conversations/{early['conversation_id']}/history",
        headers={"authorization": f"Bearer {early['visitor_token']}"},
    )
    _refused(early_history)
    await _join_refused(client, early["conversation_id"], early["visitor_token"])
    _refused(await _session(client, site, visitor_token=early["visitor_token"]))

    alice_fields = {"user_id": "alice", "user_hash": sign(secret, "alice").upper()}
    alice = await _session(client, site, **alice_fields)
    assert alice.status_code == 200, alice.text
    alice = alice.json()
    async with client.conversation(alice["conversation_id"], alice["visitor_token"]) as sock:
        await sock.send({"type": "message.send", "client_id": "a1", "text": "alice's order"})
        await sock.recv_until("ack", client_id="a1")
    again = (
        await _session(client, site, visitor_token=alice["visitor_token"], **alice_fields)
    ).json()
    assert again["conversation_id"] == alice["conversation_id"]

    # Bob, verified, on a browser that holds Alice's token: a visitor of his own.
    bob = (
        await _session(
            client,
            site,
            visitor_token=alice["visitor_token"],
            user_id="bob",
            user_hash=sign(secret, "bob"),
        )
    ).json()
    assert bob["visitor_id"] != alice["visitor_id"]
    assert bob["conversation_id"] != alice["conversation_id"]
    bob_reads = await client.http.get(
        f"/api/conversations/{alice['conversation_id']}/history",
        headers={"authorization": f"Bearer {bob['visitor_token']}"},
    )
    _refused(bob_reads)
    assert "alice's order" not in bob_reads.text

    # A new secret: hashes made with the old one stop verifying.
    helpway(edge.data, "sites", "identity", "--site", site, "--rotate-secret")
    _refused(await _session(client, site, **alice_fields))

    # Enforcement off: anonymous visitors are welcome again.
    helpway(edge.data, "sites", "identity", "--site", site, "--no-require")
    assert (await _session(client, site)).status_code == 200


async def _seed_roles(d1_path: Path, site: str, other: str) -> None:
    db = SqliteDatabase(d1_path)
    try:
        for site_id in (site, other):
            await sites.create_site(db, name=site_id, site_id=site_id)
        for name, site_id, role in (
            ("admin", site, "admin"),
            ("agent", site, "agent"),
            ("otheradmin", other, "admin"),
        ):
            agent = await agents.create_agent(
                db, email=f"{name}@{site}.example", name=name, password=PASSWORD
            )
            await agents.add_agent_to_site(db, site_id, agent.id, role)  # type: ignore[arg-type]
    finally:
        db.close()


async def test_only_the_sites_admins_change_identity_settings(api: Any) -> None:
    site, other = f"roles{next(_n)}", f"roles-other{next(_n)}"
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, _seed_roles(api.d1_path, site, other)).result()
    tokens = {}
    for name in ("admin", "agent", "otheradmin"):
        login = await api.http.post(
            "/api/agent/login", json={"email": f"{name}@{site}.example", "password": PASSWORD}
        )
        tokens[name] = {"authorization": f"Bearer {login.json()['token']}"}
    visitor = await api.visitor(site_id=site)
    path = f"/api/sites/{site}/identity"
    change = {"required": True}
    for headers, status in [
        (tokens["agent"], 403),  # an agent of the site, not an admin
        (tokens["otheradmin"], 403),  # an admin of another site
        ({"authorization": f"Bearer {visitor['visitor_token']}"}, 401),
        ({}, 401),
    ]:
        refused = await api.http.post(path, json=change, headers=headers)
        assert refused.status_code == status, refused.text
        assert (await api.http.get(path, headers=headers)).status_code == status
    assert (await api.visitor(site_id=site))["conversation_id"]  # still not enforced

    made = await api.http.post(path, json=change, headers=tokens["admin"])
    assert made.status_code == 200, made.text
    body = made.json()
    assert body["required"] is True and body["has_secret"] is True
    secret = body["secret"]  # shown once, in the answer that made it
    shown = await api.http.get(path, headers=tokens["admin"])
    assert shown.json() == {"site_id": site, "required": True, "has_secret": True}
    assert "secret" not in (await api.http.post(path, json={}, headers=tokens["admin"])).json()

    _refused(await _session(api, site))
    verified = await _session(api, site, user_id="u1", user_hash=sign(secret, "u1"))
    assert verified.status_code == 200, verified.text
    rotated = await api.http.post(path, json={"rotate_secret": True}, headers=tokens["admin"])
    assert rotated.json()["secret"] != secret
    _refused(await _session(api, site, user_id="u1", user_hash=sign(secret, "u1")))


async def test_an_admin_exports_then_erases_a_visitor(api: Any) -> None:
    site, other = f"rights{next(_n)}", f"rights-other{next(_n)}"
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, _seed_roles(api.d1_path, site, other)).result()
    tokens = {}
    for name in ("admin", "agent", "otheradmin"):
        login = await api.http.post(
            "/api/agent/login", json={"email": f"{name}@{site}.example", "password": PASSWORD}
        )
        tokens[name] = {"authorization": f"Bearer {login.json()['token']}"}
    visitor = await api.visitor(site_id=site)
    stranger = await api.visitor(site_id=other)
    cid = visitor["conversation_id"]
    await api.say(cid, visitor["visitor_token"], "g1", "my email is a@b.c")
    path = f"/api/sites/{site}/visitors/{visitor['visitor_id']}"

    for headers, status in [(tokens["agent"], 403), (tokens["otheradmin"], 403), ({}, 401)]:
        assert (await api.http.get(path + "/export", headers=headers)).status_code == status
        assert (await api.http.delete(path, headers=headers)).status_code == status
    # Another site's visitor is not reachable through this site.
    foreign = f"/api/sites/{site}/visitors/{stranger['visitor_id']}"
    assert (await api.http.get(foreign + "/export", headers=tokens["admin"])).status_code == 404

    exported = await api.http.get(path + "/export", headers=tokens["admin"])
    assert exported.status_code == 200, exported.text
    [conversation] = exported.json()["conversations"]
    assert conversation["id"] == cid
    assert "my email is a@b.c" in [entry.get("text") for entry in conversation["entries"]]
    assert visitor["visitor_token"] not in exported.text

    erased = await api.http.delete(path, headers=tokens["admin"])
    assert erased.json() == {"visitor_id": visitor["visitor_id"], "conversation_ids": [cid]}
    gone = await api.http.get(
        f"/api/conversations/{cid}/history",
        headers={"authorization": f"Bearer {visitor['visitor_token']}"},
    )
    assert gone.status_code == 401
    refusal = await api.join_refusal(f"/ws/conversations/{cid}", visitor["visitor_token"])
    assert refusal == ("unauthorized", 4401)
    by_agent = await api.http.get(f"/api/conversations/{cid}/history", headers=tokens["admin"])
    assert by_agent.status_code == 404
    assert (await api.http.get(path + "/export", headers=tokens["admin"])).status_code == 404
    # The visitor's browser simply starts afresh.
    fresh = await api.visitor(visitor["visitor_token"], site_id=site)
    assert fresh["visitor_id"] != visitor["visitor_id"]


async def test_cli_exports_then_erases_a_visitor(client: Any, edge: Any, helpway: Any) -> None:
    visitor = await client.visitor()
    export = helpway(edge.data, "visitors", "export", "--id", visitor["visitor_id"])
    exported = json.loads(export.stdout)
    assert exported["visitor"]["id"] == visitor["visitor_id"]
    assert [c["id"] for c in exported["conversations"]] == [visitor["conversation_id"]]
    erased = helpway(edge.data, "visitors", "erase", "--id", visitor["visitor_id"]).stdout
    assert erased.strip() == f"visitor {visitor['visitor_id']} erased with 1 conversation(s)"
    again = helpway(edge.data, "visitors", "export", "--id", visitor["visitor_id"], ok=False)
    assert f"no visitor '{visitor['visitor_id']}'" in again.stderr


async def test_api_keys_reach_their_site_and_scopes_only(
    client: Any, edge: Any, helpway: Any
) -> None:
    site, other = f"keys{next(_n)}", f"keys-other{next(_n)}"
    for site_id in (site, other):
        helpway(edge.data, "sites", "create", "--id", site_id, "--name", site_id)

    def make(site_id: str, *scopes: str) -> tuple[str, dict[str, str]]:
        args = [arg for scope in scopes for arg in ("--scope", scope)]
        out = helpway(edge.data, "keys", "create", "--site", site_id, "--name", "t", *args)
        key_id = out.stdout.split()[1]
        return key_id, {"authorization": f"Bearer {out.stdout.strip().splitlines()[-1]}"}

    _, reader = make(site, "kb:read")
    writer_id, writer = make(site, "kb:write", "visitors:export")
    _, foreign = make(other, "kb:read", "kb:write", "site:admin", "visitors:export")
    doc = {"site_id": site, "url": "/help/keyed", "content": "# Keyed\n\nWritten with a key."}
    documents = {"site_id": site}

    listed = await client.http.get("/api/kb/documents", params=documents, headers=reader)
    assert listed.status_code == 200, listed.text
    assert (
        await client.http.post("/api/kb/documents", json=doc, headers=reader)
    ).status_code == 403
    written = await client.http.post("/api/kb/documents", json=doc, headers=writer)
    assert written.status_code == 200, written.text
    for headers in (foreign,):  # a key of another site, whatever its scopes
        assert (
            await client.http.get("/api/kb/documents", params=documents, headers=headers)
        ).status_code == 403
        assert (
            await client.http.post("/api/kb/documents", json=doc, headers=headers)
        ).status_code == 403
        assert (
            await client.http.get(f"/api/sites/{site}/identity", headers=headers)
        ).status_code == 403

    visitor = await client.visitor(site_id=site)
    path = f"/api/sites/{site}/visitors/{visitor['visitor_id']}"
    assert (await client.http.get(path + "/export", headers=writer)).status_code == 200
    assert (await client.http.delete(path, headers=writer)).status_code == 403  # no erase scope
    assert (await client.http.get(f"/api/sites/{site}/identity", headers=writer)).status_code == 403
    # Keys are not agent sessions, and agent routes do not take them.
    assert (await client.http.get("/api/inbox", headers=writer)).status_code == 401

    listing = helpway(edge.data, "keys", "list", "--site", site).stdout
    assert writer_id in listing and "hwk_" not in listing
    helpway(edge.data, "keys", "revoke", "--id", writer_id)
    revoked = await client.http.post("/api/kb/documents", json=doc, headers=writer)
    assert revoked.status_code == 401 and revoked.json()["code"] == "unauthorized"


async def test_site_admins_manage_api_keys_over_rest(api: Any) -> None:
    site, other = f"restkeys{next(_n)}", f"restkeys-other{next(_n)}"
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, _seed_roles(api.d1_path, site, other)).result()
    tokens = {}
    for name in ("admin", "agent", "otheradmin"):
        login = await api.http.post(
            "/api/agent/login", json={"email": f"{name}@{site}.example", "password": PASSWORD}
        )
        tokens[name] = {"authorization": f"Bearer {login.json()['token']}"}
    keys = f"/api/sites/{site}/keys"
    new_key = {"name": "ci", "scopes": ["kb:read"]}
    for name in ("agent", "otheradmin"):
        assert (await api.http.post(keys, json=new_key, headers=tokens[name])).status_code == 403
        assert (await api.http.get(keys, headers=tokens[name])).status_code == 403
    bad = await api.http.post(keys, json={"name": "x", "scopes": ["all"]}, headers=tokens["admin"])
    assert bad.status_code == 422

    made = await api.http.post(keys, json=new_key, headers=tokens["admin"])
    assert made.status_code == 200, made.text
    secret, key_id = made.json()["key"], made.json()["info"]["id"]
    as_key = {"authorization": f"Bearer {secret}"}
    docs = await api.http.get("/api/kb/documents", params={"site_id": site}, headers=as_key)
    assert docs.status_code == 200
    listed = await api.http.get(keys, headers=tokens["admin"])
    assert [k["id"] for k in listed.json()["keys"]] == [key_id] and secret not in listed.text
    # A kb:read key cannot mint itself more power.
    assert (await api.http.post(keys, json=new_key, headers=as_key)).status_code == 403

    other_keys = f"/api/sites/{other}/keys"
    theirs = await api.http.post(other_keys, json=new_key, headers=tokens["otheradmin"])
    their_id = theirs.json()["info"]["id"]
    # Another site's key id, through this site's path: not found, and still alive.
    assert (await api.http.delete(f"{keys}/{their_id}", headers=tokens["admin"])).status_code == 404
    their_docs = await api.http.get(
        "/api/kb/documents",
        params={"site_id": other},
        headers={"authorization": f"Bearer {theirs.json()['key']}"},
    )
    assert their_docs.status_code == 200

    assert (await api.http.delete(f"{keys}/{key_id}", headers=tokens["admin"])).status_code == 204
    after = await api.http.get("/api/kb/documents", params={"site_id": site}, headers=as_key)
    assert after.status_code == 401
