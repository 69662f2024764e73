"""End-to-end fixtures: a real local edge process on a free port, and real Debian Chromium.

Each test module gets its own edge with a fresh data folder, so tests never see each other's
conversations. Chromium is the system one: browsers cannot be downloaded on these machines.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from edge_process import Edge, Edges, start_edge, stop_edge
from host_pages import HostSite, host_site, widget_page
from playwright.sync_api import Browser, Playwright, sync_playwright

CHROMIUM = os.environ.get("HELPWAY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    running = start_edge(tmp_path_factory.mktemp("edge") / "data")
    yield running
    stop_edge(running)


# Module scope, not session: sync Playwright keeps an event loop running in this thread while it
# is open, which would stop the asyncio tests of other modules from starting theirs.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def site(edge: Edge) -> Iterator[HostSite]:
    """A host site of the module's edge, on an origin of its own: its root page is a shop with
    the demo widget's tag; a test adds the other pages it needs."""
    with host_site() as host:
        shop = "<main><h1>Shop</h1><p>Things for sale.</p></main>"
        host.page("/", widget_page(edge.url, "Shop", shop))
        yield host


# A browser without WebAssembly (iOS Lockdown Mode, a policy that disables it), where the widget
# runs on Brython. V8 without a JIT has none; `--noexpose_wasm` alone leaves `WebAssembly`
# defined in Debian's Chromium, and placed before `--jitless` it does not take either.
NO_WASM_ARGS = [*CHROMIUM_ARGS, "--js-flags=--jitless --noexpose_wasm"]


@pytest.fixture(scope="module")
def no_wasm_browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=NO_WASM_ARGS, headless=True)
    yield browser
    browser.close()


@pytest.fixture
def edges(tmp_path: Path) -> Iterator[Edges]:
    running = Edges(tmp_path / "data")
    yield running
    for edge in running.started:
        if edge.process.poll() is None:
            stop_edge(edge)
