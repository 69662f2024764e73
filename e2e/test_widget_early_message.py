"""The first moments of a panel opened on a slow link: it shows long before Python runs, and
what the visitor does then must not be lost — neither the keyboard's focus nor a message."""

from __future__ import annotations

from browser_steps import Held, panel, say
from edge_process import Edge
from host_pages import HostSite, widget_page
from playwright.sync_api import Browser, Page, expect

TIMEOUT_MS = 30_000
QUESTION = "How do I reset my password?"
SECOND = "And my e-mail address?"
DRAFT = "Also"
TOO_LONG = "x" * 4001


def _page(browser: Browser, site: HostSite, edge: Edge, path: str) -> tuple[Page, str]:
    url = site.page(path, widget_page(edge.url, "Slow", "<h1>Slow</h1>"))
    return browser.new_context().new_page(), url


def test_messages_sent_before_python_is_ready_go_once_it_is(
    browser: Browser, edge: Edge, site: HostSite
) -> None:
    page, url = _page(browser, site, edge, "/early")
    runtime = Held(page, "**/micropython.wasm")
    page.goto(url)
    page.locator('button[aria-label="Open chat"]').click()
    chat = panel(page)
    box = chat.locator('textarea[aria-label="Message"]')
    say(chat, QUESTION)
    say(chat, SECOND)
    # Each is shown on its way, and the box is free for the next (it was kept, and a second
    # Enter sent both texts as one message).
    waiting = chat.locator(".hw-row.hw-mine.hw-sending .hw-text")
    expect(waiting).to_have_text([QUESTION, SECOND])
    expect(box).to_have_value("")
    say(chat, TOO_LONG)  # the shell does not judge it: the app does, once it runs
    box.fill(DRAFT)  # still being written when the app starts
    assert page.locator("helpway-widget[data-ready]").count() == 0  # its runtime is held
    runtime.wait()
    runtime.release()
    mine = chat.locator(".hw-row.hw-mine[data-seq]")
    expect(mine).to_have_count(2, timeout=TIMEOUT_MS)
    expect(mine.locator(".hw-text")).to_have_text([QUESTION, SECOND])
    # The one too long for a message is back in the box, before the draft, and said to be.
    expect(box).to_have_value(TOO_LONG + "\n" + DRAFT)
    expect(chat.locator(".hw-problem")).to_contain_text("too long")
    page.context.close()


def test_a_click_before_the_frame_loads_leaves_the_keyboard_in_the_box(
    browser: Browser, edge: Edge, site: HostSite
) -> None:
    """A keyboard user opens the chat before its frame's document came: the frame took the
    focus on its empty first document and lost it to the host page when the panel's document
    replaced it. The shell, told it is open, puts the keyboard in the box again."""
    page, url = _page(browser, site, edge, "/slow-frame")
    document = Held(page, "**/w/frame.html*")
    page.goto(url)
    page.locator('button[aria-label="Open chat"]').click()
    document.wait()
    document.release()
    chat = panel(page)
    expect(chat.locator('textarea[aria-label="Message"]')).to_be_enabled(timeout=TIMEOUT_MS)
    page.keyboard.type(QUESTION)
    page.keyboard.press("Enter")
    mine = chat.locator(".hw-row.hw-mine[data-seq]")
    expect(mine).to_have_count(1, timeout=TIMEOUT_MS)
    expect(mine.locator(".hw-text")).to_have_text(QUESTION)
    page.context.close()
