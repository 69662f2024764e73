"""Visitor → agent delivery through the real local edge, beside a bare `websockets` broadcast
server doing the same fan-out, in the same run.

The shape (also printed as `shape` in the JSON): each size opens that many sockets over loopback,
`INBOX_CONSOLES` of them agents' inbox consoles of the site and the rest pairs, a visitor and an
agent in one conversation each (the agent has taken it over, so the assistant stays out of the
measurement): many small conversations, as a support site has, not one room with everybody in
it. Every message goes back to its sender's socket (each session's view is the log), to the
conversation's agent, and as an inbox update to every console. Each visitor connects from its
own 127/8 address, as visitors come from their own addresses, so the per-IP send limit does not
throttle the benchmark; the phases stay within each visitor's own limit (the figures report any
`rate_limited` refusal seen).

- latency: visitors send at a steady total rate (open loop); a message's latency runs from the
  visitor's send to the agent's socket receiving it, on the client's clock. p50/p99 in ms.
- throughput: every visitor sends a burst at once; delivered messages per second until the
  last one reaches its agent.
- memory: the server process's RSS after opening and joining every socket, minus before, per
  socket (for the edge that includes each conversation's live room and its storage connection).

The bare server (this file run with `--bare PORT`) parses each message, numbers it, acks the
sender, broadcasts it to the conversation's sockets and a summary of it to the consoles: the
same fan-out, minus authentication, validation, durable storage and the D1 outbox. Our figures
over its figures are the ratios to watch. Servers run one at a time as their own process; the
clients share a process (and, on a 2-core machine, the cores) with nothing else of ours.

The edge runs twice per size: as it ships (`edge`: each group commit synced to the disk,
`synchronous=FULL`, before its acks, so an ack survives a power cut) and with
`HELPWAY_ROOM_SYNC=normal` (`edge_sync_normal`: WAL with `synchronous=NORMAL`, an ack survives
the edge being killed but not a power cut). One disk sync is the floor of the first row's
latency; the second shows what the rest of the path costs.

Soak: `HELPWAY_SOAK_SECONDS=600 uv run python bench/run.py --only rooms_delivery` runs only the
soak against the edge instead: 1,000 sockets, 200 messages/s for that long, the edge's RSS
sampled every 10 s, and a flat-memory verdict over the samples after the first three minutes.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosedError

from helpway.shared import limits

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "e2e"))
from edge_process import Edge, start_edge, stop_edge  # noqa: E402

AGENT = {"email": "agent@demo.helpway.dev", "password": "helpway-demo"}
SIZES = (100, 1000)
QUICK_SIZES = (100,)
# Open-loop latency phase: at most this many messages a second in total, and at most this
# many per visitor (below the per-visitor refill of 1/s).
LATENCY_RATE = 200.0
PER_VISITOR_RATE = 0.8
LATENCY_SECONDS = 10.0
QUICK_LATENCY_SECONDS = 3.0
# Throughput phase: messages each visitor sends at once (within the per-visitor burst of 30).
BURST_PER_VISITOR = {100: 20, 1000: 10}
CONNECT_CONCURRENCY = 50
# Agents' inbox consoles of the site, among each size's sockets: every message is also an inbox
# update to each of them.
INBOX_CONSOLES = 2
SETTLE_TIMEOUT_S = 60.0
SOAK_SOCKETS = 1000
SOAK_RATE = 200.0
SOAK_SAMPLE_S = 10.0
# Per-room bounded state (receipt window, page cache) fills over the first minutes at 0.4
# messages a second per conversation; memory must be flat after that.
SOAK_WARMUP_S = 180.0


# ---------------------------------------------------------------- the two servers


@dataclass
class Target:
    """A server under test: where it listens, its process, and how a pair joins it."""

    name: str
    ws_url: str
    pid: int
    # Returns, for pair `n`, the socket path and the visitor's and the agent's join frames.
    join_frames: Callable[[int], Awaitable[tuple[str, dict[str, Any], dict[str, Any]]]]
    # The inbox console's socket path and join frame.
    console: tuple[str, dict[str, Any]]
    takes_over: bool  # the agent must write first (the edge: so the assistant stays off)


async def edge_target(edge: Edge, pairs: int) -> Target:
    async with httpx.AsyncClient(base_url=edge.url, timeout=60) as http:
        login = await http.post("/api/agent/login", json=AGENT)
        agent_token = login.json()["token"]
        semaphore = asyncio.Semaphore(20)

        async def new_visitor() -> dict[str, Any]:
            async with semaphore:
                response = await http.post("/api/visitor/session", json={"site_id": "demo"})
                return dict(response.json())

        visitors = await asyncio.gather(*(new_visitor() for _ in range(pairs)))

    async def join_frames(n: int) -> tuple[str, dict[str, Any], dict[str, Any]]:
        visitor = visitors[n]
        path = f"/ws/conversations/{visitor['conversation_id']}"
        join = {"type": "join", "v": 1, "last_seq": 0}
        return path, {**join, "token": visitor["visitor_token"]}, {**join, "token": agent_token}

    ws_url = edge.url.replace("http://", "ws://")
    console = ("/ws/inbox?site_id=demo", {"type": "join", "v": 1, "token": agent_token})
    return Target("edge", ws_url, edge.process.pid, join_frames, console, takes_over=True)


def start_bare(port: int) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, __file__, "--bare", str(port)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    if process.stdout.readline().strip() != "ready":
        process.kill()
        raise RuntimeError("the bare server did not start")
    return process


def bare_target(process: subprocess.Popen[str], port: int) -> Target:
    async def join_frames(n: int) -> tuple[str, dict[str, Any], dict[str, Any]]:
        join = {"type": "join", "group": str(n)}
        return "/", join, join

    console = ("/", {"type": "join", "group": INBOX})
    url = f"ws://127.0.0.1:{port}"
    return Target("bare", url, process.pid, join_frames, console, takes_over=False)


INBOX = "inbox"


async def bare_server(port: int) -> None:
    """The baseline: parse, number, ack, broadcast to the group and a summary to the consoles.
    Nothing stored or checked."""
    from websockets.asyncio.server import ServerConnection, broadcast, serve

    groups: dict[str, set[ServerConnection]] = {}
    seqs: Counter[str] = Counter()

    async def handler(ws: ServerConnection) -> None:
        group = json.loads(await ws.recv())["group"]
        members = groups.setdefault(group, set())
        members.add(ws)
        consoles = groups.setdefault(INBOX, set())
        await ws.send('{"type":"welcome"}')
        try:
            async for raw in ws:
                frame = json.loads(raw)
                if frame.get("type") != "message.send":
                    continue
                seqs[group] += 1
                seq = seqs[group]
                ack = {"type": "ack", "client_id": frame["client_id"], "seq": seq}
                await ws.send(json.dumps(ack, separators=(",", ":")))
                message = {
                    "type": "message",
                    "seq": seq,
                    "client_id": frame["client_id"],
                    "text": frame["text"],
                }
                broadcast(members, json.dumps(message, separators=(",", ":")))
                summary = {"id": group, "last_seq": seq, "last_text": frame["text"]}
                update = {"type": "inbox.update", "conversation": summary}
                broadcast(consoles, json.dumps(update, separators=(",", ":")))
        finally:
            members.discard(ws)

    async with serve(handler, "127.0.0.1", port, max_size=256 * 1024):
        print("ready", flush=True)
        await asyncio.Future()


# ---------------------------------------------------------------- clients


@dataclass
class Probe:
    """What the clients saw: send times by client id, latencies, refusals."""

    sent_at: dict[str, float] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    delivered: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    last_delivery: float = 0.0
    inbox_updates: int = 0

    def expect(self, client_id: str) -> None:
        self.sent_at[client_id] = time.perf_counter()

    def reset(self) -> None:
        self.latencies_ms.clear()
        self.delivered = 0
        self.inbox_updates = 0


@dataclass
class Pair:
    index: int
    visitor: ClientConnection
    agent: ClientConnection
    sent: int = 0


async def _agent_reader(conn: ClientConnection, probe: Probe) -> None:
    async for raw in conn:
        if '"type":"message"' not in raw:
            continue
        client_id = json.loads(raw).get("client_id")
        started = probe.sent_at.pop(client_id, None)
        if started is not None:
            now = time.perf_counter()
            probe.latencies_ms.append((now - started) * 1000)
            probe.delivered += 1
            probe.last_delivery = now


async def _console_reader(conn: ClientConnection, probe: Probe) -> None:
    try:
        async for raw in conn:
            if '"type":"inbox.update"' in raw:
                probe.inbox_updates += 1
    except ConnectionClosedError as exc:  # the edge drops a console that cannot keep up
        probe.errors[f"console_closed_{exc.code}"] += 1


async def _visitor_reader(conn: ClientConnection, probe: Probe) -> None:
    async for raw in conn:
        if str(raw).startswith('{"type":"error"'):
            probe.errors[json.loads(raw)["code"]] += 1


def _source_ip(n: int) -> str:
    """A distinct loopback address per visitor: 127.1.x.y."""
    return f"127.1.{n // 250}.{n % 250 + 1}"


async def _open(target: Target, n: int, probe: Probe, readers: list[asyncio.Task[None]]) -> Pair:
    path, visitor_join, agent_join = await target.join_frames(n)
    url = target.ws_url + path
    agent = await connect(url, max_size=None, open_timeout=60)
    await agent.send(json.dumps(agent_join))
    await agent.recv()  # welcome
    if target.takes_over:
        await agent.send(json.dumps({"type": "message.send", "client_id": "t", "text": "Hi!"}))
        while '"type":"ack"' not in str(await agent.recv()):
            pass
    source_ip = _source_ip(n)
    visitor = await connect(url, max_size=None, open_timeout=60, local_addr=(source_ip, 0))
    await visitor.send(json.dumps(visitor_join))
    await visitor.recv()  # welcome
    readers.append(asyncio.create_task(_agent_reader(agent, probe)))
    readers.append(asyncio.create_task(_visitor_reader(visitor, probe)))
    return Pair(n, visitor, agent)


async def _send(pair: Pair, probe: Probe, tag: str) -> None:
    client_id = f"{tag}{pair.index}-{pair.sent}"
    pair.sent += 1
    probe.expect(client_id)
    frame = {"type": "message.send", "client_id": client_id, "text": f"message {client_id}"}
    await pair.visitor.send(json.dumps(frame))


async def _settle(probe: Probe) -> int:
    """Wait for every message sent to be delivered; returns how many never were."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while probe.sent_at and time.monotonic() < deadline:  # noqa: ASYNC110 - readers update it
        await asyncio.sleep(0.05)
    lost = len(probe.sent_at)
    probe.sent_at.clear()
    return lost


async def _paced(pairs: list[Pair], probe: Probe, rate: float, seconds: float, tag: str) -> None:
    """Open loop: message k goes at start + k/rate, round-robin over the visitors."""
    start = time.perf_counter()
    total = int(rate * seconds)
    for k in range(total):
        delay = start + k / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await _send(pairs[k % len(pairs)], probe, tag)


def _percentiles(values: list[float]) -> dict[str, float]:
    if len(values) < 2:
        return {"p50_ms": float("nan"), "p99_ms": float("nan")}
    cuts = statistics.quantiles(values, n=100)
    return {"p50_ms": round(cuts[49], 2), "p99_ms": round(cuts[98], 2)}


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no RSS for process {pid}")


def pairs_for(sockets: int) -> int:
    return (sockets - INBOX_CONSOLES) // 2


def shape(sockets: int) -> dict[str, Any]:
    """What "`sockets` open sockets" means here, for the JSON."""
    pairs = pairs_for(sockets)
    return {
        "conversations": pairs,
        "sockets_per_conversation": "1 visitor + 1 agent",
        "inbox_consoles": INBOX_CONSOLES,
        "fan_out_per_message": "ack + echo to the sender, the agent, an inbox update per console",
    }


@dataclass
class Clients:
    pairs: list[Pair]
    consoles: list[ClientConnection]
    readers: list[asyncio.Task[None]]

    def sockets(self) -> list[ClientConnection]:
        return [c for p in self.pairs for c in (p.visitor, p.agent)] + self.consoles


async def _connect_all(target: Target, sockets: int, probe: Probe) -> Clients:
    readers: list[asyncio.Task[None]] = []
    semaphore = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def open_one(n: int) -> Pair:
        async with semaphore:
            return await _open(target, n, probe, readers)

    consoles = []
    path, join = target.console
    for _ in range(INBOX_CONSOLES):
        console = await connect(target.ws_url + path, max_size=None, open_timeout=60)
        await console.send(json.dumps(join))
        consoles.append(console)
        readers.append(asyncio.create_task(_console_reader(console, probe)))
    pairs = list(await asyncio.gather(*(open_one(n) for n in range(pairs_for(sockets)))))
    clients = Clients(pairs, consoles, readers)
    readers.append(asyncio.create_task(_heartbeat(clients)))
    return clients


async def _heartbeat(clients: Clients) -> None:
    """Ping every socket as the widget and console do; the edge drops silent ones."""
    while True:
        await asyncio.sleep(limits.HEARTBEAT_INTERVAL_S)
        for conn in clients.sockets():
            await conn.send('{"type":"ping"}')


async def _close_all(clients: Clients) -> None:
    clients.readers[-1].cancel()  # the heartbeat
    await asyncio.gather(*(c.close() for c in clients.sockets()), return_exceptions=True)
    await asyncio.gather(*clients.readers, return_exceptions=True)


async def measure(target: Target, sockets: int, latency_s: float) -> dict[str, Any]:
    probe = Probe()
    rss_before = rss_bytes(target.pid)
    clients = await _connect_all(target, sockets, probe)
    pairs = clients.pairs
    await asyncio.sleep(1)
    rss_open = rss_bytes(target.pid)

    rate = min(LATENCY_RATE, PER_VISITOR_RATE * len(pairs))
    await _paced(pairs, probe, rate, latency_s, "l")
    lost = await _settle(probe)
    latency = {**_percentiles(probe.latencies_ms), "rate_msgs_per_s": rate}
    latency["delivered"], latency["lost"] = probe.delivered, lost
    latency["inbox_updates"] = probe.inbox_updates

    probe.reset()
    burst = BURST_PER_VISITOR.get(sockets, 10)
    started = time.perf_counter()
    for _ in range(burst):
        for pair in pairs:
            await _send(pair, probe, "b")
    lost_burst = await _settle(probe)
    elapsed = max(probe.last_delivery - started, 1e-9)
    throughput = {
        "messages": probe.delivered,
        "msgs_per_s": round(probe.delivered / elapsed, 1),
        "lost": lost_burst,
        "inbox_updates": probe.inbox_updates,
        **_percentiles(probe.latencies_ms),
    }
    await _close_all(clients)
    return {
        "latency": latency,
        "throughput": throughput,
        "rss_per_socket_kib": round((rss_open - rss_before) / sockets / 1024, 1),
        "rss_mib": round(rss_open / 2**20, 1),
        "refusals": dict(probe.errors),
    }


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _with_edge(
    work: Callable[[Edge], Awaitable[dict[str, Any]]], room_sync: str = "full"
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="helpway-bench-") as folder:
        edge = start_edge(Path(folder) / "data", env={"HELPWAY_ROOM_SYNC": room_sync})
        try:
            return asyncio.run(work(edge))
        finally:
            stop_edge(edge)


def _size(sockets: int, latency_s: float) -> dict[str, Any]:
    async def on_edge(edge: Edge) -> dict[str, Any]:
        return await measure(await edge_target(edge, pairs_for(sockets)), sockets, latency_s)

    ours = _with_edge(on_edge)
    ours_normal = _with_edge(on_edge, room_sync="normal")
    port = _free_port()
    bare_process = start_bare(port)
    try:
        bare = asyncio.run(measure(bare_target(bare_process, port), sockets, latency_s))
    finally:
        bare_process.kill()
        bare_process.wait()
    return {
        "shape": shape(sockets),
        "edge": ours,
        "edge_sync_normal": ours_normal,
        "bare_websockets": bare,
        "ratio": _ratios(ours, bare),
        "ratio_sync_normal": _ratios(ours_normal, bare),
    }


def _ratios(ours: dict[str, Any], bare: dict[str, Any]) -> dict[str, float]:
    return {
        "throughput": _ratio(ours["throughput"]["msgs_per_s"], bare["throughput"]["msgs_per_s"]),
        "latency_p99": _ratio(ours["latency"]["p99_ms"], bare["latency"]["p99_ms"]),
        "rss_per_socket": _ratio(ours["rss_per_socket_kib"], bare["rss_per_socket_kib"]),
    }


def _ratio(ours: float, theirs: float) -> float:
    return round(ours / theirs, 3) if theirs else float("nan")


# ---------------------------------------------------------------- soak


async def soak(edge: Edge, seconds: float) -> dict[str, Any]:
    target = await edge_target(edge, pairs_for(SOAK_SOCKETS))
    probe = Probe()
    clients = await _connect_all(target, SOAK_SOCKETS, probe)
    pairs = clients.pairs
    samples: list[dict[str, Any]] = []
    started = time.perf_counter()
    sender = asyncio.create_task(_paced(pairs, probe, SOAK_RATE, seconds, "s"))
    while not sender.done():
        await asyncio.wait({sender}, timeout=SOAK_SAMPLE_S)
        window = list(probe.latencies_ms)
        probe.latencies_ms.clear()
        samples.append(
            {
                "t_s": round(time.perf_counter() - started),
                "rss_mib": round(rss_bytes(target.pid) / 2**20, 1),
                "delivered": probe.delivered,
                **_percentiles(window),
            }
        )
    await sender
    lost = await _settle(probe)
    await _close_all(clients)
    return {
        "sockets": SOAK_SOCKETS,
        "shape": shape(SOAK_SOCKETS),
        "rate_msgs_per_s": SOAK_RATE,
        "seconds": seconds,
        "delivered": probe.delivered,
        "lost": lost,
        "refusals": dict(probe.errors),
        "memory": flat_memory(samples),
        "samples": samples,
    }


def flat_memory(samples: list[dict[str, Any]]) -> dict[str, Any]:
    """Growth after warm-up: the least-squares slope of RSS over time, and a verdict (flat if
    the fitted growth over the run is under 10 MiB or 5% of the starting RSS)."""
    steady = [s for s in samples if s["t_s"] >= SOAK_WARMUP_S] or samples
    if len(steady) < 3:
        return {"flat": None, "reason": "too few samples after warm-up"}
    times = [s["t_s"] / 60 for s in steady]
    rss = [s["rss_mib"] for s in steady]
    slope = statistics.linear_regression(times, rss).slope
    growth = slope * (times[-1] - times[0])
    return {
        "slope_mib_per_min": round(slope, 3),
        "fitted_growth_mib": round(growth, 1),
        "start_mib": rss[0],
        "end_mib": rss[-1],
        "flat": growth < max(10.0, 0.05 * rss[0]),
    }


# ---------------------------------------------------------------- entry points


def run(quick: bool) -> dict[str, Any]:
    soak_seconds = float(os.environ.get("HELPWAY_SOAK_SECONDS", "0") or 0)
    if soak_seconds > 0:
        return {"soak": _with_edge(lambda edge: soak(edge, soak_seconds))}
    latency_s = QUICK_LATENCY_SECONDS if quick else LATENCY_SECONDS
    results: dict[str, Any] = {"cores": os.cpu_count()}
    for sockets in QUICK_SIZES if quick else SIZES:
        results[f"sockets_{sockets}"] = _size(sockets, latency_s)
    return results


if __name__ == "__main__" and sys.argv[1:2] == ["--bare"]:
    asyncio.run(bare_server(int(sys.argv[2])))
