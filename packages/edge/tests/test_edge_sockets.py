"""Conversation sockets against a real local edge: join, send, ack, broadcast, typing, resend,
resume, history, text kept verbatim, and the inbox socket."""

from __future__ import annotations

import itertools
import struct
from pathlib import Path

_ids = itertools.count()


def client_id() -> str:
    return f"c{next(_ids)}"


async def new_chat(client):  # type: ignore[no-untyped-def]
    """A fresh visitor and the demo agent."""
    return await client.visitor(), await client.agent()


async def test_send_is_acked_then_broadcast_to_an_agent(client) -> None:
    visitor, agent = await new_chat(client)
    cid = visitor["conversation_id"]
    async with (
        client.conversation(cid, visitor["visitor_token"]) as v,
        client.conversation(cid, agent["token"]) as a,
    ):
        await v.send({"type": "message.send", "client_id": "m1", "text": "Hello there"})
        ack = await v.recv()
        assert ack["type"] == "ack" and ack["client_id"] == "m1" and ack["seq"] == 1
        echoed, _ = await v.recv_until("message", seq=1)
        seen, _ = await a.recv_until("message", seq=1)
        assert echoed == seen
        assert seen["id"] == ack["id"]
        assert seen["text"] == "Hello there"
        assert seen["author"] == {
            "id": visitor["visitor_id"],
            "role": "visitor",
            "name": seen["author"]["name"],
        }


def wal_commits(path: Path) -> int:
    """The transactions a SQLite WAL file holds: its frames of the current generation (the
    header's salts) that end a commit (a non-zero database size in the frame's header)."""
    data = path.read_bytes()
    page_size, salts = struct.unpack(">I", data[8:12])[0], data[16:24]
    frame = 24 + page_size
    return sum(
        1
        for at in range(32, len(data) - frame + 1, frame)
        if data[at + 8 : at + 16] == salts and struct.unpack(">I", data[at + 4 : at + 8])[0]
    )


async def test_a_burst_from_one_socket_is_stored_in_fewer_commits_than_messages(client) -> None:
    """The socket submits the frames it reads without waiting for each one's commit, so the
    ones that arrive while a commit waits for the disk share the next one (each still acked
    after it is durable: the room host's tests check that order)."""
    visitor, agent = await new_chat(client)
    cid = visitor["conversation_id"]
    wal = client.edge.data / "rooms" / f"{cid}.room.sqlite-wal"
    burst = [
        {"type": "message.send", "client_id": f"b{n}", "text": f"message {n}"} for n in range(20)
    ]
    async with (
        client.conversation(cid, visitor["visitor_token"]) as v,
        client.conversation(cid, agent["token"]) as a,
    ):
        await a.send({"type": "message.send", "client_id": "hi", "text": "Hi, Ada here"})
        await a.recv_until("ack", client_id="hi")
        before = wal_commits(wal)
        for frame in burst:
            await v.send(frame)
        acks = [(await v.recv_until("ack", client_id=f["client_id"]))[0] for f in burst]
        seen = [(await a.recv_until("message", client_id=f["client_id"]))[0] for f in burst]
        commits = wal_commits(wal) - before
    assert [ack["seq"] for ack in acks] == list(range(acks[0]["seq"], acks[0]["seq"] + 20))
    assert [m["text"] for m in seen] == [f["text"] for f in burst]
    assert 0 < commits < len(burst)


async def test_typing_is_relayed_to_the_others_only(client) -> None:
    visitor, agent = await new_chat(client)
    cid = visitor["conversation_id"]
    async with (
        client.conversation(cid, visitor["visitor_token"]) as v,
        client.conversation(cid, agent["token"]) as a,
    ):
        await a.send({"type": "typing", "active": True})
        typing = await v.recv()
        assert typing == {"type": "typing", "author": agent["agent"], "active": True}
        await a.send({"type": "ping"})
        assert await a.recv() == {"type": "pong"}  # the typist got no echo of its own typing


async def test_a_resend_returns_the_original_ack_and_stores_once(client) -> None:
    visitor = await client.visitor()
    cid, token = visitor["conversation_id"], visitor["visitor_token"]
    frame = {"type": "message.send", "client_id": "same-id", "text": "Only once, please"}
    async with client.conversation(cid, token) as v:
        await v.send(frame)
        first = await v.recv()
        await v.recv_until("message", seq=first["seq"])
    async with client.conversation(cid, token, last_seq=first["seq"]) as v:
        await v.send(frame)  # e.g. the widget retrying after a reconnect
        again, _ = await v.recv_until("ack")
    assert again == first
    history = await client.history(cid, token, through_seq=first["seq"])
    texts = [e.get("text") for e in history["entries"]]
    assert texts.count("Only once, please") == 1


async def test_join_replays_what_the_client_missed(client) -> None:
    visitor, agent = await new_chat(client)
    cid = visitor["conversation_id"]
    async with client.conversation(cid, agent["token"]) as a:
        for n in range(3):
            await a.send({"type": "message.send", "client_id": client_id(), "text": f"Note {n}"})
            await a.recv_until("ack")
    async with client.socket(f"/ws/conversations/{cid}") as v:
        welcome = await v.join(visitor["visitor_token"], last_seq=1)
        assert welcome["last_seq"] >= 4  # agent.joined + three messages
        replayed = [await v.recv() for _ in range(welcome["last_seq"] - 1)]
    assert [e["seq"] for e in replayed] == list(range(2, welcome["last_seq"] + 1))
    assert [e["text"] for e in replayed if e["type"] == "message"][-2:] == ["Note 1", "Note 2"]


async def test_html_looking_text_is_stored_and_returned_verbatim(client) -> None:
    visitor, agent = await new_chat(client)
    cid, token = visitor["conversation_id"], visitor["visitor_token"]
    text = '<img src=x onerror="alert(1)"> <script>alert(2)</script> &amp; \u202e <b>bold</b>'
    async with client.conversation(cid, agent["token"]) as a:
        await a.send({"type": "message.send", "client_id": "xss", "text": text})
        ack, _ = await a.recv_until("ack")
        message, _ = await a.recv_until("message", seq=ack["seq"])
    assert message["text"] == text
    history = await client.history(cid, token, through_seq=ack["seq"])
    stored = [e for e in history["entries"] if e.get("client_id") == "xss"]
    assert [e["text"] for e in stored] == [text]


async def test_history_pages_after_a_seq(client) -> None:
    visitor, agent = await new_chat(client)
    cid, token = visitor["conversation_id"], visitor["visitor_token"]
    async with client.conversation(cid, agent["token"]) as a:
        for n in range(4):
            await a.send({"type": "message.send", "client_id": client_id(), "text": f"Line {n}"})
            await a.recv_until("ack")
    full = await client.history(cid, token, through_seq=5)
    page = await client.history(cid, token, through_seq=5, after_seq=2, limit=2)
    assert [e["seq"] for e in page["entries"]] == [3, 4]
    assert page["more"] is True
    assert page["last_seq"] == full["last_seq"] == 5
    assert page["entries"] == full["entries"][2:4]


async def test_the_inbox_socket_streams_conversation_updates(client) -> None:
    agent = await client.agent()
    visitor = await client.visitor()
    async with client.socket("/ws/inbox") as inbox:
        await inbox.send({"type": "join", "v": 1, "token": agent["token"], "last_seq": 0})
        await inbox.send({"type": "ping"})
        assert (await inbox.recv())["type"] == "presence"  # the site's, once joined
        assert await inbox.recv() == {"type": "pong"}
        async with client.conversation(visitor["conversation_id"], visitor["visitor_token"]) as v:
            await v.send({"type": "message.send", "client_id": "in1", "text": "Anyone there?"})
            update, _ = await inbox.recv_until("inbox.update")
            summary = update["conversation"]
            assert summary["id"] == visitor["conversation_id"]
            assert summary["site_id"] == "demo"
            assert summary["visitor"]["id"] == visitor["visitor_id"]
            await v.send({"type": "handoff.request"})
            waiting, _ = await inbox.recv_until("inbox.update")
            while waiting["conversation"]["status"] != "waiting_human":
                waiting, _ = await inbox.recv_until("inbox.update")
    listed = await client.http.get(
        "/api/inbox", headers={"authorization": f"Bearer {agent['token']}"}
    )
    rows = {row["id"]: row for row in listed.json()["conversations"]}
    assert rows[visitor["conversation_id"]]["status"] == "waiting_human"


async def test_the_inbox_socket_wants_an_agent(client) -> None:
    visitor = await client.visitor()
    async with client.socket("/ws/inbox") as inbox:
        await inbox.send({"type": "join", "v": 1, "token": visitor["visitor_token"]})
        error = await inbox.recv()
        assert error["type"] == "error" and error["code"] == "unauthorized"
        await inbox.conn.wait_closed()
        assert inbox.conn.close_code == 4401


async def test_an_inbox_socket_can_name_one_of_the_agents_sites(client) -> None:
    """`/ws/inbox?site_id=` (the console's form, the one the Worker requires) narrows the socket
    to that site, which must be the agent's."""
    agent = await client.agent()
    visitor = await client.visitor()
    join = {"type": "join", "v": 1, "token": agent["token"], "last_seq": 0}
    async with client.socket("/ws/inbox?site_id=demo") as inbox:
        await inbox.send(join)
        assert (await inbox.recv())["type"] == "presence"
        async with client.conversation(visitor["conversation_id"], visitor["visitor_token"]) as v:
            await v.send({"type": "message.send", "client_id": "one1", "text": "Hello?"})
            update, _ = await inbox.recv_until("inbox.update")
            assert update["conversation"]["site_id"] == "demo"
    async with client.socket("/ws/inbox?site_id=another-site") as foreign:
        await foreign.send(join)
        error = await foreign.recv()
        assert (error["type"], error["code"]) == ("error", "unauthorized")
        await foreign.conn.wait_closed()
        assert foreign.conn.close_code == 4401


async def test_a_long_catch_up_arrives_whole_and_in_order(client) -> None:
    """More entries than a socket buffers at once: the replay waits for the reader, it is
    neither cut nor dropped."""
    visitor, agent = await new_chat(client)
    cid = visitor["conversation_id"]
    count = 400
    async with client.conversation(cid, agent["token"]) as a:
        for n in range(count):  # pipelined: no waiting for each ack
            await a.send({"type": "message.send", "client_id": f"bulk{n}", "text": f"#{n}"})
        await a.recv_until("ack", client_id=f"bulk{count - 1}")
    async with client.socket(f"/ws/conversations/{cid}") as v:
        welcome = await v.join(visitor["visitor_token"], last_seq=0)
        assert welcome["last_seq"] == count + 1  # agent.joined, then the messages
        replayed = [await v.recv() for _ in range(count + 1)]
        await v.send({"type": "ping"})
        assert await v.recv() == {"type": "pong"}
    assert [e["seq"] for e in replayed] == list(range(1, count + 2))
    assert [e["text"] for e in replayed[1:]] == [f"#{n}" for n in range(count)]
