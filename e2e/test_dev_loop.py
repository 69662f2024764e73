"""`make dev`'s loop: saving a widget source rebuilds the widget and reloads open demo pages."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from edge_process import Edge, start_edge, stop_edge
from playwright.sync_api import Browser

from helpway.widget import bundle

REBUILD_TIMEOUT_S = 60


@pytest.fixture(scope="module")
def watching_edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    running = start_edge(tmp_path_factory.mktemp("edge") / "data", None, "--watch")
    yield running
    stop_edge(running)


def _save(path: Path) -> None:
    """What an editor's save does to the file the watcher sees: a new modification time."""
    now = time.time_ns()
    os.utime(path, ns=(now, now))


def test_saving_a_widget_source_rebuilds_and_reloads_the_demo_page(
    watching_edge: Edge, browser: Browser
) -> None:
    first = httpx.get(watching_edge.url + "/dev/build").json()["build"]
    page = browser.new_page()
    try:
        # The page polls the build id: let it read the current one before the save.
        with page.expect_response("**/dev/build"):
            page.goto(watching_edge.url + "/")
        page.evaluate("window.beforeTheSave = true")
        with page.expect_event("load", timeout=REBUILD_TIMEOUT_S * 1000):
            _save(bundle.STATIC_DIR / "chat.css")
        assert page.evaluate("window.beforeTheSave") is None
        assert httpx.get(watching_edge.url + "/dev/build").json()["build"] != first
        assert "widget rebuilt" in watching_edge.log.read_text()
        # The reloaded page still carries a working widget.
        page.wait_for_selector("helpway-widget", state="attached")
    finally:
        page.close()


def test_an_edge_without_watch_serves_no_build_id_and_no_poller(edge: Edge) -> None:
    assert httpx.get(edge.url + "/dev/build").status_code == 404
    assert "/dev/build" not in httpx.get(edge.url + "/").text
