"""The widget and the console in real Chromium against the real local edge: what a visitor or an
agent sees when the edge refuses, and the console's inbox beyond its first page."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

TIMEOUT_MS = 30_000


@pytest.fixture
def page(chromium: Browser, widget_built: None) -> Iterator[Page]:
    context = chromium.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def sign_in(page: Page, url: str, email: str, password: str) -> None:
    page.goto(url + "/console")
    expect(page.locator("body[data-ready]")).to_have_count(1)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".hc-desk")).to_be_visible()


def test_console_lists_the_waiting_conversation_first_and_loads_more(
    page: Page, edge, busy_site
) -> None:
    site = busy_site("busy-console")
    sign_in(page, edge.url, site.agent_email, site.agent_password)
    rows = page.locator("button.hc-conv")
    expect(rows).to_have_count(101)
    expect(rows.first).to_have_attribute("data-id", site.waiting)
    expect(rows.first).to_have_attribute("data-status", "waiting_human")
    expect(page.locator(".hc-waiting")).to_have_text("1 waiting for a human")

    more = page.get_by_role("button", name="Load more")
    more.click()
    expect(rows).to_have_count(111)
    expect(more).to_be_hidden()
    shown = rows.evaluate_all("rows => rows.map(row => row.dataset.id)")
    assert shown == [site.waiting, *site.others]


def test_console_log_out_ends_the_session_on_the_server(page: Page, edge) -> None:
    sign_in(page, edge.url, "agent@demo.helpway.dev", "helpway-demo")
    token = page.evaluate("JSON.parse(sessionStorage.getItem('helpway:agent')).token")
    auth = {"authorization": f"Bearer {token}"}
    assert httpx.get(edge.url + "/api/inbox", headers=auth).status_code == 200

    with page.expect_response("**/api/agent/logout") as logged_out:
        page.get_by_role("button", name="Log out").click()
    assert logged_out.value.status == 204
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('helpway:agent')") is None
    assert httpx.get(edge.url + "/api/inbox", headers=auth).status_code == 401
