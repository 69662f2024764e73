"""A real local edge (`helpway dev` in a subprocess) on a free loopback port, and clients for it.

One edge serves the whole test session (the demo KB is seeded once); tests create their own
visitors and conversations, so they do not see each other. `edge.restart()` stops it and starts
it again on the same port and data folder.

`api` is the contract fixture: each test that takes it runs twice, against the local edge
(`client`) and against the Worker (`worker_client`: the Cloudflare app, `make_worker_app`, over
the binding doubles with D1 on a SQLite file, its conversation and inbox objects driven as the
runtime drives them), so a route or refusal that differs between the two fails a test.

`busy_site` writes a site with a crowded inbox straight into the edge's D1 file (real SQLite,
through the store, as the rooms' outbox would), so a test can hold a hundred conversations
without a hundred chats. `chromium` is Debian's Chromium, for the widget and console.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright
from websockets.asyncio.client import ClientConnection, connect

from helpway.edge.cloudflare.app import cloudflare_knowledge, make_worker_app
from helpway.edge.cloudflare.conversation_object import ConversationObject
from helpway.edge.cloudflare.inbox_object import InboxObject
from helpway.edge.cloudflare.routing import ConversationSocket, InboxSocket, target
from helpway.edge.cloudflare.settings import CloudflareSettings
from helpway.edge.cloudflare.testing import (
    FakeAssets,
    FakeEnv,
    FakeLimiterNamespace,
    FakeNamespace,
    FakeRoomNamespace,
)
from helpway.edge.local import demo
from helpway.edge.local.widget_build import WIDGET_BUILD_DIR
from helpway.edge.local.widget_build import build as build_widget
from helpway.knowledge.cloudflare.testing import FakeVectorize, FakeWorkersAI, quote_first_passage
from helpway.knowledge.cloudflare.workers_ai import EMBEDDING_DIMS
from helpway.rooms.cloudflare.testing import FakeDurableObjectState, FakeWebSocket
from helpway.shared import frames
from helpway.store import agents, conversations, sites, visitors
from helpway.store.cloudflare.d1 import D1Database
from helpway.store.cloudflare.testing import FakeD1
from helpway.store.ids import now_ms
from helpway.store.migrate import apply_migrations
from helpway.store.sqlite import SqliteDatabase

ROOT = Path(__file__).resolve().parents[3]
HELPWAY = str(Path(sys.executable).with_name("helpway"))
START_TIMEOUT_S = 180
RECV_TIMEOUT_S = 10
CHROMIUM = os.environ.get("HELPWAY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
AGENT_PASSWORD = "correct horse battery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalEdge:
    def __init__(self, data: Path, port: int) -> None:
        self.data = data
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.ws_url = f"ws://127.0.0.1:{port}"
        self.log = data.parent / f"edge-{port}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.start_seconds = 0.0

    def start(self) -> None:
        env = {**os.environ, "PORT": str(self.port), "HELPWAY_DATA": str(self.data)}
        started = time.monotonic()
        with self.log.open("ab") as out:
            self.process = subprocess.Popen([HELPWAY, "dev"], env=env, stdout=out, stderr=out)
        while time.monotonic() - started < START_TIMEOUT_S:
            if self.process.poll() is not None:
                raise RuntimeError(f"edge exited early:\n{self.log.read_text()}")
            try:
                if httpx.get(self.url + "/", timeout=2).status_code == 200:
                    self.start_seconds = time.monotonic() - started
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"edge did not start:\n{self.log.read_text()}")

    def stop(self) -> int:
        """SIGTERM and wait: the graceful path `helpway dev` takes on Ctrl-C or `kill`."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture(scope="session")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEdge]:
    running = LocalEdge(tmp_path_factory.mktemp("edge") / "data", free_port())
    running.start()
    yield running
    running.stop()


# ---------------------------------------------------------------- the CLI


def run_helpway(data: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    """`uv run helpway ARGS` on the data folder `data`, as a developer runs it."""
    result = subprocess.run(
        ["uv", "run", "--frozen", "helpway", *args],
        cwd=ROOT,
        env={**os.environ, "HELPWAY_DATA": str(data)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (result.returncode == 0) == ok, result.stdout + result.stderr
    return result


@pytest.fixture(scope="session")
def helpway() -> Callable[..., subprocess.CompletedProcess[str]]:
    return run_helpway


# ---------------------------------------------------------------- clients


class Socket:
    """A websockets client speaking JSON frames, with timeouts so a missing frame fails fast."""

    def __init__(self, conn: ClientConnection) -> None:
        self.conn = conn

    async def send(self, frame: dict[str, Any] | str | bytes) -> None:
        await self.conn.send(frame if isinstance(frame, str | bytes) else json.dumps(frame))

    async def recv(self) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.conn.recv(), RECV_TIMEOUT_S)
        return dict(json.loads(raw))

    async def recv_until(
        self, kind: str, **fields: Any
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The first frame of type `kind` matching `fields`, and every frame before it."""
        before: list[dict[str, Any]] = []
        while True:
            frame = await self.recv()
            if frame["type"] == kind and all(frame.get(k) == v for k, v in fields.items()):
                return frame, before
            before.append(frame)

    async def drain(self, quiet_s: float) -> list[dict[str, Any]]:
        """Every frame until none has come for `quiet_s` seconds."""
        frames: list[dict[str, Any]] = []
        while True:
            try:
                raw = await asyncio.wait_for(self.conn.recv(), quiet_s)
            except TimeoutError:
                return frames
            frames.append(dict(json.loads(raw)))

    async def join(self, token: str, last_seq: int = 0) -> dict[str, Any]:
        await self.send({"type": "join", "v": 1, "token": token, "last_seq": last_seq})
        welcome = await self.recv()
        assert welcome["type"] == "welcome", welcome
        return welcome


class Client:
    """HTTP and WebSocket access to one edge, with the demo's visitor and agent flows."""

    kind = "local"

    def __init__(self, edge: LocalEdge, http: httpx.AsyncClient) -> None:
        self.edge = edge
        self.http = http

    @property
    def d1_path(self) -> Path:
        """The edge's D1 as a SQLite file, for tests that write to it directly."""
        return self.edge.data / "d1.sqlite3"

    @property
    def origin(self) -> str:
        """The edge's own origin (where the widget's frame and the console are served)."""
        return str(self.http.base_url).rstrip("/")

    def busy_site(self, site_id: str) -> BusySite:
        """`busy_site(site_id)` (below), in this edge's D1."""
        return busy_site_in(self.d1_path)(site_id)

    async def say(self, conversation_id: str, token: str, client_id: str, text: str) -> None:
        """The token's participant says `text` in the conversation; returns once D1 has it."""
        async with self.conversation(conversation_id, token) as sock:
            await sock.send({"type": "message.send", "client_id": client_id, "text": text})
            ack, _ = await sock.recv_until("ack", client_id=client_id)
        await self.history(conversation_id, token, ack["seq"])

    async def join_refusal(self, path: str, token: str) -> tuple[str, int | None]:
        """A socket of `path` joined with a token that must be refused: (error code, close
        code)."""
        async with self.socket(path) as sock:
            await sock.send({"type": "join", "v": 1, "token": token})
            code = (await sock.recv())["code"]
            await sock.conn.wait_closed()
            return code, sock.conn.close_code

    async def visitor(self, token: str | None = None, site_id: str = "demo") -> dict[str, Any]:
        body: dict[str, Any] = {"site_id": site_id}
        if token is not None:
            body["visitor_token"] = token
        response = await self.http.post("/api/visitor/session", json=body)
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def agent(self) -> dict[str, Any]:
        response = await self.http.post(
            "/api/agent/login",
            json={"email": "agent@demo.helpway.dev", "password": "helpway-demo"},
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def history(
        self, conversation_id: str, token: str, through_seq: int, **params: Any
    ) -> dict[str, Any]:
        """The conversation's history once D1 holds `through_seq`: the rooms' outbox copies
        entries to D1 asynchronously, so a read right after an ack may not see them yet."""
        deadline = time.monotonic() + RECV_TIMEOUT_S
        while True:
            response = await self.http.get(
                f"/api/conversations/{conversation_id}/history",
                params=params,
                headers={"authorization": f"Bearer {token}"},
            )
            assert response.status_code == 200, response.text
            body = dict(response.json())
            if body["last_seq"] >= through_seq or time.monotonic() > deadline:
                return body
            await asyncio.sleep(0.02)

    @contextlib.asynccontextmanager
    async def socket(self, path: str) -> AsyncIterator[Socket]:
        async with connect(self.edge.ws_url + path, open_timeout=RECV_TIMEOUT_S) as conn:
            yield Socket(conn)

    @contextlib.asynccontextmanager
    async def conversation(
        self, conversation_id: str, token: str, last_seq: int = 0
    ) -> AsyncIterator[Socket]:
        """A joined conversation socket (its `welcome` already read)."""
        async with self.socket(f"/ws/conversations/{conversation_id}") as sock:
            await sock.join(token, last_seq)
            yield sock


@pytest.fixture
async def client(edge: LocalEdge) -> AsyncIterator[Client]:
    async with httpx.AsyncClient(base_url=edge.url, timeout=30) as http:
        yield Client(edge, http)


# ---------------------------------------------------------------- the Worker, in process


class WorkerClock:
    """The Worker's objects' clock, shared by a deployment's objects (tests move it)."""

    def __init__(self) -> None:
        self.now = now_ms()

    def __call__(self) -> int:
        return self.now


async def worker_env(folder: Path, clock: WorkerClock) -> FakeEnv:
    """A seeded Cloudflare deployment's `env`: D1 (migrated, the demo site, agent and KB),
    Workers AI and Vectorize doubles, the sites' inbox hub objects and the rate limiters."""
    d1 = FakeD1(folder / "d1.sqlite")
    db = D1Database(d1)
    await apply_migrations(db)
    env = FakeEnv(
        d1,
        FakeWorkersAI(EMBEDDING_DIMS, reply=quote_first_passage),
        FakeVectorize(EMBEDDING_DIMS),
        assets=FakeAssets(WIDGET_BUILD_DIR),
        # The hashed-words stand-in for bge-m3 needs its own threshold.
        HELPWAY_ANSWER_MIN_SIMILARITY="0.3",
    )
    env.INBOX = FakeNamespace(lambda name: InboxObject(FakeDurableObjectState(), env, clock=clock))
    env.LIMITER = FakeLimiterNamespace(clock)
    env.ROOMS = FakeRoomNamespace(folder, lambda state: ConversationObject(state, env, clock=clock))
    await demo.seed(db, cloudflare_knowledge(db, env, CloudflareSettings.from_env(env)))
    return env


class WorkerClient(Client):
    """The same flows against the Worker: HTTP through its app, sockets through its objects
    (the Worker hands every upgrade to one before the app could see it)."""

    kind = "cloudflare"

    def __init__(
        self, env: FakeEnv, http: httpx.AsyncClient, folder: Path, clock: WorkerClock
    ) -> None:
        self.env = env
        self.http = http
        self.folder = folder
        self.clock = clock

    @property
    def d1_path(self) -> Path:
        return self.folder / "d1.sqlite"

    def room(self, conversation_id: str) -> tuple[FakeDurableObjectState, ConversationObject]:
        """The conversation's object (a new instance each time, as after hibernation), on the
        state the Worker's RPCs reach too."""
        ctx = self.env.ROOMS.state(conversation_id)
        return ctx, ConversationObject(ctx, self.env, clock=self.clock)

    async def say(self, conversation_id: str, token: str, client_id: str, text: str) -> None:
        ctx, room = self.room(conversation_id)
        ws = FakeWebSocket()
        room.accept(ws, conversation_id, None)
        await room.message(ws, json.dumps({"type": "join", "v": 1, "token": token}))
        send = {"type": "message.send", "client_id": client_id, "text": text}
        await room.message(ws, json.dumps(send))
        assert any(f["type"] == "ack" for f in ws.frames()), ws.frames()
        self.clock.now = max(self.clock.now, ctx.storage.take_alarm())
        await room.alarm()  # the outbox drains to D1
        await room.closed(ws)

    async def join_refusal(self, path: str, token: str) -> tuple[str, int | None]:
        url = urlsplit(path)
        where = target("GET", url.path, "websocket", url.query)
        ws = FakeWebSocket()
        join = json.dumps({"type": "join", "v": 1, "token": token})
        if isinstance(where, ConversationSocket):
            _, room = self.room(where.conversation_id)
            room.accept(ws, where.conversation_id, None)
            await room.message(ws, join)
        else:
            assert isinstance(where, InboxSocket) and where.site_id is not None, path
            hub = InboxObject(FakeDurableObjectState(), self.env, clock=self.clock)
            hub.accept(ws, where.site_id)
            await hub.message(ws, join)
        return ws.frames()[-1]["code"], ws.close_code


@pytest.fixture
async def worker_client(tmp_path: Path) -> AsyncIterator[WorkerClient]:
    clock = WorkerClock()
    env = await worker_env(tmp_path, clock)
    transport = httpx.ASGITransport(app=make_worker_app(env))
    async with httpx.AsyncClient(transport=transport, base_url="https://helpway.example") as http:
        yield WorkerClient(env, http, tmp_path, clock)
    env.DB.close()


@pytest.fixture(scope="session")
def seeded_worker_env() -> Callable[[Path, WorkerClock], Any]:
    """`worker_env`, for fixtures of a wider scope than a test."""
    return worker_env


@pytest.fixture(params=["local", "cloudflare"])
def api(request: pytest.FixtureRequest) -> Client:
    """The local edge's client, then the Worker's: the contract both must keep."""
    return request.getfixturevalue("client" if request.param == "local" else "worker_client")


# ---------------------------------------------------------------- data written straight to D1


@dataclass(frozen=True)
class BusySite:
    site_id: str
    agent_email: str
    agent_password: str
    waiting: str  # the oldest conversation, and the only one waiting for a human
    others: list[str]  # newest activity first


async def _seed_busy_site(d1_path: Path, site_id: str, others: int) -> BusySite:
    db = SqliteDatabase(d1_path)
    try:
        await sites.create_site(db, name=site_id, site_id=site_id)
        email = f"agent@{site_id}.example"
        agent = await agents.create_agent(db, email=email, name="Agent", password=AGENT_PASSWORD)
        await agents.add_agent_to_site(db, site_id, agent.id)
        waiting = await _conversation(db, site_id, at=1_000, waiting=True)
        made = [await _conversation(db, site_id, at=2_000 + i) for i in range(others)]
    finally:
        db.close()
    return BusySite(site_id, email, AGENT_PASSWORD, waiting, made[::-1])


async def _conversation(db: SqliteDatabase, site_id: str, at: int, waiting: bool = False) -> str:
    visitor, _ = await visitors.create_visitor(db, site_id)
    conversation = await conversations.create_conversation(db, site_id, visitor.id, now=1)
    author = visitor.author()
    entries: list[frames.Message | frames.Event] = [
        frames.Message(
            type="message", seq=1, id="m1", author=author, text=f"Hello at {at}", created_at=at
        )
    ]
    if waiting:
        entries.append(
            frames.Event(
                type="event",
                seq=2,
                id="e2",
                name="handoff.requested",
                author=author,
                status="waiting_human",
                created_at=at,
            )
        )
    await conversations.apply_entries(db, conversation.id, entries)
    return conversation.id


@pytest.fixture
def busy_site(edge: LocalEdge) -> Callable[[str], BusySite]:
    """`busy_site(site_id)`: a new site whose agent has one conversation waiting for a human,
    older than 110 others. Seeded on a thread of its own, so that it works from async tests and
    beside sync Playwright's loop alike."""
    return busy_site_in(edge.data / "d1.sqlite3")


def busy_site_in(d1_path: Path) -> Callable[[str], BusySite]:
    """`busy_site`, written into the D1 file at `d1_path` (the local edge's or the Worker's)."""

    def seed(site_id: str) -> BusySite:
        with ThreadPoolExecutor(1) as thread:
            return thread.submit(asyncio.run, _seed_busy_site(d1_path, site_id, 110)).result()

    return seed


# ---------------------------------------------------------------- Chromium


@pytest.fixture(scope="session")
def widget_built() -> None:
    """The edge serves the widget from its build folder: build it (what `make setup` does; the
    build rewrites only files that changed)."""
    build_widget()


@pytest.fixture
def chromium() -> Iterator[Browser]:
    """Function scope: sync Playwright runs a loop in this thread only while it is open."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


_own_sites = itertools.count()


@contextlib.asynccontextmanager
async def own_site(api: Any) -> AsyncIterator[tuple[str, dict[str, str]]]:
    """A new site of the demo agent's (its owner), and the agent's auth header; deleted after,
    so the demo agent's sites are as other tests expect them."""
    headers = {"authorization": f"Bearer {(await api.agent())['token']}"}
    name = f"Own {next(_own_sites)}"
    made = await api.http.post("/api/sites", json={"name": name}, headers=headers)
    assert made.status_code == 200, made.text
    try:
        yield made.json()["id"], headers
    finally:
        gone = await api.http.delete(f"/api/sites/{made.json()['id']}", headers=headers)
        assert gone.status_code == 200, gone.text
