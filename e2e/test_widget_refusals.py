"""A message the room refuses is shown refused, on that very message, and the chat goes on:
here a text pasted with control characters (NUL, an escape sequence), which `wire.TEXT`
forbids on every runtime. The socket stays open and what was accepted stays."""

from __future__ import annotations

from browser_steps import open_widget, say
from edge_process import Edge
from playwright.sync_api import Browser, WebSocket, expect

TIMEOUT_MS = 30_000
PASTED = "Order 42\x00\x1b[0m is late"
NOT_SENT = "Not sent: it contains hidden control characters. Type it again without them."


def test_a_text_with_control_characters_is_refused_on_the_message(
    browser: Browser, edge: Edge
) -> None:
    context = browser.new_context()
    page = context.new_page()
    sockets: list[WebSocket] = []
    page.on("websocket", lambda ws: sockets.append(ws))
    chat = open_widget(page, edge.url)
    box = chat.locator('textarea[aria-label="Message"]')

    say(chat, "Hello")
    expect(chat.locator(".hw-row.hw-mine[data-id]")).to_have_count(1, timeout=TIMEOUT_MS)

    box.evaluate("(node, text) => { node.value = text; }", PASTED)
    box.press("Enter")
    refused = chat.locator(".hw-row.hw-failed")
    expect(refused).to_have_count(1, timeout=TIMEOUT_MS)
    expect(refused.locator(".hw-meta")).to_have_text(NOT_SENT)
    expect(refused.locator(".hw-retry")).to_have_count(0)  # the same text would fail again

    say(chat, "Order 42 is late")
    expect(chat.locator(".hw-row.hw-mine[data-id] .hw-text")).to_have_text(
        ["Hello", "Order 42 is late"], timeout=TIMEOUT_MS
    )
    expect(refused).to_have_count(1)
    conversation = [ws for ws in sockets if "/ws/conversations/" in ws.url]
    assert len(conversation) == 1 and not conversation[0].is_closed()
    context.close()
