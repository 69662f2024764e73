"""Presence in real Chromium against a real local edge: one agent in two console tabs, a
visitor's widget in another context. The switch in one tab sets both; closing one tab keeps the
agent online; closing both makes the widget say the team is away within the presence TTL (the
socket idle timeout, set through HELPWAY_SOCKET_IDLE_S: above the consoles' 25 s heartbeat, or
their sockets would be cut between pings; a socket that dies without a close is covered at a
1 s TTL in test_edge_sockets_liveness)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser_steps import sign_in
from edge_process import Edge, start_edge, stop_edge
from playwright.sync_api import Browser, BrowserContext, Page, expect

IDLE_S = 40.0
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def presence_edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    data = tmp_path_factory.mktemp("presence") / "data"
    running = start_edge(data, env={"HELPWAY_SOCKET_IDLE_S": str(IDLE_S)})
    yield running
    stop_edge(running)


def _context(chromium: Browser) -> BrowserContext:
    context = chromium.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    return context


def console_tab(context: BrowserContext, url: str) -> Page:
    """A console tab signed in (the token lives in the tab's sessionStorage)."""
    page = context.new_page()
    sign_in(page, url)
    return page


def dana(page: Page) -> object:
    return page.locator(".hc-teammate", has_text="Dana")


def test_one_agent_in_two_tabs_then_none(
    chromium: Browser, widget_built: None, presence_edge: Edge
) -> None:
    url = presence_edge.url
    agent = _context(chromium)
    visitor = _context(chromium)
    try:
        first, second = console_tab(agent, url), console_tab(agent, url)
        for tab in (first, second):
            expect(tab.locator(".hc-presence-switch")).to_have_attribute("data-status", "online")
            expect(dana(tab)).to_have_attribute("data-status", "online")
            expect(tab.locator(".hc-team-count")).to_have_text("1 online")

        # One click sets every tab of the browser, and the team list follows.
        first.locator(".hc-presence-switch").click()
        for tab in (first, second):
            expect(tab.locator(".hc-presence-switch")).to_have_attribute("data-status", "away")
            expect(tab.locator(".hc-presence-switch")).to_have_text("Away")
            expect(dana(tab)).to_have_attribute("data-status", "away")

        page = visitor.new_page()
        page.goto(url + "/")
        page.get_by_role("button", name="Open chat").click()
        panel = page.frame_locator("helpway-widget iframe").locator(".hw-panel")
        expect(panel).to_have_attribute("data-team", "away")

        second.locator(".hc-presence-switch").click()
        expect(dana(first)).to_have_attribute("data-status", "online")
        reopen(page)
        expect(panel).to_have_attribute("data-team", "online")
        expect(panel.locator(".hw-team")).to_contain_text("usually reply")

        # Closing one tab keeps the agent online: the other still says so.
        first.close()
        reopen(page)
        expect(panel).to_have_attribute("data-team", "online")
        expect(dana(second)).to_have_attribute("data-status", "online")

        # Both gone: within the TTL the widget says the team is away.
        second.close()
        reopen_until_away(page)
        expect(panel.locator(".hw-away")).to_be_visible()
    finally:
        agent.close()
        visitor.close()


def reopen(page: Page) -> None:
    """The visitor closes the panel and opens it again: the widget re-reads the presence."""
    frame = page.frame_locator("helpway-widget iframe")
    frame.get_by_role("button", name="Close chat").click()
    page.get_by_role("button", name="Open chat").click()
    expect(frame.locator(".hw-panel")).to_be_visible()


def reopen_until_away(page: Page) -> None:
    """The visitor reopens the panel (each opening re-reads the team's presence) for at most
    about the TTL, until it says the team is away."""
    panel = page.frame_locator("helpway-widget iframe").locator(".hw-panel")
    for _ in range(int(IDLE_S)):
        reopen(page)
        try:
            expect(panel).to_have_attribute("data-team", "away", timeout=1000)
            return
        except AssertionError:
            continue
    expect(panel).to_have_attribute("data-team", "away")
