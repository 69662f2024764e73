"""`Helpway("reset")` on a shared computer: a site calls it at sign-out and navigates in the same
task, as a sign-out does, so the page (and the message to the widget's frame) may be gone before
the frame hears of it. Ten times in a row, with the frame's storage usable and with it refused
(the visitor then lives in the edge's partitioned cookie), the next page's visitor is a new one;
and once that page's frame has forgotten, the host page keeps no pending reset, so the next
navigation without a reset keeps that new visitor."""

from __future__ import annotations

import pytest
from browser_steps import blocking_frame_storage
from edge_process import Edge
from host_pages import HostSite, widget_page
from playwright.sync_api import Browser, Page, Response, expect

TIMEOUT_MS = 30_000
ROUNDS = 10
# The host page's sign-out: the reset, then away at once, in one task.
SIGN_OUT = """<button id="sign-out" onclick="Helpway('reset'); location.href = '/'">
Sign out</button>"""
# The host page keeps no reset for the next page (the loader's flag is gone).
NONE_PENDING = "() => localStorage.getItem('helpway:demo:reset') === null"


def _session(response: Response) -> bool:
    """A visitor session the edge gave the frame."""
    return (
        response.url.endswith("/api/visitor/session")
        and response.request.method == "POST"
        and response.status == 200
    )


def _visitor_on(page: Page, url: str) -> str:
    """Go to `url`, open the chat and return the visitor the frame's session names."""
    with page.expect_response(_session, timeout=TIMEOUT_MS) as started:
        page.goto(url)
        page.locator('button[aria-label="Open chat"]').click()
    expect(page.locator("helpway-widget[data-ready]")).to_have_count(1, timeout=TIMEOUT_MS)
    return str(started.value.json()["visitor_id"])


@pytest.mark.parametrize("frame_storage", ["usable", "refused"])
def test_a_reset_followed_at_once_by_a_navigation_forgets_the_visitor(
    browser: Browser, edge: Edge, site: HostSite, frame_storage: str
) -> None:
    account = site.page("/account", widget_page(edge.url, "Account", SIGN_OUT))
    if frame_storage == "refused":
        context, page = blocking_frame_storage(browser)
    else:
        context = browser.new_context()
        page = context.new_page()
    visitor = _visitor_on(page, account)
    for _ in range(ROUNDS):
        with page.expect_navigation():
            page.locator("#sign-out").click()
        with page.expect_response(_session, timeout=TIMEOUT_MS) as started:
            page.locator('button[aria-label="Open chat"]').click()
        after = str(started.value.json()["visitor_id"])
        assert after != visitor
        # The frame said it forgot: nothing is pending, and a page without a reset resumes.
        page.wait_for_function(NONE_PENDING, timeout=TIMEOUT_MS)
        visitor = _visitor_on(page, account)
        assert visitor == after
    context.close()
