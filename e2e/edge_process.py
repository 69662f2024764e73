"""A real local edge process on a free loopback port, with its own data folder, and the few
things tests do to it directly (the demo agent speaking, the log as D1 holds it)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import connect

START_TIMEOUT_S = 120
RECV_TIMEOUT_S = 15
AGENT = {"email": "agent@demo.helpway.dev", "password": "helpway-demo"}


@dataclass(frozen=True)
class Edge:
    url: str
    data: Path
    process: subprocess.Popen[bytes]
    log: Path

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run the `helpway` CLI against this edge's data folder."""
        return subprocess.run(
            [_helpway(), *args],
            env={**os.environ, "HELPWAY_DATA": str(self.data)},
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )


def add_agent(edge: Edge, who: tuple[str, str, str], role: str = "agent") -> None:
    """Make `who` (e-mail, password, name) an agent of the demo site, with the CLI."""
    email, password, name = who
    edge.cli(
        "agents", "create", "--site", "demo", "--role", role, "--email", email,
        "--name", name, "--password", password,
    )  # fmt: skip


def _helpway() -> str:
    return str(Path(sys.executable).with_name("helpway"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_edge(
    data: Path, port: int | None = None, *options: str, env: dict[str, str] | None = None
) -> Edge:
    """`helpway dev` on `data`; on `port` to bring an edge back where its clients look for it;
    `options` for the command (`--watch`); `env` adds to its environment."""
    port = port or _free_port()
    log = data.parent / f"edge-{port}.log"
    env = {**os.environ, **(env or {}), "PORT": str(port), "HELPWAY_DATA": str(data)}
    with log.open("ab") as out:
        process = subprocess.Popen([_helpway(), "dev", *options], env=env, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"edge exited early:\n{log.read_text()}")
        try:
            if httpx.get(url + "/", timeout=2).status_code == 200:
                return Edge(url=url, data=data, process=process, log=log)
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"edge did not start in {START_TIMEOUT_S}s:\n{log.read_text()}")


def stop_edge(edge: Edge) -> None:
    edge.process.terminate()
    try:
        edge.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        edge.process.kill()
        edge.process.wait()


class Edges:
    """The edges a test started, so every one of them is stopped, however the test ends."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.started: list[Edge] = []

    def start(self, port: int | None = None) -> Edge:
        edge = start_edge(self.data, port)
        self.started.append(edge)
        return edge


def agent_says(edge: Edge, conversation_id: str, client_id: str, text: str) -> dict:
    """The demo agent joins the conversation on `edge` and sends `text`; returns the ack."""
    login = httpx.post(edge.url + "/api/agent/login", json=AGENT, timeout=30)
    assert login.status_code == 200, login.text
    url = edge.url.replace("http://", "ws://") + "/ws/conversations/" + conversation_id
    with connect(url, open_timeout=RECV_TIMEOUT_S) as sock:
        join = {"type": "join", "v": 1, "token": login.json()["token"], "last_seq": 0}
        sock.send(json.dumps(join))
        send = {"type": "message.send", "client_id": client_id, "text": text}
        sock.send(json.dumps(send))
        while True:
            frame = json.loads(sock.recv(timeout=RECV_TIMEOUT_S))
            if frame["type"] == "ack" and frame["client_id"] == client_id:
                return dict(frame)
            assert frame["type"] != "error", frame


def room_log(edge: Edge, conversation_id: str, token: str, through_seq: int) -> list[dict]:
    """The conversation's entries as D1 holds them, once it holds `through_seq` (the rooms'
    outbox copies entries to D1 asynchronously)."""
    deadline = time.monotonic() + RECV_TIMEOUT_S
    with httpx.Client(base_url=edge.url, timeout=30) as http:
        while True:
            response = http.get(
                f"/api/conversations/{conversation_id}/history",
                headers={"authorization": f"Bearer {token}"},
            )
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            if body["last_seq"] >= through_seq or time.monotonic() > deadline:
                assert not body["more"]
                return list(body["entries"])
            time.sleep(0.05)
