"""The widget in a browser without WebAssembly (iOS Lockdown Mode, a policy that turns it off):
the same app modules run on Brython, and the visitor still chats, on a real edge.

The visitor's Chromium is conftest's `no_wasm_browser` (V8 without a JIT, which has no
WebAssembly at all, as in Lockdown Mode); the test checks the frame really has none. The agent's
console, which needs WebAssembly, runs in an ordinary Chromium.
"""

from __future__ import annotations

from collections import Counter

from browser_steps import panel, record_frames, say, sign_in
from edge_process import Edge
from playwright.sync_api import Browser, Frame, Page, expect

QUESTION = "How do I reset my password?"
REPLY = "Hello from Dana, on a browser without WebAssembly"
TIMEOUT_MS = 60_000  # Brython without a JIT is slow to start


def _frame(page: Page) -> Frame:
    handle = page.locator("helpway-widget iframe").element_handle()
    assert handle is not None
    frame = handle.content_frame()
    assert frame is not None
    return frame


def _open_widget(page: Page) -> None:
    page.locator('button[aria-label="Open chat"]').click()
    expect(page.locator("helpway-widget[data-ready]")).to_have_count(1, timeout=TIMEOUT_MS)
    frame = _frame(page)
    assert frame.evaluate("typeof WebAssembly") == "undefined"
    assert frame.locator("body").get_attribute("data-runtime") == "brython"


def test_a_visitor_without_webassembly_still_chats(
    browser: Browser, no_wasm_browser: Browser, edge: Edge
) -> None:
    agent_context = browser.new_context()
    visitor_context = no_wasm_browser.new_context()
    agent = agent_context.new_page()
    visitor = visitor_context.new_page()
    requests: list[str] = []
    visitor.on("request", lambda request: requests.append(request.url))
    frames: list[dict] = []
    record_frames(visitor, frames, only="/ws/conversations/")

    sign_in(agent, edge.url, timeout_ms=TIMEOUT_MS)
    expect(agent.get_by_label("Reply")).to_have_count(1, timeout=TIMEOUT_MS)

    visitor.goto(edge.url + "/")
    expect(visitor.locator('button[aria-label="Open chat"]')).to_be_visible()
    _open_widget(visitor)
    chat = panel(visitor)
    expect(chat.get_by_role("dialog", name="Chat")).to_be_visible()

    # The visitor asks; the assistant's answer streams in, then lands.
    say(chat, QUESTION)
    mine = chat.locator(".hw-row.hw-mine")
    expect(mine.locator(".hw-text")).to_have_text(QUESTION, timeout=TIMEOUT_MS)
    expect(chat.locator(".hw-row.hw-sending")).to_have_count(0, timeout=TIMEOUT_MS)
    answer = chat.locator('.hw-row[data-role="assistant"][data-id]:not(.hw-streaming)')
    expect(answer).to_have_count(1, timeout=TIMEOUT_MS)
    deltas = [f for f in frames if f["type"] == "assistant.delta"]
    final = [f for f in frames if f["type"] == "message" and f["author"]["role"] == "assistant"]
    assert len(deltas) >= 2, "the answer was not streamed"
    expect(answer.locator(".hw-text")).to_have_text(final[0]["text"])

    # A person takes over and replies.
    chat.get_by_role("button", name="Talk to a human").click()
    row = agent.locator('button.hc-conv[data-status="waiting_human"]')
    expect(row).to_have_count(1, timeout=TIMEOUT_MS)
    row.click()
    agent.get_by_label("Reply").fill(REPLY)
    agent.get_by_label("Reply").press("Enter")
    expect(chat.locator('.hw-row[data-role="agent"] .hw-text')).to_have_text(
        REPLY, timeout=TIMEOUT_MS
    )

    # A reload keeps the conversation, each message once, still on Brython.
    visitor.reload()
    _open_widget(visitor)
    expect(chat.locator('.hw-row[data-role="agent"] .hw-text')).to_have_text(
        REPLY, timeout=TIMEOUT_MS
    )
    ids = chat.locator(".hw-row[data-id]").evaluate_all("rows => rows.map(r => r.dataset.id)")
    assert [i for i, n in Counter(ids).items() if n > 1] == []
    roles = chat.locator(".hw-row[data-id]").evaluate_all("rows => rows.map(r => r.dataset.role)")
    assert roles == ["visitor", "assistant", "agent"]

    # Brython's files came from the edge; MicroPython's WebAssembly was never used to run.
    names = {url.rsplit("/", 1)[-1] for url in requests if url.startswith(edge.url)}
    assert {"brython.min.js", "stdlib.js", "brython_modules.js"} <= names

    agent_context.close()
    visitor_context.close()
