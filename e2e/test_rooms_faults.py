"""Rooms under faults, against real local edge processes over loopback.

- kill -9 mid-conversation, restart on the same data folder, resume: every acked message is
  there exactly once, resends of the unacked ones are deduplicated, and D1 catches up — with
  rooms committing `synchronous=FULL` (the default) and `HELPWAY_ROOM_SYNC=normal` alike;
- sockets dropped between a send and its ack: resending the same client id stores one message;
- a hundred reconnects in a row while another participant writes: every resume continues
  exactly after the last entry the client had, so its view is the room's log;
- D1 refusing writes for a while (a real lock held on its SQLite file): the room keeps acking
  from its own storage, and once D1 is writable again it converges with nothing lost.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from edge_process import Edge, start_edge, stop_edge
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

RECV_TIMEOUT_S = 15
AGENT = {"email": "agent@demo.helpway.dev", "password": "helpway-demo"}
Frame = dict[str, Any]


@pytest.fixture
def fresh_edge(tmp_path: Path) -> Iterator[Edge]:
    """An edge of the test's own: these tests kill it or lock its database."""
    running = start_edge(tmp_path / "data")
    yield running
    if running.process.poll() is None:
        stop_edge(running)


class Chat:
    """One edge's HTTP API and its conversation sockets, as the widget and console use them."""

    def __init__(self, edge: Edge) -> None:
        self.edge = edge
        self.ws_url = edge.url.replace("http://", "ws://")

    async def visitor(self) -> Frame:
        async with httpx.AsyncClient(base_url=self.edge.url, timeout=30) as http:
            response = await http.post("/api/visitor/session", json={"site_id": "demo"})
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def agent_token(self) -> str:
        async with httpx.AsyncClient(base_url=self.edge.url, timeout=30) as http:
            response = await http.post("/api/agent/login", json=AGENT)
        assert response.status_code == 200, response.text
        return str(response.json()["token"])

    async def d1_history(self, conversation_id: str, token: str) -> list[Frame]:
        """Every entry D1 holds for the conversation (the REST history reads D1)."""
        entries: list[Frame] = []
        async with httpx.AsyncClient(base_url=self.edge.url, timeout=30) as http:
            while True:
                response = await http.get(
                    f"/api/conversations/{conversation_id}/history",
                    params={"after_seq": entries[-1]["seq"] if entries else 0},
                    headers={"authorization": f"Bearer {token}"},
                )
                assert response.status_code == 200, response.text
                body = response.json()
                entries += body["entries"]
                if not body["more"]:
                    return entries

    async def d1_converged(self, conversation_id: str, token: str, head: int) -> list[Frame]:
        """D1's copy once it holds `head` entries (the outbox copies asynchronously)."""
        deadline = time.monotonic() + RECV_TIMEOUT_S
        while True:
            entries = await self.d1_history(conversation_id, token)
            if len(entries) >= head or time.monotonic() > deadline:
                return entries
            await asyncio.sleep(0.05)

    @asynccontextmanager
    async def joined(
        self, conversation_id: str, token: str, last_seq: int = 0
    ) -> AsyncIterator[Socket]:
        async with connect(
            f"{self.ws_url}/ws/conversations/{conversation_id}", open_timeout=RECV_TIMEOUT_S
        ) as conn:
            sock = Socket(conn)
            await sock.send({"type": "join", "v": 1, "token": token, "last_seq": last_seq})
            sock.welcome = await sock.recv()
            assert sock.welcome["type"] == "welcome", sock.welcome
            yield sock


class Socket:
    def __init__(self, conn: ClientConnection) -> None:
        self.conn = conn
        self.welcome: Frame = {}

    async def send(self, frame: Frame) -> None:
        await self.conn.send(json.dumps(frame))

    async def recv(self, timeout_s: float = RECV_TIMEOUT_S) -> Frame:
        return dict(json.loads(await asyncio.wait_for(self.conn.recv(), timeout_s)))

    async def until(self, kind: str, **fields: Any) -> tuple[Frame, list[Frame]]:
        """The first frame of type `kind` matching `fields`, and every frame before it."""
        before: list[Frame] = []
        while True:
            frame = await self.recv()
            if frame["type"] == kind and all(frame.get(k) == v for k, v in fields.items()):
                return frame, before
            before.append(frame)

    def abort(self) -> None:
        """Drop the TCP connection without a closing handshake, as a lost network does."""
        self.conn.transport.abort()


def send(client_id: str, text: str) -> Frame:
    return {"type": "message.send", "client_id": client_id, "text": text}


def entries_of(frames: list[Frame]) -> list[Frame]:
    return [f for f in frames if f["type"] in ("message", "event")]


def assert_is_the_log(entries: list[Frame]) -> None:
    """Seqs 1..n without gaps, and every client id at most once."""
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    client_ids = [e["client_id"] for e in entries if e.get("client_id")]
    assert len(client_ids) == len(set(client_ids))


async def human_conversation(chat: Chat) -> tuple[Frame, str, int]:
    """A visitor's conversation an agent has taken over (so no assistant answers run);
    returns the visitor session, the agent token and the seq of the agent's greeting."""
    visitor, agent = await chat.visitor(), await chat.agent_token()
    async with chat.joined(visitor["conversation_id"], agent) as a:
        await a.send(send("hello", "Hello, I'm here."))
        ack, _ = await a.until("ack", client_id="hello")
    return visitor, agent, int(ack["seq"])


@pytest.fixture(params=["full", "normal"])
def room_sync(request: pytest.FixtureRequest) -> dict[str, str]:
    """The environment of an edge whose rooms commit in each `HELPWAY_ROOM_SYNC` mode."""
    return {"HELPWAY_ROOM_SYNC": request.param}


@pytest.fixture
def sync_edge(tmp_path: Path, room_sync: dict[str, str]) -> Iterator[Edge]:
    running = start_edge(tmp_path / "data", env=room_sync)
    yield running
    if running.process.poll() is None:
        stop_edge(running)


async def test_kill_9_loses_no_acked_message(sync_edge: Edge, room_sync: dict[str, str]) -> None:
    fresh_edge = sync_edge
    chat = Chat(fresh_edge)
    visitor, agent, head = await human_conversation(chat)
    cid, token = visitor["conversation_id"], visitor["visitor_token"]
    sent = [f"k{n}" for n in range(150)]
    acked: dict[str, int] = {}
    # The agent writes (agents are not rate limited, so 150 can be in flight at once).
    async with chat.joined(cid, agent, last_seq=head) as a:
        for client_id in sent:  # pipelined, so sends are in flight when the process dies
            await a.send(send(client_id, f"before the crash {client_id}"))
        while len(acked) < 20:
            frame = await a.recv()
            if frame["type"] == "ack":
                acked[frame["client_id"]] = frame["seq"]
        fresh_edge.process.kill()  # SIGKILL: no shutdown, no flush
        fresh_edge.process.wait()
        try:
            while True:
                frame = await a.recv(timeout_s=2)
                if frame["type"] == "ack":
                    acked[frame["client_id"]] = frame["seq"]
        except (ConnectionClosed, TimeoutError):
            pass  # the connection is gone

    restarted = start_edge(fresh_edge.data, env=room_sync)
    try:
        chat = Chat(restarted)
        async with chat.joined(cid, token) as v:
            stored_head = v.welcome["last_seq"]
            log = [await v.recv() for _ in range(stored_head)]
            assert_is_the_log(log)
            by_client_id = {e["client_id"]: e["seq"] for e in log if e.get("client_id")}
            for client_id, seq in acked.items():
                assert by_client_id[client_id] == seq  # acked → stored, with the acked seq
        # The console resends whatever it has no ack for: each is stored once, in order.
        unacked = [client_id for client_id in sent if client_id not in acked]
        async with chat.joined(cid, agent, last_seq=stored_head) as a:
            for client_id in unacked:
                await a.send(send(client_id, f"before the crash {client_id}"))
            for client_id in unacked:
                ack, _ = await a.until("ack", client_id=client_id)
                acked[client_id] = ack["seq"]
        async with chat.joined(cid, token) as v:
            log = [await v.recv() for _ in range(v.welcome["last_seq"])]
        assert_is_the_log(log)
        messages = [e for e in log if e.get("client_id") in acked]
        assert [m["client_id"] for m in messages] == sent  # each once, in the order sent
        assert {m["client_id"]: m["seq"] for m in messages} == acked
        # What the dead process had stored but not yet copied to D1 is copied after restart.
        assert await chat.d1_converged(cid, token, len(log)) == log
    finally:
        stop_edge(restarted)


async def test_sockets_dropped_between_send_and_ack_store_one_message(fresh_edge: Edge) -> None:
    chat = Chat(fresh_edge)
    visitor, _, head = await human_conversation(chat)
    cid, token = visitor["conversation_id"], visitor["visitor_token"]
    rounds = 20
    acked: dict[str, int] = {}
    for n in range(rounds):
        client_id = f"drop{n}"
        async with chat.joined(cid, token, last_seq=head) as v:
            await v.send(send(client_id, f"dropped {n}"))
            if n % 2:
                await asyncio.sleep(0.005)  # sometimes the room gets it first, sometimes not
            v.abort()
        async with chat.joined(cid, token, last_seq=head) as v:
            await v.send(send(client_id, f"dropped {n}"))  # the widget resends: no ack yet
            ack, _ = await v.until("ack", client_id=client_id)
            acked[client_id] = head = ack["seq"]
    async with chat.joined(cid, token) as v:
        log = [await v.recv() for _ in range(v.welcome["last_seq"])]
    assert_is_the_log(log)
    ours = {e["client_id"]: e["seq"] for e in log if e.get("client_id", "").startswith("drop")}
    assert ours == acked
    assert list(ours) == [f"drop{n}" for n in range(rounds)]
    assert await chat.d1_converged(cid, token, len(log)) == log


async def test_a_hundred_reconnects_in_a_row_lose_and_repeat_nothing(fresh_edge: Edge) -> None:
    chat = Chat(fresh_edge)
    visitor, agent, head = await human_conversation(chat)
    cid, token = visitor["conversation_id"], visitor["visitor_token"]
    writing = True

    async def agent_writes() -> int:
        """The agent keeps writing from one steady socket while the visitor reconnects."""
        count = 0
        async with chat.joined(cid, agent, last_seq=head) as a:
            while writing:
                await a.send(send(f"a{count}", f"agent line {count}"))
                await a.until("ack", client_id=f"a{count}")
                count += 1
        return count

    writer = asyncio.create_task(agent_writes())
    view: list[Frame] = []
    mine: list[str] = []
    for n in range(100):
        async with chat.joined(cid, token, last_seq=len(view)) as v:
            if n % 10 == 0:  # now and then the visitor writes too, resending its last one
                mine.append(f"v{n}")
                await v.send(send(f"v{n}", f"visitor line {n}"))
            if mine:
                await v.send(send(mine[-1], f"visitor line {mine[-1][1:]}"))
            for frame in entries_of(await read_for(v, 0.01 * (n % 4))):
                assert frame["seq"] == len(view) + 1, (n, frame["seq"], len(view))
                view.append(frame)
            if n % 3 == 0:
                v.abort()
    writing = False
    agent_count = await writer
    async with chat.joined(cid, token, last_seq=len(view)) as v:
        missed = v.welcome["last_seq"] - len(view)
        view += [await v.recv() for _ in range(missed)]
    assert_is_the_log(view)
    texts = [e.get("text") for e in view]
    assert [t for t in texts if t and t.startswith("agent line")] == [
        f"agent line {n}" for n in range(agent_count)
    ]
    assert [e["client_id"] for e in view if e.get("client_id", "").startswith("v")] == mine
    assert await chat.d1_converged(cid, token, len(view)) == view


async def read_for(sock: Socket, seconds: float) -> list[Frame]:
    """Whatever arrives within `seconds` (at least what is already there)."""
    frames: list[Frame] = []
    deadline = time.monotonic() + seconds
    while True:
        try:
            frames.append(await sock.recv(timeout_s=max(deadline - time.monotonic(), 0.001)))
        except TimeoutError:
            return frames


async def test_d1_refusing_writes_loses_nothing_and_converges(fresh_edge: Edge) -> None:
    chat = Chat(fresh_edge)
    visitor, agent, head = await human_conversation(chat)
    cid, token = visitor["conversation_id"], visitor["visitor_token"]
    names = itertools.count()
    acks: list[Frame] = []
    # D1 gets the greeting asynchronously: it holds it before the lock is taken.
    assert len(await chat.d1_converged(cid, token, head)) == head
    with locked_for_writes(fresh_edge.data / "d1.sqlite3"):
        async with chat.joined(cid, token, last_seq=head) as v, chat.joined(cid, agent) as a:
            for sock in (v, a) * 5:
                client_id = f"d{next(names)}"
                await sock.send(send(client_id, f"while D1 is locked {client_id}"))
            for n, sock in enumerate((v, a) * 5):
                ack, _ = await sock.until("ack", client_id=f"d{n}")
                acks.append(ack)
        # The lock outlives D1's busy timeout, so at least one publish really failed.
        await wait_for_log(fresh_edge, "publish failed")
        assert len(await chat.d1_history(cid, token)) == head  # nothing reached D1 yet
    async with chat.joined(cid, token) as v:
        log = [await v.recv() for _ in range(v.welcome["last_seq"])]
    assert_is_the_log(log)
    # Each ack names its stored entry; two sockets' frames have no order between them.
    stored = {e["client_id"]: e["seq"] for e in log if e.get("client_id", "").startswith("d")}
    assert stored == {ack["client_id"]: ack["seq"] for ack in acks}
    assert await chat.d1_converged(cid, token, len(log)) == log


class locked_for_writes:
    """Hold SQLite's write lock on a database from another connection (as a long migration or
    a stuck writer would): readers carry on, writers get `database is locked`."""

    def __init__(self, path: Path) -> None:
        self._conn = sqlite3.connect(path, isolation_level=None)

    def __enter__(self) -> None:
        self._conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, *exc: object) -> None:
        self._conn.execute("ROLLBACK")
        self._conn.close()


async def wait_for_log(edge: Edge, text: str) -> None:
    deadline = time.monotonic() + 30
    while text not in edge.log.read_text():
        assert time.monotonic() < deadline, f"{text!r} never appeared in {edge.log}"
        await asyncio.sleep(0.1)
