"""Conversation sockets staying honest about who is there, and refusing floods politely.

- a socket silent for the idle timeout is closed (4408) and its participant leaves the room,
  so a typing indicator it left on is switched off; a socket that pings stays;
- a visitor sending faster than the send limit gets `rate_limited` for the excess (naming the
  client id) and keeps its socket; the per-IP limit spans visitors and conversations, and
  another address is not affected;
- a socket beyond a conversation's capacity gets `room_full`, stays open, and gets in with a
  later `join` once a place is free.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
import pytest
from edge_process import Edge, start_edge, stop_edge
from websockets.asyncio.client import ClientConnection, connect

from helpway.rooms.policy import RoomPolicy
from helpway.rooms.ratelimit import SendLimits
from helpway.shared import limits

IDLE_S = 1.0
Frame = dict[str, Any]


async def recv(conn: ClientConnection, timeout_s: float = 10) -> Frame:
    return dict(json.loads(await asyncio.wait_for(conn.recv(), timeout_s)))


async def recv_now(conn: ClientConnection) -> Frame | None:
    """A frame that has already arrived, if any."""
    try:
        return await recv(conn, timeout_s=0.001)
    except TimeoutError:
        return None


async def recv_until(conn: ClientConnection, kind: str, **fields: Any) -> Frame:
    while True:
        frame = await recv(conn)
        if frame["type"] == kind and all(frame.get(k) == v for k, v in fields.items()):
            return frame


@asynccontextmanager
async def joined(
    ws_url: str, conversation_id: str, token: str, source_ip: str = "127.0.0.1"
) -> AsyncIterator[ClientConnection]:
    """A joined conversation socket from `source_ip` (any 127/8 address reaches loopback)."""
    async with connect(
        f"{ws_url}/ws/conversations/{conversation_id}", local_addr=(source_ip, 0)
    ) as conn:
        await conn.send(json.dumps({"type": "join", "v": 1, "token": token}))
        assert (await recv(conn))["type"] == "welcome"
        yield conn


@pytest.fixture(scope="module")
def idle_edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    """An edge that drops sockets after a second of silence."""
    data = tmp_path_factory.mktemp("idle") / "data"
    running = start_edge(data, env={"HELPWAY_SOCKET_IDLE_S": str(IDLE_S)})
    yield running
    stop_edge(running)


async def test_a_silent_socket_is_dropped_and_its_typing_switched_off(idle_edge: Edge) -> None:
    ws_url = idle_edge.url.replace("http://", "ws://")
    async with httpx.AsyncClient(base_url=idle_edge.url) as http:
        visitor = (await http.post("/api/visitor/session", json={"site_id": "demo"})).json()
        login = {"email": "agent@demo.helpway.dev", "password": "helpway-demo"}
        agent = (await http.post("/api/agent/login", json=login)).json()
    cid = visitor["conversation_id"]
    async with (
        joined(ws_url, cid, visitor["visitor_token"]) as v,
        joined(ws_url, cid, agent["token"]) as a,
        connect(f"{ws_url}/ws/conversations/{cid}") as never_joins,
    ):
        await v.send(json.dumps({"type": "typing", "active": True}))
        assert (await recv(a))["active"] is True
        # The agent pings (as the console does); the visitor goes silent, socket open.
        seen: list[Frame] = []
        async with asyncio.timeout(10 * IDLE_S):
            while v.close_code is None:
                await a.send(json.dumps({"type": "ping"}))
                await asyncio.sleep(IDLE_S / 4)
                while (frame := await recv_now(a)) is not None:
                    seen.append(frame)
        assert v.close_code == 4408
        # The room forgot the visitor's socket: its typing indicator is switched off well
        # before the typing TTL would have done it.
        if not any(f["type"] == "typing" for f in seen):
            seen.append(await recv(a, timeout_s=limits.TYPING_TTL_MS / 1000 / 2))
        typing = [f for f in seen if f["type"] == "typing"]
        assert typing[-1]["active"] is False
        assert typing[-1]["author"]["id"] == visitor["visitor_id"]
        await never_joins.wait_closed()
        assert never_joins.close_code == 4408
        await a.send(json.dumps({"type": "ping"}))
        assert await recv_until(a, "pong") == {"type": "pong"}  # the pinging socket stays


async def test_a_console_gone_silent_stops_counting_for_presence(idle_edge: Edge) -> None:
    """Two consoles of one agent: the one saying online dies without a close; the edge drops
    it after the idle timeout (the presence TTL) and the site's presence follows: the other
    console is told, and the widget's session answer says nobody is online."""
    ws_url = idle_edge.url.replace("http://", "ws://")
    async with httpx.AsyncClient(base_url=idle_edge.url) as http:
        login = {"email": "agent@demo.helpway.dev", "password": "helpway-demo"}
        agent = (await http.post("/api/agent/login", json=login)).json()

        async def anyone_online() -> bool:
            session = await http.post("/api/visitor/session", json={"site_id": "demo"})
            return bool(session.json()["config"]["agents_online"])

        def status(frame: Frame) -> str:
            mine = [a["status"] for a in frame["agents"] if a["id"] == agent["agent"]["id"]]
            return mine[0] if mine else "absent"

        join = json.dumps({"type": "join", "v": 1, "token": agent["token"]})
        async with connect(f"{ws_url}/ws/inbox") as dies, connect(f"{ws_url}/ws/inbox") as stays:
            await stays.send(join)
            await stays.send(json.dumps({"type": "presence.set", "status": "away"}))
            await dies.send(join)
            await dies.send(json.dumps({"type": "presence.set", "status": "online"}))
            while status(await recv_until(stays, "presence")) != "online":
                pass
            assert await anyone_online()
            seen: list[Frame] = []
            async with asyncio.timeout(10 * IDLE_S):
                while dies.close_code is None:  # `dies` says nothing more, socket open
                    await stays.send(json.dumps({"type": "ping"}))
                    await asyncio.sleep(IDLE_S / 4)
                    while (frame := await recv_now(stays)) is not None:
                        seen.append(frame)
            assert dies.close_code == 4408
            while not any(f["type"] == "presence" for f in seen):
                seen.append(await recv(stays))
            assert status([f for f in seen if f["type"] == "presence"][-1]) == "away"
            assert not await anyone_online()


async def human_owned(client: Any) -> tuple[Frame, Frame]:
    """A fresh visitor whose conversation an agent took over, so no assistant answers run."""
    visitor, agent = await client.visitor(), await client.agent()
    async with client.conversation(visitor["conversation_id"], agent["token"]) as a:
        await a.send({"type": "message.send", "client_id": "take", "text": "I'm on it."})
        await a.recv_until("ack")
    return visitor, agent


async def test_a_flooding_visitor_is_refused_the_excess_and_keeps_its_socket(client) -> None:
    visitor, _ = await human_owned(client)
    burst = SendLimits().per_visitor.burst
    async with client.conversation(visitor["conversation_id"], visitor["visitor_token"]) as v:
        for n in range(burst + 5):  # pipelined: far faster than the refill
            await v.send({"type": "message.send", "client_id": f"f{n}", "text": f"flood {n}"})
        replies = []
        while len(replies) < burst + 5:
            frame = await v.recv()
            if frame["type"] in ("ack", "error"):
                replies.append(frame)
        refused = [f["client_id"] for f in replies if f["type"] == "error"]
        assert {f["code"] for f in replies if f["type"] == "error"} == {"rate_limited"}
        assert refused and refused == [f"f{n}" for n in range(burst + 5 - len(refused), burst + 5)]
        await v.send({"type": "ping"})
        assert (await v.recv_until("pong"))[0] == {"type": "pong"}


async def test_the_per_ip_limit_spans_visitors_and_conversations(client) -> None:
    per_ip = SendLimits().per_ip
    # Twice the address's burst: refusals are certain unless the flood took burst/rate seconds.
    visitors = [await human_owned(client) for _ in range(2 * per_ip.burst // 25)]
    per_visitor = 25  # within each visitor's own burst: only the address can run out
    ws_url = client.edge.ws_url
    results: list[Frame] = []

    async def flood(visitor: Frame) -> None:
        cid, token = visitor["conversation_id"], visitor["visitor_token"]
        async with joined(ws_url, cid, token, source_ip="127.0.0.77") as conn:
            for n in range(per_visitor):
                frame = {"type": "message.send", "client_id": f"ip{n}", "text": f"ip {n}"}
                await conn.send(json.dumps(frame))
            replies = 0
            while replies < per_visitor:
                frame = await recv(conn)
                if frame["type"] in ("ack", "error"):
                    results.append(frame)
                    replies += 1

    await asyncio.gather(*(flood(visitor) for visitor, _ in visitors))
    codes = [f.get("code") for f in results if f["type"] == "error"]
    assert codes and set(codes) == {"rate_limited"}
    # Another address is not held back by that one.
    visitor, _ = visitors[0]
    async with client.conversation(visitor["conversation_id"], visitor["visitor_token"]) as v:
        await v.send({"type": "message.send", "client_id": "other-ip", "text": "from 127.0.0.1"})
        ack, _ = await v.recv_until("ack", client_id="other-ip")
        assert ack["seq"] > 0


async def test_a_full_conversation_refuses_a_socket_that_may_join_later(client) -> None:
    visitor = await client.visitor()
    cid, token = visitor["conversation_id"], visitor["visitor_token"]
    ws_url = client.edge.ws_url
    join = json.dumps({"type": "join", "v": 1, "token": token})
    async with AsyncExitStack() as tabs:
        opened = [
            await tabs.enter_async_context(joined(ws_url, cid, token))
            for _ in range(RoomPolicy().max_sessions)
        ]
        async with connect(f"{ws_url}/ws/conversations/{cid}") as extra:
            await extra.send(join)
            refusal = await recv(extra)
            assert refusal["type"] == "error" and refusal["code"] == "room_full"
            await extra.send(json.dumps({"type": "ping"}))
            assert (await recv(extra))["code"] == "not_joined"  # open, but not in the room
            await opened[0].close()  # a tab closes: a place frees up
            async with asyncio.timeout(10):
                while True:  # retry as a client would
                    await extra.send(join)
                    reply = await recv(extra)
                    if reply["type"] == "welcome":
                        break
                    assert reply["code"] == "room_full"
                    await asyncio.sleep(0.05)
            assert reply["conversation_id"] == cid
