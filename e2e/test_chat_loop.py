"""The first-release loop, as a visitor and an agent live it, in real Chromium on a real edge.

Agent signs in → visitor asks the widget → the answer streams with a citation link → visitor
asks for a human → the conversation appears in the agent's inbox without a reload → the agent
types (the visitor sees it) and replies → the visitor sees the reply → the visitor types (the
agent sees it, and sees it end when they pause and when they send) → after a reload the history
is back with every message exactly once.
"""

from __future__ import annotations

import re
from collections import Counter

from browser_steps import open_widget, record_frames, say, sign_in
from edge_process import Edge
from playwright.sync_api import Browser, expect

QUESTION = "How do I reset my password?"
REPLY = "Hi, I'm Dana <b>from support</b> — happy to help!"
THANKS = "Thanks, that worked!"
TIMEOUT_MS = 30_000


def test_visitor_gets_a_cited_answer_then_a_human(browser: Browser, edge: Edge) -> None:
    agent_context = browser.new_context()
    visitor_context = browser.new_context()
    agent = agent_context.new_page()
    visitor = visitor_context.new_page()
    frames: list[dict] = []
    record_frames(visitor, frames, only="/ws/conversations/")

    sign_in(agent, edge.url)
    expect(agent.get_by_label("Reply")).to_have_count(1, timeout=TIMEOUT_MS)
    expect(agent.locator("button.hc-conv")).to_have_count(0)

    # The visitor asks; the answer streams in pieces, then lands with its sources as links.
    chat = open_widget(visitor, edge.url)
    say(chat, QUESTION)
    mine = chat.locator(".hw-row.hw-mine")
    expect(mine).to_have_count(1, timeout=TIMEOUT_MS)
    expect(mine.locator(".hw-text")).to_have_text(QUESTION)
    expect(chat.locator(".hw-row.hw-sending")).to_have_count(0, timeout=TIMEOUT_MS)
    answer = chat.locator('.hw-row[data-role="assistant"][data-id]:not(.hw-streaming)')
    expect(answer).to_have_count(1, timeout=TIMEOUT_MS)
    source = answer.locator("a.hw-source").first
    expect(source).to_have_attribute("href", re.compile(r"/help/password-reset#[\w-]+$"))
    deltas = [f for f in frames if f["type"] == "assistant.delta"]
    final = [f for f in frames if f["type"] == "message" and f["author"]["role"] == "assistant"]
    assert len(deltas) >= 2, "the answer was not streamed"
    assert final and final[0]["answer_id"] == deltas[0]["answer_id"]
    assert final[0]["resolution"] == "answered"
    assert "".join(d["text"] for d in deltas) == final[0]["text"]

    # The citation is a real page with the cited section on it.
    href = source.get_attribute("href")
    assert href is not None
    cited = visitor_context.new_page()
    cited.goto(href if href.startswith("http") else edge.url + href)
    expect(cited.locator(f"[id='{href.rsplit('#', 1)[1]}']")).to_have_count(1)
    cited.close()

    # Visitor asks for a person; the conversation shows up in the agent's inbox live.
    chat.get_by_role("button", name="Talk to a human").click()
    expect(chat.locator('.hw-event[data-event="handoff.requested"]')).to_have_count(
        1, timeout=TIMEOUT_MS
    )
    row = agent.locator('button.hc-conv[data-status="waiting_human"]')
    expect(row).to_have_count(1, timeout=TIMEOUT_MS)
    row.click()
    expect(agent.locator(".hc-log .hw-row .hw-text").first).to_have_text(QUESTION)

    # The agent types: the visitor sees it; then the reply arrives, as text, not HTML.
    agent.get_by_label("Reply").press_sequentially("Hi, I'm", delay=30)
    expect(chat.locator(".hw-typing")).to_contain_text("typing", timeout=TIMEOUT_MS)
    agent.get_by_label("Reply").fill(REPLY)
    agent.get_by_label("Reply").press("Enter")
    from_agent = chat.locator('.hw-row[data-role="agent"] .hw-text')
    expect(from_agent).to_have_text(REPLY, timeout=TIMEOUT_MS)
    expect(chat.locator('.hw-row[data-role="agent"] b')).to_have_count(0)
    expect(chat.locator('.hw-event[data-event="agent.joined"]')).to_have_count(1)

    # The visitor types: the agent sees it, and sees it stop when they pause, then when they
    # send (the message lands and the indicator goes with it).
    console_typing = agent.locator(".hc-typing")
    expect(console_typing).to_have_text("")
    box = chat.locator('textarea[aria-label="Message"]')
    box.press_sequentially("Thanks", delay=30)
    expect(console_typing).to_contain_text("typing", timeout=TIMEOUT_MS)
    expect(console_typing).to_have_text("", timeout=TIMEOUT_MS)
    box.press_sequentially(", that worked!", delay=30)
    expect(console_typing).to_contain_text("typing", timeout=TIMEOUT_MS)
    box.press("Enter")
    expect(agent.locator(".hc-log .hw-row .hw-text").last).to_have_text(THANKS, timeout=TIMEOUT_MS)
    expect(console_typing).to_have_text("", timeout=TIMEOUT_MS)

    # After a reload the whole history is back, each message exactly once.
    visitor.reload()
    visitor.locator('button[aria-label="Open chat"]').click()
    expect(visitor.locator("helpway-widget[data-ready]")).to_have_count(1, timeout=TIMEOUT_MS)
    expect(chat.locator('.hw-row[data-role="agent"] .hw-text')).to_have_text(
        REPLY, timeout=TIMEOUT_MS
    )
    ids = chat.locator(".hw-row[data-id]").evaluate_all("rows => rows.map(r => r.dataset.id)")
    assert ids, "no history after reload"
    assert [i for i, n in Counter(ids).items() if n > 1] == []
    roles = chat.locator(".hw-row[data-id]").evaluate_all("rows => rows.map(r => r.dataset.role)")
    assert roles == ["visitor", "assistant", "agent", "visitor"]

    agent_context.close()
    visitor_context.close()
