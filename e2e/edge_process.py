"""A real local edge process on a free loopback port, with its own data folder."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

START_TIMEOUT_S = 120


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


def _helpway() -> str:
    return str(Path(sys.executable).with_name("helpway"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_edge(data: Path, port: int | None = None, *options: str) -> Edge:
    """`helpway dev` on `data`; on `port` to bring an edge back where its clients look for it;
    `options` for the command (`--watch`)."""
    port = port or _free_port()
    log = data.parent / f"edge-{port}.log"
    env = {**os.environ, "PORT": str(port), "HELPWAY_DATA": str(data)}
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
