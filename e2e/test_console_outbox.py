"""The agent console's outbox is per conversation, in real Chromium against a real edge.

An agent replies in conversation A while the edge is down (the reply waits, "sending…"), then
switches to B and back and to B again before the edge returns. The reply stays A's: shown in A
as sending while it waits, never drawn in or posted into B, and delivered to A — once — when the
edge is back, though the agent is looking at B by then; back in A it shows as sent.
"""

from __future__ import annotations

import json
import time

import httpx
from browser_steps import sign_in
from edge_process import Edge, Edges, stop_edge
from playwright.sync_api import Browser, Page, expect
from websockets.sync.client import connect

TIMEOUT_MS = 30_000
# The console backs off up to 30 s between attempts while its edge is down.
RECONNECT_TIMEOUT_MS = 90_000
RECV_TIMEOUT_S = 15
REPLY = "Your refund is on its way"


def visitor_asks(edge: Edge, text: str) -> tuple[str, str]:
    """A new visitor says `text` and asks for a person; returns (conversation id, token)."""
    session = httpx.post(edge.url + "/api/visitor/session", json={"site_id": "demo"}, timeout=30)
    assert session.status_code == 200, session.text
    body = session.json()
    url = edge.url.replace("http://", "ws://") + "/ws/conversations/" + body["conversation_id"]
    with connect(url, open_timeout=RECV_TIMEOUT_S) as sock:
        sock.send(json.dumps({"type": "join", "v": 1, "token": body["visitor_token"]}))
        sock.send(json.dumps({"type": "handoff.request"}))
        sock.send(json.dumps({"type": "message.send", "client_id": "q", "text": text}))
        while True:
            frame = json.loads(sock.recv(timeout=RECV_TIMEOUT_S))
            if frame["type"] == "ack":
                break
            assert frame["type"] != "error", frame
    return body["conversation_id"], body["visitor_token"]


def texts_in_d1(edge: Edge, conversation_id: str, token: str, want: int) -> list[str]:
    """The conversation's message texts as D1 holds them, once it holds `want` messages (the
    rooms' outbox copies entries asynchronously) or the wait is over."""
    deadline = time.monotonic() + RECV_TIMEOUT_S
    while True:
        response = httpx.get(
            f"{edge.url}/api/conversations/{conversation_id}/history",
            headers={"authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        texts = [e["text"] for e in response.json()["entries"] if e["type"] == "message"]
        if len(texts) >= want or time.monotonic() > deadline:
            return texts
        time.sleep(0.05)


def open_conversation(agent: Page, conversation_id: str, first_text: str | None) -> None:
    """Click the conversation in the inbox; `first_text`: its first message, once drawn (None:
    the edge is down, and the console never had its history)."""
    row = agent.locator(f'button.hc-conv[data-id="{conversation_id}"]')
    row.click()
    expect(row).to_have_attribute("aria-current", "true", timeout=TIMEOUT_MS)
    if first_text is not None:
        expect(agent.locator(".hc-log .hw-row .hw-text").first).to_have_text(
            first_text, timeout=TIMEOUT_MS
        )


def test_a_reply_waiting_for_its_ack_stays_with_its_conversation(
    browser: Browser, edges: Edges
) -> None:
    edge = edges.start()
    a, a_token = visitor_asks(edge, "Where is my refund?")
    b, b_token = visitor_asks(edge, "How do I export notes?")
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)  # clicks and fills
    agent = context.new_page()
    sign_in(agent, edge.url)
    expect(agent.locator("button.hc-conv")).to_have_count(2, timeout=TIMEOUT_MS)
    open_conversation(agent, a, "Where is my refund?")
    expect(agent.locator(".hc-conn")).to_have_text("", timeout=TIMEOUT_MS)

    # The edge goes away; the agent replies in A: the reply waits there, "sending…".
    stop_edge(edge)
    expect(agent.locator(".hc-conn")).not_to_have_text("", timeout=TIMEOUT_MS)
    agent.get_by_label("Reply").fill(REPLY)
    agent.get_by_label("Reply").press("Enter")
    waiting = agent.locator(".hc-log .hw-row.hw-sending")
    expect(waiting.locator(".hw-text")).to_have_text(REPLY, timeout=TIMEOUT_MS)

    # To B: the reply is not drawn there. Back to A: still there, still waiting. Then B again.
    open_conversation(agent, b, None)
    expect(agent.locator(".hc-log .hw-row", has_text=REPLY)).to_have_count(0, timeout=TIMEOUT_MS)
    open_conversation(agent, a, "Where is my refund?")
    expect(waiting.locator(".hw-text")).to_have_text(REPLY, timeout=TIMEOUT_MS)
    open_conversation(agent, b, None)

    # The edge is back: A's socket, in the background, delivers the reply to A, once.
    back = edges.start(int(edge.url.rsplit(":", 1)[1]))
    deadline = time.monotonic() + RECONNECT_TIMEOUT_MS / 1000
    while REPLY not in texts_in_d1(back, a, a_token, 2) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert texts_in_d1(back, a, a_token, 2) == ["Where is my refund?", REPLY]
    assert texts_in_d1(back, b, b_token, 1) == ["How do I export notes?"]
    first_in_b = agent.locator(".hc-log .hw-row .hw-text").first
    expect(first_in_b).to_have_text("How do I export notes?", timeout=RECONNECT_TIMEOUT_MS)
    expect(agent.locator(".hc-log .hw-row", has_text=REPLY)).to_have_count(0, timeout=TIMEOUT_MS)

    # Back in A it shows as sent, once.
    open_conversation(agent, a, "Where is my refund?")
    expect(agent.locator(".hc-log .hw-row", has_text=REPLY)).to_have_count(1, timeout=TIMEOUT_MS)
    expect(agent.locator(".hc-log .hw-row.hw-sending")).to_have_count(0, timeout=TIMEOUT_MS)
    assert texts_in_d1(back, b, b_token, 1) == ["How do I export notes?"]
    context.close()
