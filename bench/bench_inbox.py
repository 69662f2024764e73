"""The agent console's inbox with 10,000 conversations in D1, beside a 100-conversation baseline.

Two sites are written straight into the local edge's D1 file (real SQLite, the store's own
message statements, so the FTS triggers index every message): `inbox-big` with 10,000
conversations (1,000 with `--quick`), `inbox-small` with 100; one conversation in 50 waits for
a human (the first page lists all of those: 300 rows for 10,000). Then, per site, each the median
(and min) of several runs:

- store_inbox_ms: `conversations.inbox` (the first page: every conversation waiting for a human,
  then the 100 most recently active) on the local SQLite adapter and on the D1 adapter over the
  D1 double (`FakeD1`: SQLite underneath, D1's shapes and limits; no network latency);
- api_inbox_ms: `GET /api/inbox` against a real local edge (HTTP on loopback, auth included);
- api_search_ms: `GET /api/search` for a word said in one conversation only;
- first_paint_ms: real Chromium opens `/console` with the agent signed in (session preset in
  sessionStorage): navigation start → the first page of rows drawn (cold: a fresh context).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "e2e"))
from edge_process import start_edge, stop_edge  # noqa: E402

from helpway.shared import frames  # noqa: E402
from helpway.store import agents, conversations, messages, sites  # noqa: E402
from helpway.store.cloudflare.d1 import D1Database  # noqa: E402
from helpway.store.cloudflare.testing import FakeD1  # noqa: E402
from helpway.store.database import Database, Statement  # noqa: E402
from helpway.store.ids import hash_token, new_id  # noqa: E402
from helpway.store.migrate import apply_migrations  # noqa: E402
from helpway.store.sqlite import SqliteDatabase  # noqa: E402
from helpway.widget.app.inbox import PAGE_SIZE  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
PASSWORD = "bench inbox password"
SIZES = {"inbox-big": 10_000, "inbox-small": 100}
QUICK_BIG = 1_000
RUNS, QUICK_RUNS = 7, 2
PAINT_RUNS, QUICK_PAINT_RUNS = 3, 1
WAITING_EVERY = 50  # one conversation in 50 waits for a human
BATCH = 250  # conversations per write batch
TIMEOUT_MS = 120_000
NEEDLE = "needleword"
# Stamps (ms since navigation start) the moment the inbox holds `target` rows.
PAINT_MARK = """(target) => new Promise((resolve) => {
  const list = document.querySelector('.hc-list');
  const done = () => list.childElementCount >= target;
  if (done()) return resolve(performance.now());
  new MutationObserver((_, observer) => {
    if (done()) { observer.disconnect(); resolve(performance.now()); }
  }).observe(list, {childList: true});
})"""


def _statements(site_id: str, index: int) -> list[Statement]:
    """A visitor, its conversation, and three messages (visitor, assistant, visitor)."""
    visitor_id, conversation_id = new_id(), new_id()
    at = 1_700_000_000_000 + index * 1_000
    waiting = index % WAITING_EVERY == 0
    visitor = frames.Author(id=visitor_id, role="visitor", name=f"Visitor {index}")
    assistant = frames.Author(id="assistant", role="assistant", name="Assistant")
    said = f"order {index} never arrived" + (f" {NEEDLE}" if index == 7 else "")
    texts = [(visitor, said), (assistant, "Sorry to hear that."), (visitor, "thanks")]
    entries: list[frames.Message | frames.Event] = [
        frames.Message(
            type="message", seq=i + 1, id=new_id(), author=who, text=text, created_at=at + i
        )
        for i, (who, text) in enumerate(texts)
    ]
    status = "waiting_human" if waiting else "open"
    return [
        (
            "INSERT INTO visitors (id, site_id, token_hash, name, created_at, last_seen_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (visitor_id, site_id, hash_token(new_id()), visitor.name, at, at),
        ),
        (
            "INSERT INTO conversations (id, site_id, visitor_id, status, last_seq, last_text, "
            "last_author_role, created_at, updated_at) VALUES (?, ?, ?, ?, 3, 'thanks', "
            "'visitor', ?, ?)",
            (conversation_id, site_id, visitor_id, status, at, at + 2),
        ),
        *messages.upsert_statements(conversation_id, entries),
    ]


async def _seed(path: Path, sizes: dict[str, int]) -> None:
    db = SqliteDatabase(path)
    try:
        await apply_migrations(db)
        for site_id, count in sizes.items():
            await sites.create_site(db, name=site_id, site_id=site_id)
            agent = await agents.create_agent(
                db, email=f"agent@{site_id}.example", name="Agent", password=PASSWORD
            )
            await agents.add_agent_to_site(db, site_id, agent.id)
            for start in range(0, count, BATCH):
                batch: list[Statement] = []
                for index in range(start, min(start + BATCH, count)):
                    batch += _statements(site_id, index)
                await db.batch(batch)
    finally:
        db.close()


def _ms(samples: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(samples), 2), "min": round(min(samples), 2)}


async def _timed(job: Callable[[], Awaitable[object]], runs: int) -> dict[str, float]:
    await job()  # warm the page cache and the statement cache
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        await job()
        samples.append((time.perf_counter() - started) * 1000)
    return _ms(samples)


async def _store_inbox(path: Path, site_id: str, runs: int) -> dict[str, Any]:
    local = SqliteDatabase(path)
    binding = FakeD1(path)
    adapters: dict[str, Database] = {"sqlite": local, "d1": D1Database(binding)}
    figures: dict[str, Any] = {}
    try:
        for name, db in adapters.items():

            async def job(db: Database = db) -> object:
                return await conversations.inbox(db, [site_id])

            figures[name] = await _timed(job, runs)
    finally:
        local.close()
        binding.close()
    return figures


def _api(url: str, token: str, path: str, params: dict[str, Any], runs: int) -> dict[str, float]:
    headers = {"authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=60) as http:
        http.get(path, params=params).raise_for_status()
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            http.get(path, params=params).raise_for_status()
            samples.append((time.perf_counter() - started) * 1000)
    return _ms(samples)


def _first_paint(url: str, session: dict[str, Any], rows: int, runs: int) -> dict[str, float]:
    preset = f"sessionStorage.setItem('helpway:agent', {json.dumps(json.dumps(session))})"
    samples = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for _ in range(runs):
                context = browser.new_context()
                context.add_init_script(preset)
                page = context.new_page()
                page.set_default_timeout(TIMEOUT_MS)
                page.goto(url + "/console", wait_until="domcontentloaded")
                samples.append(float(page.evaluate(PAINT_MARK, rows)))
                context.close()
        finally:
            browser.close()
    return _ms(samples)


def run(quick: bool) -> dict[str, Any]:
    sizes = {**SIZES, "inbox-big": QUICK_BIG if quick else SIZES["inbox-big"]}
    runs = QUICK_RUNS if quick else RUNS
    paint_runs = QUICK_PAINT_RUNS if quick else PAINT_RUNS
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        d1 = data / "d1.sqlite3"
        started = time.perf_counter()
        asyncio.run(_seed(d1, sizes))
        figures["seed_seconds"] = round(time.perf_counter() - started, 1)
        for site_id in sizes:
            figures[site_id] = {
                "conversations": sizes[site_id],
                "store_inbox_ms": asyncio.run(_store_inbox(d1, site_id, runs)),
            }
        edge = start_edge(data)
        try:
            for site_id in sizes:
                login = httpx.post(
                    edge.url + "/api/agent/login",
                    json={"email": f"agent@{site_id}.example", "password": PASSWORD},
                )
                login.raise_for_status()
                session = login.json()
                token = session["token"]
                first_page = len(
                    httpx.get(
                        edge.url + "/api/inbox",
                        params={"limit": PAGE_SIZE},
                        headers={"authorization": f"Bearer {token}"},
                    ).json()["conversations"]
                )
                row = figures[site_id]
                row["first_page_rows"] = first_page
                row["api_inbox_ms"] = _api(
                    edge.url, token, "/api/inbox", {"limit": PAGE_SIZE}, runs
                )
                row["api_search_ms"] = _api(edge.url, token, "/api/search", {"q": NEEDLE}, runs)
                row["first_paint_ms"] = _first_paint(edge.url, session, first_page, paint_runs)
        finally:
            stop_edge(edge)
    return figures
