"""The widget on a customer's page, beside a plain-JS launcher baseline, in the same run.

A real local edge serves the widget; a page server on another loopback origin (`localhost`,
the edge being `127.0.0.1`) serves two host pages: one with the widget's snippet, one with a
baseline, a launcher and panel written inline in plain JavaScript (what the widget's first paint
costs at best). Real Chromium, driven by Playwright; CDP for network throttling and transfer
sizes. Rows, each the median (and min) of several fresh runs:

- cold: a fresh browser context (empty cache); warm: the same page again in a context that
  loaded it once; throttled: cold over 150 ms RTT and 1.6 Mbps (CDP network emulation).
- launcher_ms: navigation start → the frame after the launcher was attached (rAF);
  ready_ms: → the Python app ready (`helpway-widget[data-ready]`); click_ms: a click on the
  launcher (once ready) → the panel's composer focused, a frame later (in the frame).
- transfer_bytes: bytes on the wire (CDP `encodedDataLength`) until ready, requests: count.

Size figures come from the build: the loader raw/gzip/brotli, and everything a first open loads
(loader, frame, runtime, app) summed raw, gzip and brotli.

Site isolation is turned off for the benchmark's Chromium so the widget's frame shares the
page's CDP target, and throttling applies to it too.
"""

from __future__ import annotations

import gzip
import re
import statistics
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import brotli
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "e2e"))
from edge_process import start_edge, stop_edge  # noqa: E402

from helpway.widget.bundle import COMPRESSED  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-site-isolation-trials",
]
THROTTLED = {
    "offline": False,
    "latency": 150,
    "downloadThroughput": 1_600_000 / 8,
    "uploadThroughput": 1_600_000 / 8,
}
RUNS, QUICK_RUNS = 5, 2
TIMEOUT_MS = 60_000
BUILD = HERE.parent / "packages" / "widget" / "build"

# Marks, in epoch ms (timeOrigin + now, comparable across documents): the launcher's first
# frame, the app ready, and clicks.
MARKS = """
window.__marks = {};
const stamp = () => performance.timeOrigin + performance.now();
const mark = (name) => { if (!(name in __marks)) __marks[name] = stamp(); };
new MutationObserver(() => {
  const host = document.querySelector('helpway-widget, baseline-launcher');
  if (host && !('launcher' in __marks)) requestAnimationFrame(() => mark('launcher'));
  if (host && host.hasAttribute('data-ready')) mark('ready');
}).observe(document, {subtree: true, childList: true, attributes: true});
addEventListener('click', () => { __marks.click = stamp(); }, true);
"""
# Armed before the click and read after it: the promise is kept on the window, since waiting on
# it where it is made would wait for the click that has not happened yet.
FOCUS_MARK = """() => { window.__focused = new Promise((resolve) => {
  document.addEventListener('focusin', () => requestAnimationFrame(() =>
    resolve(performance.timeOrigin + performance.now())), {once: true});
}); }"""

WIDGET_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Shop</title>
<script src="EDGE/widget.js" data-site="demo" async></script></head>
<body><h1>A customer's page</h1><p>Some content.</p></body></html>"""
# The baseline: the least a launcher can cost, inline, no request of its own.
BASELINE_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Shop</title>
<script>
addEventListener('DOMContentLoaded', () => {
  const host = document.createElement('baseline-launcher');
  const root = host.attachShadow({mode: 'open'});
  root.innerHTML = '<style>:host{position:fixed;right:20px;bottom:20px}button{width:56px;' +
    'height:56px;border-radius:50%;border:0;background:#2563eb;color:#fff}' +
    'section{position:absolute;right:0;bottom:72px;width:370px;height:580px;background:#fff;' +
    'box-shadow:0 12px 48px rgba(0,0,0,.22)}</style><section hidden><textarea ' +
    'aria-label="Message"></textarea></section><button aria-label="Open chat">?</button>';
  root.querySelector('button').onclick = () => {
    const panel = root.querySelector('section');
    panel.hidden = !panel.hidden;
    root.querySelector('textarea').focus();
  };
  host.setAttribute('data-ready', '');
  document.body.appendChild(host);
});
</script></head>
<body><h1>A customer's page</h1><p>Some content.</p></body></html>"""


@contextmanager
def _pages(edge_url: str) -> Iterator[str]:
    pages = {
        "/widget": WIDGET_PAGE.replace("EDGE", edge_url).encode(),
        "/baseline": BASELINE_PAGE.encode(),
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path, b"")
            self.send_response(200 if body else 404)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(body)))
            self.send_header("cache-control", "no-cache")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        thread.join()


def _load(context: BrowserContext, url: str, throttled: bool) -> dict[str, float]:
    """One navigation to `url`, then a click once ready: its figures."""
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    if throttled:
        cdp.send("Network.emulateNetworkConditions", THROTTLED)
    sizes: list[float] = []
    cdp.on("Network.loadingFinished", lambda event: sizes.append(event["encodedDataLength"]))
    page.goto(url, wait_until="commit")
    page.wait_for_selector("[data-ready]", state="attached", timeout=TIMEOUT_MS)
    transfer, requests = sum(sizes), len(sizes)
    marks = page.evaluate("window.__marks")
    start = page.evaluate("performance.timeOrigin")
    click_ms = _click(page)
    page.close()
    return {
        "launcher_ms": marks["launcher"] - start,
        "ready_ms": marks["ready"] - start,
        "click_ms": click_ms,
        "transfer_bytes": transfer,
        "requests": requests,
    }


def _click(page: Page) -> float:
    frame = page.frames[1] if len(page.frames) > 1 else page.main_frame
    frame.evaluate(FOCUS_MARK)
    page.locator('button[aria-label="Open chat"]').click()
    at = float(frame.evaluate("() => window.__focused"))
    return at - float(page.evaluate("window.__marks.click"))


def _row(browser: Browser, url: str, runs: int, how: str) -> dict[str, Any]:
    samples = []
    for _ in range(runs):
        context = browser.new_context()
        context.add_init_script(MARKS)
        if how == "warm":
            _load(context, url, throttled=False)
        samples.append(_load(context, url, throttled=how == "throttled"))
        context.close()
    row: dict[str, Any] = {}
    for key in samples[0]:
        values = [sample[key] for sample in samples]
        if key in ("transfer_bytes", "requests"):
            row[key] = int(statistics.median(values))
        else:
            row[key] = {"median": round(statistics.median(values), 1), "min": round(min(values), 1)}
    return row


def _sizes(build: Path) -> dict[str, Any]:
    loader = (build / "widget.js").read_bytes()
    frame = (build / "frame.html").read_text("utf-8")
    loaded = ["widget.js", "frame.html"]
    loaded += [ref[len("/w/") :] for ref in re.findall(r'"(/w/v/[^"]+)"', frame)]
    loaded = sorted(set(loaded))
    total = {"raw": 0, "gzip": 0, "brotli": 0}
    for name in loaded:
        data = (build / name).read_bytes()
        assert not name.endswith(COMPRESSED)
        total["raw"] += len(data)
        total["gzip"] += len(gzip.compress(data, 9))
        total["brotli"] += len(brotli.compress(data, quality=11))
    return {
        "loader_bytes": {
            "raw": len(loader),
            "gzip": len(gzip.compress(loader, 9)),
            "brotli": len(brotli.compress(loader, quality=11)),
        },
        "first_open_bytes": total,
        "first_open_files": len(loaded),
    }


def run(quick: bool) -> dict[str, Any]:
    runs = QUICK_RUNS if quick else RUNS
    with tempfile.TemporaryDirectory() as folder:
        edge = start_edge(Path(folder) / "data")
        try:
            with _pages(edge.url) as origin, sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    rows = {}
                    for how in ("cold", "warm", "throttled"):
                        for name in ("widget", "baseline"):
                            rows[f"{name}_{how}"] = _row(browser, f"{origin}/{name}", runs, how)
                finally:
                    browser.close()
        finally:
            stop_edge(edge)
    return {"runs_per_row": runs, **_sizes(BUILD), "rows": rows}


if __name__ == "__main__":
    import json

    json.dump(run(quick="--quick" in sys.argv), sys.stdout, indent=2)
