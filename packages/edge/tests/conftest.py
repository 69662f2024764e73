"""A real local edge (`helpway dev` in a subprocess) on a free loopback port, and clients for it.

One edge serves the whole test session (the demo KB is seeded once); tests create their own
visitors and conversations, so they do not see each other. `edge.restart()` stops it and starts
it again on the same port and data folder.

`busy_site` writes a site with a crowded inbox straight into the edge's D1 file (real SQLite,
through the store, as the rooms' outbox would), so a test can hold a hundred conversations
without a hundred chats. `chromium` is Debian's Chromium, for the widget and console.
"""

from __future__ import annotations

import asyncio
import contextlib
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

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright
from websockets.asyncio.client import ClientConnection, connect

from helpway.edge.local.widget_build import build as build_widget
from helpway.shared import frames
from helpway.store import agents, conversations, sites, visitors
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

    def __init__(self, edge: LocalEdge, http: httpx.AsyncClient) -> None:
        self.edge = edge
        self.http = http

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


# ---------------------------------------------------------------- data written straight to D1


@dataclass(frozen=True)
class BusySite:
    site_id: str
    agent_email: str
    agent_password: str
    waiting: str  # the oldest conversation, and the only one waiting for a human
    others: list[str]  # newest activity first


async def _seed_busy_site(data: Path, site_id: str, others: int) -> BusySite:
    db = SqliteDatabase(data / "d1.sqlite3")
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

    def seed(site_id: str) -> BusySite:
        with ThreadPoolExecutor(1) as thread:
            return thread.submit(asyncio.run, _seed_busy_site(edge.data, site_id, 110)).result()

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
