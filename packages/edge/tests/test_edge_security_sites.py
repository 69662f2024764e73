"""Sites, roles and invites on the real local edge, and what ending access and erasing do to
live sockets and room files.

Any signed-in agent makes a site and owns it; owners outrank admins, who outrank agents; an
invite link works once; removing a member or revoking their sessions ends their access at once,
open sockets included; every new route refuses another site's owner (403/404, no data); a
visitor's socket upgrade from a page origin the site does not allow is refused; a GDPR erase or
a site deletion leaves no room file and no row; a transcript is JSON or plain text, never
rendered.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from helpway.store import agents
from helpway.store.sqlite import SqliteDatabase

from .conftest import RECV_TIMEOUT_S, Socket
from .test_edge_security_xss import CORPUS

PASSWORD = "sites password 1"
_n = itertools.count()


def in_thread(job: Any) -> Any:
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, job).result()


async def _make_agents(data: Path, emails: list[str]) -> None:
    """Agents with an account and no site yet (as after signing up)."""
    db = SqliteDatabase(data / "d1.sqlite3")
    try:
        for email in emails:
            await agents.create_agent(db, email=email, name=email.split("@")[0], password=PASSWORD)
    finally:
        db.close()


async def _login(client: Any, email: str, password: str = PASSWORD) -> dict[str, str]:
    login = await client.http.post("/api/agent/login", json={"email": email, "password": password})
    assert login.status_code == 200, login.text
    return {"authorization": f"Bearer {login.json()['token']}"}


def _status(response: Any, status: int) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


async def _closed_with(sock: Socket, code: str) -> None:
    """The socket gets an error frame with `code`, then closes."""
    frame, _ = await sock.recv_until("error", code=code)
    assert frame["code"] == code
    with pytest.raises(ConnectionClosed):
        await sock.recv_until("never")


def _room_files(data: Path, conversation_id: str) -> list[Path]:
    return sorted((data / "rooms").glob(f"{conversation_id}.room.sqlite*"))


async def test_sites_roles_invites_and_ending_access(client: Any, edge: Any) -> None:
    n = next(_n)
    ann, bob = f"ann{n}@sites.example", f"bob{n}@sites.example"
    in_thread(_make_agents(edge.data, [ann, bob]))
    as_ann, as_bob = await _login(client, ann), await _login(client, bob)
    mine, theirs = f"ann-site{n}", f"bob-site{n}"

    made = _status(
        await client.http.post(
            "/api/sites",
            json={"id": mine, "name": "Ann's", "allowed_origins": ["https://ann.example/"]},
            headers=as_ann,
        ),
        200,
    )
    assert made["role"] == "owner" and made["allowed_origins"] == ["https://ann.example"]
    _status(
        await client.http.post("/api/sites", json={"id": theirs, "name": "B"}, headers=as_bob), 200
    )
    again = await client.http.post("/api/sites", json={"id": mine, "name": "x"}, headers=as_bob)
    assert _status(again, 409)["code"] == "conflict"
    bad = await client.http.post(
        "/api/sites", json={"name": "x", "allowed_origins": ["ann.example/path"]}, headers=as_ann
    )
    _status(bad, 422)
    assert _status(await client.http.post("/api/sites", json={"name": "x"}), 401)
    listed = _status(await client.http.get("/api/sites", headers=as_ann), 200)
    assert [s["id"] for s in listed["sites"]] == [mine]
    assert [
        s["id"] for s in _status(await client.http.get("/api/sites", headers=as_bob), 200)["sites"]
    ] == [theirs]

    renamed = await client.http.post(
        f"/api/sites/{mine}", json={"name": "Ann's shop", "allowed_origins": []}, headers=as_ann
    )
    assert _status(renamed, 200)["name"] == "Ann's shop"

    # Invites: an admin by the owner, through the REST accept.
    carl = f"carl{n}@sites.example"
    invite = _status(
        await client.http.post(
            f"/api/sites/{mine}/invites", json={"email": carl, "role": "admin"}, headers=as_ann
        ),
        200,
    )
    assert invite["url"].endswith(f"/invite?token={invite['token']}")
    page = await client.http.get(urlsplit(invite["url"]).path, params={"token": invite["token"]})
    assert page.status_code == 200 and carl in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "<script" not in page.text
    accept = {"token": invite["token"], "name": "Carl", "password": PASSWORD}
    carl_session = _status(await client.http.post("/api/invites/accept", json=accept), 200)
    assert carl_session["site_ids"] == [mine]
    as_carl = {"authorization": f"Bearer {carl_session['token']}"}
    reused = await client.http.post("/api/invites/accept", json=accept)
    assert _status(reused, 404)["code"] == "not_found"
    gone = await client.http.get("/invite", params={"token": invite["token"]})
    assert "unknown, used or expired" in gone.text
    listed_invites = _status(
        await client.http.get(f"/api/sites/{mine}/invites", headers=as_ann), 200
    )
    assert invite["token"] not in json.dumps(listed_invites)
    assert listed_invites["invites"][0]["used_at"] is not None

    # An admin invites agents, not admins; the invitee joins through the page's form.
    no = await client.http.post(
        f"/api/sites/{mine}/invites",
        json={"email": "x@y.example", "role": "admin"},
        headers=as_carl,
    )
    _status(no, 403)
    dan = f"dan{n}@sites.example"
    dan_invite = _status(
        await client.http.post(f"/api/sites/{mine}/invites", json={"email": dan}, headers=as_carl),
        200,
    )
    weak = await client.http.post(
        "/invite",
        content=f"token={dan_invite['token']}&name=Dan&password=short",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert "at least" in weak.text  # the form again, saying why; the invite still works
    joined = await client.http.post(
        "/invite",
        content=urlencode({"token": dan_invite["token"], "name": "Dan <b>", "password": PASSWORD}),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert "Welcome" in joined.text and "Dan &lt;b&gt;" in joined.text
    as_dan = await _login(client, dan)

    members = _status(await client.http.get(f"/api/sites/{mine}/agents", headers=as_carl), 200)
    roles = {m["email"]: m["role"] for m in members["agents"]}
    assert roles == {ann: "owner", carl: "admin", dan: "agent"}
    ids = {m["email"]: m["agent_id"] for m in members["agents"]}
    # Any agent of the site reads whom to assign to: names, no e-mails, no roles.
    team = _status(await client.http.get(f"/api/sites/{mine}/team", headers=as_dan), 200)
    assert sorted(a["id"] for a in team["agents"]) == sorted(ids.values())
    assert all(set(a) == {"id", "role", "name"} and a["role"] == "agent" for a in team["agents"])
    assert dan not in json.dumps(team)

    # Admins manage agents only; owners manage everyone; the last owner stays.
    agents_path = f"/api/sites/{mine}/agents"
    for path, body in [(ids[ann], {"role": "agent"}), (ids[dan], {"role": "admin"})]:
        _status(await client.http.post(f"{agents_path}/{path}", json=body, headers=as_carl), 403)
    _status(await client.http.delete(f"{agents_path}/{ids[ann]}", headers=as_carl), 403)
    last = await client.http.post(
        f"{agents_path}/{ids[ann]}", json={"role": "admin"}, headers=as_ann
    )
    assert _status(last, 409)["code"] == "conflict"
    _status(await client.http.delete(f"{agents_path}/{ids[ann]}", headers=as_ann), 409)
    _status(
        await client.http.post(
            f"{agents_path}/{ids[dan]}", json={"role": "agent"}, headers=as_carl
        ),
        204,
    )
    _status(await client.http.delete(f"/api/sites/{mine}", headers=as_carl), 403)  # owners only

    # Cross-tenant: Bob owns another site; nothing of Ann's site answers him.
    visitor = await client.visitor(site_id=mine)
    cid = visitor["conversation_id"]
    for method, path, body in [
        ("POST", f"/api/sites/{mine}", {"name": "taken"}),
        ("DELETE", f"/api/sites/{mine}", None),
        ("GET", f"/api/sites/{mine}/agents", None),
        ("GET", f"/api/sites/{mine}/team", None),
        ("POST", f"/api/sites/{mine}/agents/{ids[dan]}", {"role": "admin"}),
        ("DELETE", f"/api/sites/{mine}/agents/{ids[dan]}", None),
        ("DELETE", f"/api/sites/{mine}/agents/{ids[dan]}/sessions", None),
        ("GET", f"/api/sites/{mine}/invites", None),
        ("POST", f"/api/sites/{mine}/invites", {"email": "z@z.example"}),
        ("GET", f"/api/conversations/{cid}/transcript", None),
    ]:
        refused = await client.http.request(method, path, json=body, headers=as_bob)
        assert refused.status_code == 403, (method, path, refused.text)
        assert dan not in refused.text and "Ann" not in refused.text
    # Ann's member through Bob's site: not found there.
    foreign = await client.http.delete(f"/api/sites/{theirs}/agents/{ids[dan]}", headers=as_bob)
    _status(foreign, 404)
    assert (await client.http.get("/api/inbox", headers=as_dan)).status_code == 200

    # Removing Dan ends his access at once: his open room and inbox sockets close.
    async with (
        client.conversation(cid, visitor["visitor_token"]) as v,
        client.conversation(cid, as_dan["authorization"].split()[1]) as room,
        client.socket("/ws/inbox") as inbox,
    ):
        await inbox.send(
            {"type": "join", "v": 1, "token": as_dan["authorization"].split()[1], "last_seq": 0}
        )
        await inbox.send({"type": "ping"})
        await inbox.recv_until("pong")
        _status(await client.http.delete(f"{agents_path}/{ids[dan]}", headers=as_carl), 204)
        await _closed_with(room, "unauthorized")
        await _closed_with(inbox, "unauthorized")
        await v.send({"type": "message.send", "client_id": "after", "text": "dan is gone"})
        await v.recv_until("ack", client_id="after")
    history = await client.http.get(f"/api/conversations/{cid}/history", headers=as_dan)
    _status(history, 403)
    async with client.socket(f"/ws/conversations/{cid}") as sock:
        await sock.send(
            {"type": "join", "v": 1, "token": as_dan["authorization"].split()[1], "last_seq": 0}
        )
        await _closed_with(sock, "unauthorized")

    # Revoking Carl's sessions logs him out everywhere.
    _status(await client.http.delete(f"{agents_path}/{ids[carl]}/sessions", headers=as_ann), 204)
    _status(await client.http.get(f"/api/sites/{mine}/agents", headers=as_carl), 401)

    # The owner deletes the site: rows and room files go, the agents stay.
    async with client.conversation(cid, visitor["visitor_token"]) as v:
        assert _room_files(edge.data, cid)
        deleted = _status(await client.http.delete(f"/api/sites/{mine}", headers=as_ann), 200)
        assert deleted == {"site_id": mine, "conversations": 1, "visitors": 1, "kb_documents": 0}
        await _closed_with(v, "not_found")
    assert _room_files(edge.data, cid) == []
    assert _status(await client.http.get("/api/sites", headers=as_ann), 200) == {"sites": []}
    _status(await client.http.get(f"/api/sites/{mine}/agents", headers=as_ann), 403)
    assert (
        await client.http.post("/api/visitor/session", json={"site_id": mine})
    ).status_code == 404
    await _login(client, carl)  # accounts stay


async def test_a_visitor_socket_from_a_foreign_page_origin_is_refused(
    client: Any, edge: Any, helpway: Any
) -> None:
    site = f"socket-origins{next(_n)}"
    helpway(
        edge.data,
        "sites",
        "create",
        "--id",
        site,
        "--name",
        "S",
        "--origin",
        "https://shop.example",
    )
    started = await client.http.post(
        "/api/visitor/session", json={"site_id": site}, headers={"origin": "https://shop.example"}
    )
    visitor = _status(started, 200)
    path = f"{edge.ws_url}/ws/conversations/{visitor['conversation_id']}"
    join = {"type": "join", "v": 1, "token": visitor["visitor_token"], "last_seq": 0}
    for origin, welcome in [
        ("https://evil.example", False),
        ("https://shop.example.evil.example", False),
        ("https://shop.example", True),
        (edge.url, True),  # the widget frame, served by the edge
    ]:
        async with connect(path, origin=origin, open_timeout=RECV_TIMEOUT_S) as conn:  # type: ignore[arg-type]
            sock = Socket(conn)
            await sock.send(join)
            if welcome:
                assert (await sock.recv())["type"] == "welcome", origin
            else:
                refusal = await sock.recv()
                assert refusal["code"] == "unauthorized" and "origin" in refusal["message"]
                with pytest.raises(ConnectionClosed):
                    await sock.recv()


async def test_gdpr_erase_deletes_room_files_and_closes_live_sockets(
    client: Any, edge: Any, helpway: Any
) -> None:
    site = f"erase{next(_n)}"
    helpway(edge.data, "sites", "create", "--id", site, "--name", "E")
    admin = f"admin@{site}.example"
    helpway(
        edge.data,
        "agents",
        "create",
        "--email",
        admin,
        "--name",
        "Ad",
        "--password",
        PASSWORD,
        "--site",
        site,
        "--role",
        "admin",
    )
    as_admin = await _login(client, admin)
    visitor = await client.visitor(site_id=site)
    cid = visitor["conversation_id"]
    marker = f"erase-me-{next(_n)}-passport-X123"
    async with (
        client.conversation(cid, visitor["visitor_token"]) as v,
        client.conversation(cid, as_admin["authorization"].split()[1]) as a,
    ):
        await v.send({"type": "message.send", "client_id": "e1", "text": marker})
        await v.recv_until("ack", client_id="e1")
        await client.history(cid, visitor["visitor_token"], 1)
        [room_file, *_] = _room_files(edge.data, cid)
        assert marker.encode() in b"".join(p.read_bytes() for p in _room_files(edge.data, cid))
        exported = _status(
            await client.http.get(
                f"/api/sites/{site}/visitors/{visitor['visitor_id']}/export", headers=as_admin
            ),
            200,
        )
        assert marker in json.dumps(exported)
        [conversation] = exported["conversations"]
        # Each entry once: what D1 holds, then what only the room holds yet (the assistant's
        # answer may still be on its way through the outbox).
        in_d1 = [entry["seq"] for entry in conversation["entries"]]
        only_room = [entry["seq"] for entry in conversation["room_entries"]]
        assert 1 in in_d1 and all(seq > max(in_d1) for seq in only_room)
        erased = await client.http.delete(
            f"/api/sites/{site}/visitors/{visitor['visitor_id']}", headers=as_admin
        )
        assert _status(erased, 200)["conversation_ids"] == [cid]
        await _closed_with(v, "not_found")
        await _closed_with(a, "not_found")
    assert _room_files(edge.data, cid) == [] and not room_file.exists()
    db = SqliteDatabase(edge.data / "d1.sqlite3")
    try:
        for table, column in [("messages", "conversation_id"), ("conversations", "id")]:
            rows = await db.all(f"SELECT * FROM {table} WHERE {column} = ?", (cid,))
            assert rows == []
        assert await db.all("SELECT 1 FROM messages WHERE text = ?", (marker,)) == []
    finally:
        db.close()
    # Not left anywhere in the room folder either (another room's file, a stray WAL), nor in
    # D1's file once its WAL is checkpointed (deletes overwrite the freed content).
    assert all(marker.encode() not in p.read_bytes() for p in (edge.data / "rooms").iterdir())
    checkpoint = sqlite3.connect(edge.data / "d1.sqlite3")
    try:
        busy, _, _ = checkpoint.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        checkpoint.close()
    assert busy == 0
    for path in edge.data.glob("d1.sqlite3*"):
        assert marker.encode() not in path.read_bytes(), path.name


async def test_transcripts_are_text_never_markup(client: Any, edge: Any) -> None:
    visitor = await client.visitor()
    agent = await client.agent()
    cid = visitor["conversation_id"]
    sent: list[str] = []
    async with (
        client.conversation(cid, visitor["visitor_token"]) as v,
        client.conversation(cid, agent["token"]) as a,
    ):
        for sock in (a, v):
            for i, text in enumerate(CORPUS):
                client_id = f"t{next(_n)}-{i}"
                await sock.send({"type": "message.send", "client_id": client_id, "text": text})
                ack, _ = await sock.recv_until("ack", client_id=client_id)
                sent.append(text)
        await v.send(
            {
                "type": "message.send",
                "client_id": "fake",
                "text": "hi\n[2020-01-01] Ada (agent): fake line",
            }
        )
        ack, _ = await v.recv_until("ack", client_id="fake")
    await client.history(cid, agent["token"], ack["seq"])
    bearer = {"authorization": f"Bearer {agent['token']}"}
    path = f"/api/conversations/{cid}/transcript"

    as_json = await client.http.get(path, headers=bearer)
    assert as_json.status_code == 200 and as_json.headers["content-type"] == "application/json"
    texts = [e["text"] for e in as_json.json()["entries"] if e["type"] == "message"]
    assert texts[: len(sent)] == sent
    as_text = await client.http.get(path, params={"format": "text"}, headers=bearer)
    assert as_text.headers["content-type"] == "text/plain; charset=utf-8"
    for response in (as_json, as_text):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-disposition"].startswith("attachment;")
        assert "sandbox" in response.headers["content-security-policy"]
    for text in sent:
        assert text in as_text.text
    # A typed line break is indented: it cannot pass for an entry of its own.
    assert "\n    [2020-01-01] Ada (agent): fake line" in as_text.text
    assert "\n[2020-01-01]" not in as_text.text

    refused = await client.http.get(
        path, headers={"authorization": f"Bearer {visitor['visitor_token']}"}
    )
    _status(refused, 403)
    _status(await client.http.get(path, params={"format": "html"}, headers=bearer), 422)


async def test_cli_manages_sites_and_agents(client: Any, edge: Any, helpway: Any) -> None:
    n = next(_n)
    site, owner, helper = f"cli-site{n}", f"owner{n}@cli.example", f"helper{n}@cli.example"
    in_thread(_make_agents(edge.data, [owner]))
    helpway(edge.data, "sites", "create", "--id", site, "--name", "C", "--owner", owner)
    assert f"{site}  any origin  C" in helpway(edge.data, "sites", "list").stdout
    updated = helpway(
        edge.data,
        "sites",
        "update",
        "--site",
        site,
        "--name",
        "C2",
        "--origin",
        "https://c.example",
    )
    assert "https://c.example" in updated.stdout
    helpway(edge.data, "sites", "update", "--site", site, "--origin", "c.example/x", ok=False)

    out = helpway(
        edge.data, "agents", "invite", "--site", site, "--email", helper, "--role", "admin"
    ).stdout
    link = out.strip().splitlines()[-1]
    token = parse_qs(urlsplit(link).query)["token"][0]
    accepted = await client.http.post(
        "/api/invites/accept", json={"token": token, "name": "Helper", "password": PASSWORD}
    )
    assert _status(accepted, 200)["site_ids"] == [site]
    listing = helpway(edge.data, "agents", "list", "--site", site).stdout
    assert f"owner  {owner}" in listing and f"admin  {helper}" in listing

    helpway(
        edge.data,
        "agents",
        "set-role",
        "--site",
        site,
        "--email",
        owner,
        "--role",
        "agent",
        ok=False,
    )
    helpway(edge.data, "agents", "set-role", "--site", site, "--email", helper, "--role", "agent")
    as_helper = await _login(client, helper)
    revoked = helpway(edge.data, "agents", "revoke-sessions", "--email", helper).stdout
    assert "session(s)" in revoked
    _status(await client.http.get("/api/inbox", headers=as_helper), 401)
    helpway(edge.data, "agents", "remove", "--site", site, "--email", helper)
    helpway(edge.data, "agents", "remove", "--site", site, "--email", owner, ok=False)  # last owner

    visitor = await client.visitor(site_id=site)
    async with client.conversation(visitor["conversation_id"], visitor["visitor_token"]) as v:
        await v.send({"type": "message.send", "client_id": "c1", "text": "hello"})
        await v.recv_until("ack", client_id="c1")
    deleted = helpway(edge.data, "sites", "delete", "--site", site, "--yes").stdout
    assert "1 conversation(s), 1 visitor(s)" in deleted
    assert site not in helpway(edge.data, "sites", "list").stdout


async def test_api_keys_stand_as_admins_of_their_own_site_only(
    client: Any, edge: Any, helpway: Any
) -> None:
    n = next(_n)
    site, other = f"keyed-site{n}", f"keyed-other{n}"
    for site_id in (site, other):
        helpway(edge.data, "sites", "create", "--id", site_id, "--name", site_id)

    def key(site_id: str, *scopes: str) -> dict[str, str]:
        args = [arg for scope in scopes for arg in ("--scope", scope)]
        out = helpway(edge.data, "keys", "create", "--site", site_id, "--name", "k", *args)
        return {"authorization": f"Bearer {out.stdout.strip().splitlines()[-1]}"}

    admin_key, reader_key, foreign_key = (
        key(site, "site:admin"),
        key(site, "kb:read"),
        key(other, "site:admin"),
    )
    members = f"/api/sites/{site}/agents"
    _status(await client.http.get(members, headers=admin_key), 200)
    made = await client.http.post(
        f"/api/sites/{site}/invites", json={"email": "k@k.example"}, headers=admin_key
    )
    _status(made, 200)
    patched = await client.http.post(
        f"/api/sites/{site}", json={"name": "renamed"}, headers=admin_key
    )
    assert _status(patched, 200)["role"] is None
    # Never an owner's powers, never another site's, never a reader's more than reading.
    for headers, method, path, body in [
        (
            admin_key,
            "POST",
            f"/api/sites/{site}/invites",
            {"email": "a@k.example", "role": "admin"},
        ),
        (admin_key, "DELETE", f"/api/sites/{site}", None),
        (reader_key, "GET", members, None),
        (reader_key, "POST", f"/api/sites/{site}", {"name": "x"}),
        (foreign_key, "GET", members, None),
        (foreign_key, "GET", f"/api/sites/{site}/invites", None),
        (foreign_key, "POST", f"/api/sites/{site}", {"name": "x"}),
        (foreign_key, "DELETE", f"/api/sites/{site}", None),
    ]:
        refused = await client.http.request(method, path, json=body, headers=headers)
        assert refused.status_code == 403, (method, path, refused.text)
    # Keys are not agents: they neither make sites nor list "their" sites.
    _status(await client.http.post("/api/sites", json={"name": "k"}, headers=admin_key), 401)
    _status(await client.http.get("/api/sites", headers=admin_key), 401)
