"""The loader the edge serves for a site carries the site's config: the launcher is painted in
the site's colours and the panel greets with no config request, and the owner's change shows
on the next page load (the loader is revalidated by its ETag on every load)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from edge_process import Edge
from host_pages import HostSite, host_site
from playwright.sync_api import Browser, Page, expect

TIMEOUT_MS = 30_000
# What the launcher looks like in the first frame it is drawn in: an init script (not subject
# to the page's CSP) sees our element inserted and reads the button's style before the paint.
FIRST_PAINT = """
new MutationObserver((changes, observer) => {
  const host = document.querySelector("helpway-widget");
  if (!host) return;
  observer.disconnect();
  const button = host.shadowRoot.querySelector("button");
  window.firstPaint = {
    background: getComputedStyle(button).backgroundColor,
    label: button.getAttribute("aria-label"),
    text: button.textContent,
  };
}).observe(document, { childList: true, subtree: true });
"""


@pytest.fixture(scope="module")
def shop(edge: Edge) -> Iterator[HostSite]:
    with host_site() as site:
        edge.cli("sites", "create", "--id", "shop", "--name", "Shop", "--origin", site.url)
        edge.cli(
            "sites", "config", "--site", "shop", "--color", "#0a7f5a",
            "--launcher-text", "Help", "--greeting", "Welcome to the shop!",
        )  # fmt: skip
        site.page(
            "/",
            f"<!doctype html><title>Shop</title><h1>Shop</h1>"
            f'<script src="{edge.url}/widget/shop.js" async></script>',
        )
        yield site


def _open(page: Page, url: str) -> None:
    page.goto(url)
    page.locator('button[aria-label="Open chat"]').click()


def test_launcher_and_greeting_need_no_config_request(
    browser: Browser, edge: Edge, shop: HostSite
) -> None:
    context = browser.new_context(locale="en-US")
    context.add_init_script(FIRST_PAINT)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    _open(page, shop.url + "/")
    assert page.evaluate("window.firstPaint") == {
        "background": "rgb(10, 127, 90)",
        "label": "Open chat",
        "text": "Help",
    }
    chat = page.frame_locator("helpway-widget iframe")
    greeting = chat.locator('.hw-row[data-role="assistant"] .hw-text')
    expect(greeting).to_have_text("Welcome to the shop!", timeout=TIMEOUT_MS)
    expect(page.locator("helpway-widget[data-ready]")).to_have_count(1, timeout=TIMEOUT_MS)
    expect(chat.locator(".hw-sub")).not_to_have_text("Connecting…", timeout=TIMEOUT_MS)
    assert [url for url in requests if "/api/visitor/config" in url] == []
    # Only session requests: where the frame's storage is refused (this Chromium's default for
    # a frame of another site) one may ask to resume only before the click, then one to start.
    assert {url for url in requests if "/api/" in url} == {edge.url + "/api/visitor/session"}

    # The owner changes the greeting and the colour: the next page load has them.
    edge.cli(
        "sites", "config", "--site", "shop", "--greeting", "Back again?", "--color", "#aa3300"
    )  # fmt: skip
    # The returning visitor's frame resumes its session at load: the panel opened after that
    # takes the config that came with it, not a second read.
    with page.expect_response(lambda response: "/api/visitor/session" in response.url):
        page.goto(shop.url + "/")
    expect(page.locator("helpway-widget[data-ready]")).to_have_count(1, timeout=TIMEOUT_MS)
    page.locator('button[aria-label="Open chat"]').click()
    assert page.evaluate("window.firstPaint")["background"] == "rgb(170, 51, 0)"
    expect(greeting).to_have_text("Back again?", timeout=TIMEOUT_MS)
    assert [url for url in requests if "/api/visitor/config" in url] == []
    context.close()


def test_the_label_is_said_in_the_browsers_language(
    browser: Browser, edge: Edge, shop: HostSite
) -> None:
    edge.cli("sites", "config", "--site", "shop", "--language", "en", "--language", "es")
    context = browser.new_context(locale="es-ES")
    context.add_init_script(FIRST_PAINT)
    page = context.new_page()
    page.goto(shop.url + "/")
    expect(page.locator('button[aria-label="Abrir chat"]')).to_have_count(1)
    assert page.evaluate("window.firstPaint")["label"] == "Abrir chat"
    context.close()
