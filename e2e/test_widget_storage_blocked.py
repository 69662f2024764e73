"""The widget in a browser that refuses its frame storage (a frame of another site than the
page, third-party storage blocked): it chats from memory, and after a reload the visitor and
the conversation are back, from the edge's partitioned HttpOnly cookie, which the host page's
scripts can neither read nor use to read the token; `Helpway("reset")` forgets it. Throughout,
the frame's console gets no uncaught error (PyScript's IndexedDB open failing, see frame.js)."""

from __future__ import annotations

from browser_steps import open_widget, say
from edge_process import Edge
from host_pages import HostSite
from playwright.sync_api import Browser, BrowserContext, Page, expect

TIMEOUT_MS = 30_000
QUESTION = "How do I reset my password?"
STORAGE = "() => { try { localStorage.length; return 'usable'; } catch (e) { return 'refused'; } }"
# What a script of the host page gets when it asks the edge for the visitor's session itself,
# with the browser's cookies: the request goes, the answer is not for it.
HOST_ASKS = """async (edge) => {
  try {
    const answer = await fetch(edge + "/api/visitor/session", {
      method: "POST", credentials: "include", headers: {"content-type": "application/json"},
      body: JSON.stringify({site_id: "demo", page_url: location.href}),
    });
    return "read " + (await answer.text());
  } catch (e) {
    return "refused";
  }
}"""


def _blocking(browser: Browser) -> tuple[BrowserContext, Page]:
    """A context whose pages' third-party frames get no cookies or storage of their own."""
    context = browser.new_context()
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send(
        "Network.setCookieControls",
        {
            "enableThirdPartyCookieRestriction": True,
            "disableThirdPartyCookieMetadata": True,
            "disableThirdPartyCookieHeuristics": True,
        },
    )
    return context, page


def _uncaught(page: Page) -> list[str]:
    """Every uncaught error and unhandled rejection of the page and its frames, as they come:
    the host page runs no script of its own that could throw, so each one is the widget's."""
    found: list[str] = []
    page.on("pageerror", lambda error: found.append(str(error)))
    return found


def test_the_chat_survives_a_reload_without_frame_storage(
    browser: Browser, edge: Edge, site: HostSite
) -> None:
    context, page = _blocking(browser)
    uncaught = _uncaught(page)
    chat = open_widget(page, site.url)
    frame = page.frames[1]
    assert frame.url.startswith(edge.url + "/w/frame.html")
    assert frame.evaluate(STORAGE) == "refused"  # the premise: no storage for the frame
    say(chat, QUESTION)
    answer = chat.locator('.hw-row[data-role="assistant"][data-id]:not(.hw-streaming)')
    expect(answer).to_have_count(1, timeout=TIMEOUT_MS)

    # The host page's scripts get nothing of the visitor.
    assert "helpway" not in page.evaluate("document.cookie")
    assert page.evaluate(HOST_ASKS, edge.url) == "refused"

    # After a reload: the same visitor, the same conversation, every message once.
    chat = open_widget(page, site.url)
    expect(chat.locator(".hw-row.hw-mine .hw-text")).to_have_text(QUESTION, timeout=TIMEOUT_MS)
    expect(answer).to_have_count(1, timeout=TIMEOUT_MS)

    # Reset (a shared computer): the next visitor starts afresh, after a reload too.
    page.evaluate("Helpway('reset')")
    chat = open_widget(page, site.url)
    expect(chat.locator(".hw-sub")).not_to_have_text("Connecting…", timeout=TIMEOUT_MS)
    expect(chat.locator(".hw-row.hw-mine")).to_have_count(0)
    context.close()
    assert uncaught == []
