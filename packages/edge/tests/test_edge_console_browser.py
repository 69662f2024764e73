"""The agent console's aids in real Chromium against the real local edge: a visitor chats
through the widget (in Bangkok, in Thai), an agent in another browser context finds the
conversation by searching a word of it, sees the visitor's page, language and local time, gets
a suggested reply into the composer, expands a canned response, moves with the keyboard, and is
notified of a visitor's message while the console tab is hidden."""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from browser_steps import sign_in
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from helpway.store import canned
from helpway.store.sqlite import SqliteDatabase

TIMEOUT_MS = 30_000
_n = itertools.count()
# Stands in for a hidden tab (headless Chromium's tabs are always visible) and records the
# notifications (each real one too, to click), focus requests and chimes the console asks for.
WATCH_ALERTS = """
    window.__alerts = { hidden: false, notified: [], shown: [], focused: 0, chimes: 0 };
    Object.defineProperty(document, "hidden", { get: () => window.__alerts.hidden });
    const Real = window.Notification;
    window.Notification = class extends Real {
        constructor(title, options) {
            super(title, options);
            window.__alerts.notified.push([title, options.body]);
            window.__alerts.shown.push(this);
        }
    };
    const focus = window.focus.bind(window);
    window.focus = () => { window.__alerts.focused += 1; focus(); };
    const oscillator = AudioContext.prototype.createOscillator;
    AudioContext.prototype.createOscillator = function () {
        window.__alerts.chimes += 1;
        return oscillator.call(this);
    };
"""


def _context(chromium: Browser, **options: object) -> BrowserContext:
    context = chromium.new_context(**options)  # type: ignore[arg-type]
    context.set_default_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
def visitor_page(chromium: Browser, widget_built: None) -> Iterator[Page]:
    context = _context(chromium, locale="th-TH", timezone_id="Asia/Bangkok")
    yield context.new_page()
    context.close()


@pytest.fixture
def agent_page(chromium: Browser, widget_built: None, edge) -> Iterator[Page]:
    context = _context(chromium, timezone_id="Europe/Oslo")
    context.grant_permissions(["notifications"], origin=edge.url)
    context.add_init_script(WATCH_ALERTS)
    yield context.new_page()
    context.close()


def visitor_says(page: Page, url: str, text: str) -> None:
    page.goto(url + "/")
    page.get_by_role("button", name="Open chat").click()
    frame = page.frame_locator("helpway-widget iframe")
    composer = frame.get_by_role("textbox", name="Message")
    expect(frame.locator(".hw-sub")).to_have_text(re.compile("answers right away"))
    composer.fill(text)
    composer.press("Enter")
    expect(frame.locator(".hw-row.hw-mine[data-seq]").last).to_contain_text(text)


def wait_until_searchable(url: str, token: str, word: str) -> str:
    """The id of the conversation a search for `word` finds, once the rooms' outbox has copied
    the message into D1 (it does so asynchronously)."""
    deadline = time.monotonic() + 20
    while True:
        found = httpx.get(
            url + "/api/search", params={"q": word}, headers={"authorization": f"Bearer {token}"}
        ).json()["hits"]
        if found or time.monotonic() > deadline:
            assert found, f"no conversation says {word!r}"
            return str(found[0]["conversation"]["id"])
        time.sleep(0.1)


async def _save_canned(data: Path, shortcut: str, text: str) -> None:
    db = SqliteDatabase(data / "d1.sqlite3")
    try:
        await canned.create_canned(db, "demo", shortcut, "Refund policy", text)
    finally:
        db.close()


def composer(page: Page) -> Locator:
    return page.get_by_role("textbox", name="Reply")


def test_search_context_suggestion_and_canned_response(
    visitor_page: Page, agent_page: Page, edge
) -> None:
    n = next(_n)
    word = f"kumquat{n}x"
    shortcut = f"refund{n}ui"
    with ThreadPoolExecutor(1) as thread:
        policy = "Refunds reach your card within 5 working days."
        thread.submit(asyncio.run, _save_canned(edge.data, shortcut, policy)).result()
    visitor_says(visitor_page, edge.url, f"How do I reset my password? My order is {word}")

    token = sign_in(agent_page, edge.url)
    conversation_id = wait_until_searchable(edge.url, token, word)
    expect(agent_page).to_have_title(re.compile(r"^\(\d+\) Helpway · Agent console$"))
    search = agent_page.get_by_role("searchbox", name="Search messages")
    search.fill(word)
    search.press("Enter")
    hit = agent_page.locator(f'.hc-results button.hc-hit[data-id="{conversation_id}"]')
    expect(agent_page.locator(".hc-results button.hc-hit")).to_have_count(1)
    expect(hit.locator(".hc-snippet")).to_contain_text(word)
    expect(hit.locator(".hc-snippet mark")).to_have_text(word)
    hit.click()
    expect(agent_page.locator(".hc-log .hw-row[data-role=visitor]").first).to_contain_text(word)

    context = agent_page.get_by_role("complementary", name="Visitor details")
    expect(context.locator(".hc-ctx-page")).to_have_text(edge.url + "/")
    expect(context.locator(".hc-ctx-language")).to_have_text("th-TH")
    expect(context.locator(".hc-ctx-time")).to_have_text(
        re.compile(r"^\d\d:\d\d \(Asia/Bangkok\)$")
    )
    expect(context.locator(".hc-ctx-browser")).to_have_text(
        re.compile(r"^Chrom(e|ium) \d+ on Linux$")
    )
    expect(context.locator(".hc-ctx-user")).to_have_text("Not signed in")

    agent_page.get_by_role("button", name="Suggest reply").click()
    expect(agent_page.locator(".hc-suggestion")).to_contain_text(
        "Suggested from the knowledge base"
    )
    expect(composer(agent_page)).not_to_have_value("")
    expect(composer(agent_page)).to_be_focused()
    # Only ever a draft: nothing of the agent's reached the conversation.
    expect(agent_page.locator(".hc-log .hw-row[data-role=agent]")).to_have_count(0)

    composer(agent_page).fill("")
    composer(agent_page).press_sequentially("Hello! /" + shortcut[:7])
    option = agent_page.get_by_role("option").filter(has_text="/" + shortcut)
    expect(option).to_have_attribute("aria-selected", "true")
    composer(agent_page).press("Enter")
    expect(composer(agent_page)).to_have_value("Hello! " + policy)
    expect(agent_page.get_by_role("listbox", name="Canned responses")).to_be_hidden()
    composer(agent_page).press("Enter")  # now it is sent, by the agent
    expect(agent_page.locator(".hc-log .hw-row[data-role=agent]")).to_contain_text(policy)


def test_keyboard_shortcuts_and_alerts_for_a_hidden_tab(
    chromium: Browser, visitor_page: Page, agent_page: Page, edge
) -> None:
    other = _context(chromium)  # a second visitor, so the inbox holds two at least
    visitor_says(other.new_page(), edge.url, "A first question")
    other.close()
    sign_in(agent_page, edge.url)
    rows = agent_page.locator(".hc-inbox-list button.hc-conv")
    agent_page.locator("body").click()
    agent_page.keyboard.press("?")
    help_box = agent_page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_box).to_be_visible()
    expect(help_box).to_contain_text("j or Alt+↓Next conversation")
    agent_page.keyboard.press("Escape")
    expect(help_box).to_be_hidden()

    agent_page.evaluate("window.__alerts.hidden = true")
    word = f"papaya{next(_n)}x"
    visitor_says(visitor_page, edge.url, f"Anyone there? {word}")
    # Told once the visitor spoke (the body is the conversation's last text: the visitor's, or
    # the assistant's answer when the outbox published both in one update).
    agent_page.wait_for_function("window.__alerts.notified.length > 0")
    [(title, _body)] = agent_page.evaluate("window.__alerts.notified")[:1]
    assert re.match(r"^New (conversation|message) · Visitor ", title), title
    assert agent_page.evaluate("window.__alerts.chimes") > 0
    agent_page.evaluate("window.__alerts.hidden = false")

    expect(rows.nth(1)).to_be_visible()
    agent_page.keyboard.press("j")
    expect(rows.first).to_have_attribute("aria-current", "true")
    expect(composer(agent_page)).to_be_focused()  # opening a conversation focuses the reply
    agent_page.keyboard.press("j")  # typed into the reply, not a shortcut there
    expect(composer(agent_page)).to_have_value("j")
    agent_page.keyboard.press("Alt+ArrowDown")
    expect(rows.nth(1)).to_have_attribute("aria-current", "true")
    agent_page.locator("body").click()
    agent_page.keyboard.press("k")
    expect(rows.first).to_have_attribute("aria-current", "true")
    agent_page.locator("body").click()
    agent_page.keyboard.press("r")
    expect(composer(agent_page)).to_be_focused()
    agent_page.locator("body").click()
    agent_page.keyboard.press("/")
    expect(agent_page.get_by_role("searchbox", name="Search messages")).to_be_focused()


def test_clicking_a_notification_opens_its_conversation(
    chromium: Browser, visitor_page: Page, agent_page: Page, edge
) -> None:
    first = _context(chromium)
    visitor_says(first.new_page(), edge.url, "Hello from the first visitor")
    first.close()
    sign_in(agent_page, edge.url)
    rows = agent_page.locator(".hc-inbox-list button.hc-conv")
    rows.first.click()
    expect(rows.first).to_have_attribute("aria-current", "true")
    opened_first = str(rows.first.get_attribute("data-id"))

    agent_page.evaluate("window.__alerts.hidden = true")
    word = f"mango{next(_n)}x"
    visitor_says(visitor_page, edge.url, f"Please help, {word}")
    # The body may be the visitor's words or the assistant's answer (one update can hold both).
    other = "id => window.__alerts.shown.findLast((shown) => shown.tag !== id)"
    agent_page.wait_for_function(other, arg=opened_first)
    tag = str(agent_page.evaluate(other + "?.tag", opened_first))
    # Meanwhile the agent chose a filter that hides the conversation: the click shows it anyway.
    agent_page.get_by_role("button", name="Closed").click()
    expect(rows).to_have_count(0)
    agent_page.evaluate("window.__alerts.hidden = false")
    focused = agent_page.evaluate("window.__alerts.focused")

    # The notification's own click event, as the browser fires it when the agent clicks it.
    agent_page.evaluate(
        "tag => window.__alerts.shown.findLast((shown) => shown.tag === tag)"
        ".dispatchEvent(new Event('click'))",
        tag,
    )
    row = agent_page.locator(f'.hc-inbox-list button.hc-conv[data-id="{tag}"]')
    expect(row).to_have_attribute("aria-current", "true")
    expect(agent_page.locator(".hc-log .hw-row[data-role=visitor]").first).to_contain_text(word)
    expect(agent_page.get_by_role("button", name="All", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    assert agent_page.evaluate("window.__alerts.focused") == focused + 1


def test_notifications_are_asked_for_only_from_a_click(visitor_page: Page, edge) -> None:
    asked: list[str] = []
    visitor_page.expose_function("__asked", lambda: asked.append("asked"))
    visitor_page.add_init_script(
        "const ask = Notification.requestPermission.bind(Notification);"
        "Notification.requestPermission = () => { window.__asked(); return ask(); };"
    )
    sign_in(visitor_page, edge.url)  # a context with no permission granted
    switch = visitor_page.get_by_role("button", name="Turn on notifications")
    expect(switch).to_be_visible()
    assert asked == []  # signing in asked nothing
    switch.click()
    expect(switch).to_be_hidden()  # answered (here: denied), so not offered again
    assert asked == ["asked"]
