"""Visitor send → the message visible in agents' consoles, with 1, 10 and 50 consoles open on one
site of a real local edge.

Per row, `CONVERSATIONS` visitors each hold a conversation an agent has taken over (so the
assistant stays out of the measurement and the inbox row ends with the visitor's words). The
visitors send at a steady total rate (open loop, round-robin, each from its own 127/8 address
and well inside the per-visitor send limit); a message's latency runs from just before the
visitor's `message.send` goes out on its conversation socket to the message being visible in a
console. The path measured is the console's live inbox: room → outbox → D1 → inbox hub →
`inbox.update` → the console's list.

Every row has one real console: Debian Chromium running the console app (MicroPython), signed
in as the demo agent with one conversation open. "Visible" there is the DOM: a MutationObserver
stamps `Date.now()` when a node holding the message's text is added to the inbox list
(`chromium_inbox_row`) or, for the messages of the open conversation, to its log
(`chromium_open_conversation`). The sender stamps `time.time()`: both read the machine's
wall clock (1 ms resolution), so they compare directly.

The other consoles of the 10- and 50-console rows are console-equivalent inbox sockets: what
the console's app does on the wire (`/ws/inbox?site_id=demo`, `join` with their own agent
session, `presence.set` online, pings), without a browser; a message is visible to one when
its `inbox.update` carrying the text has been read (`socket_consoles_each`, every message-socket
pair; `socket_consoles_last`, per message, the last of them to see it). They run in the same
process as the senders, on a 2-core machine shared with the edge and Chromium: contention is
part of what the larger rows show.
"""

from __future__ import annotations

import asyncio
import json
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Page, async_playwright
from websockets.asyncio.client import ClientConnection, connect

from helpway.shared import limits

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "e2e"))
from edge_process import Edge, start_edge, stop_edge  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
AGENT = {"email": "agent@demo.helpway.dev", "password": "helpway-demo"}
SITE = "demo"
CONSOLES = (1, 10, 50)
CONVERSATIONS = 10
RATE = 5.0  # messages a second in total: 0.5 per visitor, below the per-visitor refill of 1/s
MESSAGES, QUICK_MESSAGES = 200, 20
SETTLE_TIMEOUT_S = 60.0
TIMEOUT_MS = 120_000
TOKEN = re.compile(r"m(\d+_\d+)q")
# Stamps the wall clock when a node holding a message's token lands in the inbox list or the
# open conversation's log (the first time each is seen in each).
WATCH = r"""() => {
  window.__seen = { list: {}, log: {} };
  const token = /m(\d+_\d+)q/g;
  new MutationObserver((records) => {
    const now = Date.now();
    for (const record of records) {
      const where = record.target.closest?.('.hc-list') ? 'list'
        : record.target.closest?.('.hc-log') ? 'log' : null;
      if (where === null) continue;
      for (const node of record.addedNodes) {
        for (const [, id] of (node.textContent || '').matchAll(token)) {
          if (!(id in window.__seen[where])) window.__seen[where][id] = now;
        }
      }
    }
  }).observe(document.body, { childList: true, subtree: true });
}"""


@dataclass
class Probe:
    """When each message went out, and when each socket console first read it."""

    sent_at: dict[str, float] = field(default_factory=dict)
    # socket console index -> {message id: ms}
    seen: dict[int, dict[str, float]] = field(default_factory=dict)


def _now_ms() -> float:
    return time.time() * 1000


def _source_ip(n: int) -> str:
    """A distinct loopback address per visitor: 127.2.0.n."""
    return f"127.2.0.{n + 1}"


async def _login(http: httpx.AsyncClient) -> dict[str, Any]:
    response = await http.post("/api/agent/login", json=AGENT)
    response.raise_for_status()
    return dict(response.json())


async def _conversation(
    edge: Edge, http: httpx.AsyncClient, agent_token: str, n: int
) -> tuple[str, ClientConnection, ClientConnection]:
    """A visitor's conversation the agent has taken over: (its id, the visitor's socket, the
    agent's socket)."""
    visitor = (await http.post("/api/visitor/session", json={"site_id": SITE})).json()
    url = edge.url.replace("http://", "ws://") + f"/ws/conversations/{visitor['conversation_id']}"
    join = {"type": "join", "v": 1, "last_seq": 0}
    agent = await connect(url, max_size=None, open_timeout=60)
    await agent.send(json.dumps({**join, "token": agent_token}))
    await agent.recv()  # welcome
    await agent.send(json.dumps({"type": "takeover"}))
    while '"agent.joined"' not in str(await agent.recv()):
        pass
    sock = await connect(url, max_size=None, open_timeout=60, local_addr=(_source_ip(n), 0))
    await sock.send(json.dumps({**join, "token": visitor["visitor_token"]}))
    await sock.recv()  # welcome
    return visitor["conversation_id"], sock, agent


async def _drain(sock: ClientConnection) -> None:
    """Read and drop what a socket receives (acks, broadcasts), so its buffer never fills."""
    async for _ in sock:
        pass


async def _socket_console(
    edge: Edge, token: str, index: int, probe: Probe, ready: asyncio.Event
) -> None:
    """A console's inbox socket: join, say online, note each message's first `inbox.update`."""
    url = edge.url.replace("http://", "ws://") + f"/ws/inbox?site_id={SITE}"
    seen = probe.seen.setdefault(index, {})
    async with connect(url, max_size=None, open_timeout=60) as sock:
        await sock.send(json.dumps({"type": "join", "v": 1, "token": token, "last_seq": 0}))
        await sock.send(json.dumps({"type": "presence.set", "status": "online"}))
        ready.set()
        pinging = asyncio.create_task(_heartbeat([sock]))
        try:
            async for raw in sock:
                at = _now_ms()
                frame = json.loads(raw)
                if frame.get("type") != "inbox.update":
                    continue
                for found in TOKEN.finditer(frame["conversation"]["last_text"]):
                    seen.setdefault(found.group(1), at)
        finally:
            pinging.cancel()


async def _heartbeat(socks: list[ClientConnection]) -> None:
    """Ping as the widget and the console do; the edge drops silent sockets."""
    while True:
        await asyncio.sleep(limits.HEARTBEAT_INTERVAL_S)
        for sock in socks:
            await sock.send(json.dumps({"type": "ping"}))


async def _open_console(page: Page, edge: Edge, session: dict[str, Any], rows: int) -> None:
    """The real console, signed in, its inbox drawn, the first conversation open, watched."""
    preset = f"sessionStorage.setItem('helpway:agent', {json.dumps(json.dumps(session))})"
    await page.add_init_script(preset)
    page.set_default_timeout(TIMEOUT_MS)
    await page.goto(edge.url + "/console")
    await page.wait_for_function(
        "n => document.querySelectorAll('.hc-list button.hc-conv').length >= n", arg=rows
    )
    await page.locator(".hc-list button.hc-conv").first.click()
    await page.wait_for_selector(".hc-log .hw-event[data-event='agent.joined']")
    await page.evaluate(WATCH)


async def _send(sock: ClientConnection, probe: Probe, message_id: str) -> None:
    frame = {"type": "message.send", "client_id": "c" + message_id, "text": f"m{message_id}q"}
    probe.sent_at[message_id] = _now_ms()
    await sock.send(json.dumps(frame))


def _percentiles(values: list[float]) -> dict[str, Any]:
    """p50/p99 within the samples (no extrapolation past the slowest: few samples make the
    p99 the maximum, which `samples` lets the reader see)."""
    if len(values) < 2:
        return {"samples": len(values), "p50_ms": None, "p99_ms": None, "max_ms": None}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {
        "samples": len(values),
        "p50_ms": round(cuts[49], 1),
        "p99_ms": round(cuts[98], 1),
        "max_ms": round(max(values), 1),
    }


async def _row(edge: Edge, page: Page, consoles: int, row: int, messages: int) -> dict[str, Any]:
    probe = Probe()
    tasks: list[asyncio.Task[None]] = []
    async with httpx.AsyncClient(base_url=edge.url, timeout=60) as http:
        operator = await _login(http)
        pairs = [
            await _conversation(edge, http, operator["token"], n) for n in range(CONVERSATIONS)
        ]
        # Each console signs in on its own, as each agent's tab would.
        sessions = [await _login(http) for _ in range(consoles)]
    socks = [sock for _id, visitor, agent in pairs for sock in (visitor, agent)]
    tasks += [asyncio.create_task(_drain(sock)) for sock in socks]
    tasks.append(asyncio.create_task(_heartbeat(socks)))
    for index, session in enumerate(sessions[1:]):
        ready = asyncio.Event()
        tasks.append(
            asyncio.create_task(_socket_console(edge, session["token"], index, probe, ready))
        )
        await ready.wait()
    # Warm up: one message per conversation (the inbox lists a conversation once someone has
    # said something), seen by every socket console before the real one opens.
    for n, (_id, visitor, _agent) in enumerate(pairs):
        await _send(visitor, probe, f"{row}{n:02d}_0")
    await _settled(None, probe)
    await _open_console(page, edge, sessions[0], CONVERSATIONS)
    current = await page.locator(".hc-list button.hc-conv[aria-current]").get_attribute("data-id")
    opened = [conversation_id for conversation_id, _v, _a in pairs].index(current)
    probe.sent_at.clear()
    for seen in probe.seen.values():
        seen.clear()

    start = time.perf_counter()
    for k in range(messages):
        delay = start + k / RATE - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        n = k % CONVERSATIONS
        await _send(pairs[n][1], probe, f"{row}{n:02d}_{k + 1}")
    missing = await _settled(page, probe)
    browser_seen = await page.evaluate("window.__seen")
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for sock in socks:
        await sock.close()

    sent = probe.sent_at
    in_open = [m for m in sent if m.startswith(f"{row}{opened:02d}_")]
    figures: dict[str, Any] = {
        "consoles": consoles,
        "chromium_consoles": 1,
        "socket_consoles": consoles - 1,
        "messages": len(sent),
        "not_seen_everywhere": missing,
        "chromium_inbox_row": _percentiles(
            [browser_seen["list"][m] - sent[m] for m in sent if m in browser_seen["list"]]
        ),
        "chromium_open_conversation": _percentiles(
            [browser_seen["log"][m] - sent[m] for m in in_open if m in browser_seen["log"]]
        ),
    }
    if consoles > 1:
        pairs_seen = [at - sent[m] for seen in probe.seen.values() for m, at in seen.items()]
        last = [
            max(seen[m] for seen in probe.seen.values()) - sent[m]
            for m in sent
            if all(m in seen for seen in probe.seen.values())
        ]
        figures["socket_consoles_each"] = _percentiles(pairs_seen)
        figures["socket_consoles_last"] = _percentiles(last)
    return figures


async def _settled(page: Page | None, probe: Probe) -> int:
    """Wait until every message sent is seen by every console (the socket ones only when
    `page` is None); returns how many were not."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while True:
        wanted = set(probe.sent_at)
        missing = set()
        if page is not None:
            missing = wanted - set(await page.evaluate("Object.keys(window.__seen.list)"))
        for seen in probe.seen.values():
            missing |= wanted - set(seen)
        if not missing or time.monotonic() > deadline:
            return len(missing)
        await asyncio.sleep(0.1)


async def _run(quick: bool) -> dict[str, Any]:
    messages = QUICK_MESSAGES if quick else MESSAGES
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        edge = start_edge(Path(folder) / "data")
        try:
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path=CHROMIUM, args=CHROMIUM_ARGS
                )
                try:
                    for row, consoles in enumerate(CONSOLES, start=1):
                        context = await browser.new_context()
                        page = await context.new_page()
                        rows.append(await _row(edge, page, consoles, row, messages))
                        await context.close()
                finally:
                    await browser.close()
        finally:
            stop_edge(edge)
    return {
        "what": "visitor's send on the conversation socket -> the message visible in a console",
        "clock": "sender time.time() vs the console page's Date.now(): one wall clock, 1 ms",
        "visible_means": {
            "chromium_inbox_row": "real Chromium console: DOM node with the text added to the "
            "inbox list (MutationObserver)",
            "chromium_open_conversation": "same page: added to the open conversation's log "
            f"(only that conversation's messages, 1 in {CONVERSATIONS})",
            "socket_consoles_each": "console-equivalent inbox sockets (no browser): the "
            "inbox.update carrying the text read, every message x socket",
            "socket_consoles_last": "per message, the last socket console to read it",
        },
        "conversations": CONVERSATIONS,
        "rate_per_s": RATE,
        "rows": rows,
    }


def run(quick: bool) -> dict[str, Any]:
    return asyncio.run(_run(quick))
