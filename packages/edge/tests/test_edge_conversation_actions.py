"""Agents' conversation actions on a real local edge: take over, notes, assign, close and reopen
over the conversation socket; what a visitor can never receive (a note or an assignment, live,
on resume or in the REST history); the inbox's assignee and filters; the closed-conversation
policy (the visitor keeps the conversation, a message reopens it)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

DEADLINE_S = 10
BOB = {"email": "bob@demo.helpway.dev", "password": "bob-password", "name": "Bob"}
STRANGER = {"email": "erin@elsewhere.example", "password": "erin-password", "name": "Erin"}


@pytest.fixture(scope="module")
def second_agent(edge, helpway) -> dict[str, str]:  # type: ignore[no-untyped-def]
    helpway(
        edge.data,
        "agents",
        "create",
        "--email",
        BOB["email"],
        "--name",
        BOB["name"],
        "--password",
        BOB["password"],
        "--site",
        "demo",
    )
    return BOB


@pytest.fixture(scope="module")
def stranger(edge, helpway) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """An agent of another site only."""
    helpway(edge.data, "sites", "create", "--id", "elsewhere", "--name", "Elsewhere")
    helpway(
        edge.data,
        "agents",
        "create",
        "--email",
        STRANGER["email"],
        "--name",
        STRANGER["name"],
        "--password",
        STRANGER["password"],
        "--site",
        "elsewhere",
    )
    return STRANGER


async def login(client, who: dict[str, str]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = await client.http.post(
        "/api/agent/login", json={"email": who["email"], "password": who["password"]}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def inbox(client, token: str, **params: Any) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    response = await client.http.get(
        "/api/inbox", params=params, headers={"authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    return list(response.json()["conversations"])


async def listed_soon(client, token: str, cid: str, filter: str) -> None:  # type: ignore[no-untyped-def]
    """Wait until the inbox filter lists `cid` (D1 is written by the rooms' outbox)."""
    async with asyncio.timeout(DEADLINE_S):
        listed: set[str] = set()
        while cid not in listed:
            listed = {r["id"] for r in await inbox(client, token, filter=filter)}
            await asyncio.sleep(0.02)


async def test_agents_act_and_a_visitor_never_receives_a_note(client, second_agent) -> None:  # type: ignore[no-untyped-def]
    visitor, dana = await client.visitor(), await client.agent()
    bob = await login(client, second_agent)
    cid, vtoken = visitor["conversation_id"], visitor["visitor_token"]
    async with (
        client.socket("/ws/inbox") as hub,
        client.conversation(cid, vtoken) as v,
        client.conversation(cid, dana["token"]) as d,
        client.conversation(cid, bob["token"]) as b,
    ):
        await hub.send({"type": "join", "v": 1, "token": bob["token"]})
        # Dana takes over before the assistant could answer: everyone sees a human joined.
        await d.send({"type": "takeover"})
        joined, _ = await v.recv_until("event", seq=1)
        assert (joined["name"], joined["author"], joined["status"]) == (
            "agent.joined",
            dana["agent"],
            "open",
        )
        await v.send({"type": "message.send", "client_id": "v1", "text": "Hello"})
        await v.recv_until("message", seq=2)
        # A note and an assignment go to agents only.
        await d.send({"type": "note.send", "client_id": "n1", "text": "Secret: VIP"})
        ack, _ = await d.recv_until("ack", client_id="n1")
        note, _ = await b.recv_until("note", seq=ack["seq"])
        assert (note["text"], note["author"]) == ("Secret: VIP", dana["agent"])
        await d.send({"type": "assign", "agent_id": bob["agent"]["id"]})
        assigned, _ = await b.recv_until("event", name="assigned")
        assert assigned["assignee"] == bob["agent"]
        # Every agent of the site sees the assignee live, in the inbox.
        update, _ = await hub.recv_until("inbox.update")
        while update["conversation"].get("assignee") != bob["agent"]:
            update, _ = await hub.recv_until("inbox.update")
        assert update["conversation"]["last_text"] == "Hello"  # a note is never the last text
        # Close: the visitor sees it; what reached the visitor holds no note, no assignment.
        await d.send({"type": "close"})
        closed, before = await v.recv_until("event", name="closed")
        assert closed["status"] == "closed"
        seen = [f for f in before if f["type"] in ("message", "event", "note")]
        assert seen == []  # nothing since the visitor's own message
        assert "Secret" not in str([*before, closed])
        assert not [f for f in before if f["type"] == "assistant.state"]

    head = closed["seq"]
    # Resume from anywhere: the visitor's catch-up skips them, an agent's has them.
    async with client.conversation(cid, vtoken, last_seq=0) as v:
        replayed = [await v.recv() for _ in range(3)]
        await v.send({"type": "ping"})
        assert await v.recv() == {"type": "pong"}
    assert [f["seq"] for f in replayed] == [1, 2, head]
    async with client.conversation(cid, dana["token"], last_seq=0) as d:
        caught_up = [await d.recv() for _ in range(head)]
    assert [f["type"] for f in caught_up] == ["event", "message", "note", "event", "event"]
    # The REST history: the same rule.
    mine = await client.history(cid, vtoken, through_seq=head)
    assert [e["seq"] for e in mine["entries"]] == [1, 2, head]
    assert "Secret" not in str(mine)
    theirs = await client.history(cid, bob["token"], through_seq=head)
    assert [e["type"] for e in theirs["entries"]] == ["event", "message", "note", "event", "event"]
    assert theirs["entries"][3]["assignee"] == bob["agent"]

    # Bob's inbox: mine, closed; Dana's "mine" does not have it.
    assert cid in {r["id"] for r in await inbox(client, bob["token"], filter="closed")}
    assert cid not in {r["id"] for r in await inbox(client, bob["token"], filter="mine")}
    assert cid not in {r["id"] for r in await inbox(client, bob["token"], filter="open")}

    # The closed-conversation policy: the visitor keeps the conversation after a reload, and
    # their next message reopens it (the assistant answers again).
    again = await client.visitor(token=vtoken)
    assert again["conversation_id"] == cid
    async with client.conversation(cid, vtoken, last_seq=head) as v:
        await v.send({"type": "message.send", "client_id": "v2", "text": "One more thing"})
        reopened, _ = await v.recv_until("event", name="reopened")
        assert (reopened["author"]["id"], reopened["status"]) == (visitor["visitor_id"], "open")
        message, _ = await v.recv_until("message", client_id="v2")
        assert message["seq"] == reopened["seq"] + 1
    assigned_open = await inbox(client, bob["token"], filter="mine")
    row = next(r for r in assigned_open if r["id"] == cid)
    assert row["assignee"] == bob["agent"] and row["status"] == "open"


async def test_agents_reopen_and_unassign(client) -> None:  # type: ignore[no-untyped-def]
    visitor, dana = await client.visitor(), await client.agent()
    cid = visitor["conversation_id"]
    async with client.conversation(cid, dana["token"]) as d:
        await d.send({"type": "message.send", "client_id": client_id(), "text": "Hi!"})
        await d.send({"type": "assign", "agent_id": dana["agent"]["id"]})
        await d.recv_until("event", name="assigned")
        await listed_soon(client, dana["token"], cid, "mine")  # D1 gets it through the outbox
        await d.send({"type": "assign", "agent_id": None})
        unassigned, _ = await d.recv_until("event", name="unassigned")
        assert "assignee" not in unassigned
        await d.send({"type": "close"})
        await d.recv_until("event", name="closed")
        await d.send({"type": "close"})  # closing twice logs nothing
        await d.send({"type": "takeover"})
        refused, _ = await d.recv_until("error")
        assert refused["code"] == "conversation_closed"
        await d.send({"type": "reopen"})
        reopened, _ = await d.recv_until("event", name="reopened")
        assert (reopened["author"], reopened["status"]) == (dana["agent"], "open")
    await listed_soon(client, dana["token"], cid, "unassigned")


_ids = iter(range(10**6))


def client_id() -> str:
    return f"act{next(_ids)}"


async def test_refused_actions_keep_the_socket(client, stranger) -> None:  # type: ignore[no-untyped-def]
    visitor, dana = await client.visitor(), await client.agent()
    erin = await login(client, stranger)
    cid = visitor["conversation_id"]
    async with (
        client.conversation(cid, visitor["visitor_token"]) as v,
        client.conversation(cid, dana["token"]) as d,
    ):
        for frame in (
            {"type": "note.send", "client_id": "vn", "text": "let me in"},
            {"type": "assign", "agent_id": dana["agent"]["id"]},
            {"type": "close"},
            {"type": "takeover"},
        ):
            await v.send(frame)
            refused, _ = await v.recv_until("error")
            assert refused["code"] == "forbidden", frame
        assert refused["code"] == "forbidden"
        await d.send({"type": "assign", "agent_id": "no-such-agent"})
        missing, _ = await d.recv_until("error")
        assert missing["code"] == "not_found"
        # An agent of another site is refused alike: no assignment, no hint of who they are.
        await d.send({"type": "assign", "agent_id": erin["agent"]["id"]})
        foreign, _ = await d.recv_until("error")
        assert (foreign["code"], foreign["message"]) == ("not_found", "no such agent on this site")
        await d.send({"type": "note.send", "client_id": "blank", "text": "   "})
        invalid, _ = await d.recv_until("error")
        assert (invalid["code"], invalid["client_id"]) == ("invalid", "blank")
        for sock in (v, d):
            await sock.send({"type": "ping"})
            await sock.recv_until("pong")
    bad = await client.http.get(
        "/api/inbox",
        params={"filter": "bogus"},
        headers={"authorization": f"Bearer {dana['token']}"},
    )
    assert bad.status_code == 422 and bad.json()["code"] == "invalid"
