"""axe-core (from node_modules, served by the test's host site: no CDN) finds no serious or
critical accessibility problem in the widget — the launcher on the host page (inside its
shadow root), the open panel (inside the frame), the panel in Arabic (right to left) — nor in
the agent console, signed out and with a conversation open."""

from __future__ import annotations

from typing import Any

from browser_steps import panel, say, sign_in
from edge_process import Edge
from host_pages import HostSite
from playwright.sync_api import Browser, Frame, Page, expect

TIMEOUT_MS = 30_000
SEVERE = ("serious", "critical")
RUN = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")),
  }));
}"""


def severe(where: Page | Frame, axe_url: str) -> list[dict[str, Any]]:
    """The serious and critical violations axe finds in `where` (a page or a frame)."""
    if not where.evaluate("typeof window.axe === 'object'"):
        where.add_script_tag(url=axe_url)
    found: list[dict[str, Any]] = where.evaluate(RUN)
    return [v for v in found if v["impact"] in SEVERE]


def test_the_widget_and_the_console_have_no_severe_violation(
    browser: Browser, edge: Edge, site: HostSite
) -> None:
    axe = site.url + "/axe.js"
    context = browser.new_context()
    page = context.new_page()
    page.goto(site.url + "/")
    launcher = page.locator('button[aria-label="Open chat"]')
    expect(launcher).to_have_count(1)
    assert severe(page, axe) == []

    launcher.click()
    expect(page.locator("helpway-widget[data-ready]")).to_have_count(1, timeout=TIMEOUT_MS)
    chat = panel(page)
    say(chat, "How do I reset my password?")
    answer = chat.locator('.hw-row[data-role="assistant"][data-id]:not(.hw-streaming)')
    expect(answer).to_have_count(1, timeout=TIMEOUT_MS)
    assert severe(page, axe) == []  # the host page with the panel open
    assert severe(page.frames[1], axe) == []  # the panel itself

    console = context.new_page()
    console.goto(edge.url + "/console")
    expect(console.locator("body[data-ready]")).to_have_count(1, timeout=TIMEOUT_MS)
    assert severe(console, axe) == []
    sign_in(console, edge.url)
    console.locator("button.hc-conv").first.click()
    expect(console.locator(".hc-log .hw-row").first).to_be_visible(timeout=TIMEOUT_MS)
    assert severe(console, axe) == []
    context.close()


def test_the_panel_in_arabic_has_no_severe_violation(
    browser: Browser, edge: Edge, site: HostSite
) -> None:
    edge.cli("sites", "config", "--site", "demo", "--language", "en", "--language", "ar")
    context = browser.new_context(locale="ar")
    page = context.new_page()
    page.goto(site.url + "/")
    page.locator('button[aria-label="افتح الدردشة"]').click()  # "Open chat", from the loader
    expect(page.locator("helpway-widget[data-ready]")).to_have_count(1, timeout=TIMEOUT_MS)
    frame = page.frames[1]
    expect(panel(page).locator("html[dir=rtl]")).to_have_count(1, timeout=TIMEOUT_MS)
    assert severe(frame, site.url + "/axe.js") == []
    context.close()
