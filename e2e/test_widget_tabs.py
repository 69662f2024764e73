"""Two brand-new tabs of one browser profile opening the chat of a site at the same moment make
one visitor, not two: the first token is asked for by one tab at a time (Web Locks in the
widget's frame, shared like its storage; a claim in localStorage where the browser has no
locks), the tab that waited asks with the token the first one stored, and both join the same
conversation, each showing the other's messages live."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable

import httpx
import pytest
from browser_steps import panel, say
from edge_process import AGENT, Edge
from playwright.sync_api import Browser, Page, Route, expect

TIMEOUT_MS = 30_000
LOCK = "helpway:demo:visitor"
PENDING = "async (name) => (await navigator.locks.query()).pending.some((l) => l.name === name)"
NO_LOCKS = "delete Navigator.prototype.locks"


def _until(page: Page, done: Callable[[], bool], what: str) -> None:
    """Pump the page's events until `done()` holds (the route handlers run meanwhile)."""
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not done():
        assert time.monotonic() < deadline, what
        page.wait_for_timeout(20)


def _launcher(page: Page) -> None:
    page.locator('helpway-widget button[aria-label="Open chat"]').click()


@pytest.mark.parametrize("locks", [True, False], ids=["web-locks", "storage-claim"])
def test_two_new_tabs_opened_at_once_make_one_visitor(
    browser: Browser, edge: Edge, locks: bool
) -> None:
    context = browser.new_context()
    if not locks:
        context.add_init_script(NO_LOCKS)
    held: list[Route] = []  # the first tab's session request, held while the second one starts
    asked: list[dict] = []
    holding = [True]

    def session(route: Route) -> None:
        asked.append(json.loads(route.request.post_data or "{}"))
        if holding[0]:
            held.append(route)
        else:
            route.continue_()

    context.route("**/api/visitor/session", session)
    first, second = context.new_page(), context.new_page()
    for page in (first, second):
        page.goto(edge.url + "/")
        expect(page.locator("helpway-widget[data-ready]")).to_have_count(1, timeout=TIMEOUT_MS)
    frame = second.locator("helpway-widget iframe").element_handle().content_frame()
    assert frame is not None
    assert frame.evaluate("() => Boolean(navigator.locks)") is locks

    _launcher(first)
    _until(first, lambda: len(held) == 1, "the first tab asks for a session")
    _launcher(second)
    if locks:  # the second tab asks too (two visitors) or waits for the lock (one)
        _until(second, lambda: len(asked) == 2 or frame.evaluate(PENDING, LOCK), "second asks")
    holding[0] = False
    for route in held:
        route.continue_()

    texts = {first: "Hello from the first tab", second: "And from the second"}
    for page, text in texts.items():
        chat = panel(page)
        expect(chat.locator(".hw-sub")).to_have_text(
            re.compile("answers right away"), timeout=TIMEOUT_MS
        )
        say(chat, text)
    for page in (first, second):
        mine = panel(page).locator(".hw-row.hw-mine[data-id]")
        expect(mine.locator(".hw-text")).to_have_text(list(texts.values()), timeout=TIMEOUT_MS)

    # The second tab asked with the first one's token: one visitor, one conversation, both texts.
    assert len(asked) == 2 and "visitor_token" not in asked[0]
    assert asked[1].get("visitor_token")
    login = httpx.post(edge.url + "/api/agent/login", json=AGENT)
    agent = {"authorization": f"Bearer {login.json()['token']}"}
    token = asked[1]["visitor_token"]
    mine = httpx.post(
        edge.url + "/api/visitor/session", json={"site_id": "demo", "visitor_token": token}
    )
    history = httpx.get(
        f"{edge.url}/api/conversations/{mine.json()['conversation_id']}/history", headers=agent
    )
    said = [
        e["text"] for e in history.json()["entries"] if e.get("author", {}).get("role") == "visitor"
    ]
    assert sorted(said) == sorted(texts.values())
    context.close()
