"""Two agents and a visitor in three browser contexts, on a real edge: the console's actions.

Dana watches the assistant answer ("AI is answering…"), takes over (the visitor sees a human
joined), assigns the conversation to herself (Bob's inbox shows it live, without a reload),
writes an internal note (Bob sees it; it never reaches the widget: not a frame, not the page,
not after a reload), and closes the conversation (the visitor sees it closed, keeps it after a
reload, and reopens it by writing).
"""

from __future__ import annotations

import json

from browser_steps import open_widget, record_frames, say, sign_in
from edge_process import Edge, add_agent
from playwright.sync_api import Browser, Page, expect

DANA = ("agent@demo.helpway.dev", "helpway-demo", "Dana (demo agent)")
BOB = ("bob@demo.helpway.dev", "bob-password", "Bob")
NOTE = "Internal: VIP customer, refund pre-approved"
TIMEOUT_MS = 30_000


def _watch_answering(page: Page) -> None:
    """Keep every text the "AI is answering…" line shows (it may show only briefly)."""
    page.evaluate(
        """() => {
            const line = document.querySelector('.hc-answering');
            window.answeringSeen = [];
            new MutationObserver(() => window.answeringSeen.push(line.textContent))
                .observe(line, {childList: true, characterData: true, subtree: true});
        }"""
    )


def test_two_agents_take_over_assign_note_and_close(browser: Browser, edge: Edge) -> None:
    add_agent(edge, BOB)
    contexts = [browser.new_context() for _ in range(3)]
    dana, bob, visitor = (context.new_page() for context in contexts)
    visitor_frames: list[dict] = []
    record_frames(visitor, visitor_frames)
    sign_in(dana, edge.url, DANA[0], DANA[1])
    sign_in(bob, edge.url, BOB[0], BOB[1])

    chat = open_widget(visitor, edge.url)
    say(chat, "Hello there")
    answer = chat.locator('.hw-row[data-role="assistant"][data-id]:not(.hw-streaming)')
    expect(answer).to_have_count(1, timeout=TIMEOUT_MS)

    # Both agents see the conversation live; Dana opens it and watches the assistant answer.
    for page in (dana, bob):
        expect(page.locator("button.hc-conv")).to_have_count(1, timeout=TIMEOUT_MS)
    dana.locator("button.hc-conv").click()
    expect(dana.locator(".hc-log .hw-row .hw-text").first).to_have_text("Hello there")
    expect(dana.locator(".hc-assignee")).to_have_text("Unassigned", timeout=TIMEOUT_MS)
    _watch_answering(dana)
    say(chat, "How do I reset my password?")
    expect(answer).to_have_count(2, timeout=TIMEOUT_MS)
    dana.wait_for_function("() => window.answeringSeen.includes('AI is answering…')")
    expect(dana.locator(".hc-answering")).to_have_text("", timeout=TIMEOUT_MS)

    # Take over: the assistant stops, the visitor sees a human joined.
    dana.get_by_role("button", name="Take over").click()
    expect(chat.locator('.hw-event[data-event="agent.joined"]')).to_have_count(
        1, timeout=TIMEOUT_MS
    )
    expect(chat.locator(".hw-sub")).to_have_text("You are chatting with our team")
    expect(dana.get_by_role("button", name="Take over")).to_be_hidden()

    # Assign to me: both agents see the assignee live.
    dana.get_by_role("button", name="Assign to me").click()
    expect(dana.locator(".hc-assignee")).to_have_text("Assigned to you", timeout=TIMEOUT_MS)
    expect(bob.locator("button.hc-conv .hc-conv-assignee")).to_have_text(
        f"Assigned to {DANA[2]}", timeout=TIMEOUT_MS
    )
    expect(dana.locator("button.hc-conv .hc-conv-assignee")).to_have_text("Assigned to you")
    bob.get_by_role("button", name="Assigned to me").click()
    expect(bob.locator("button.hc-conv")).to_have_count(0, timeout=TIMEOUT_MS)
    bob.get_by_role("button", name="Unassigned").click()
    expect(bob.locator("button.hc-conv")).to_have_count(0, timeout=TIMEOUT_MS)
    bob.get_by_role("button", name="Open", exact=True).click()
    expect(bob.locator("button.hc-conv")).to_have_count(1, timeout=TIMEOUT_MS)

    # An internal note: shown to both agents as a note, never to the visitor.
    dana.get_by_label("Internal note").check()
    dana.get_by_label("Reply").fill(NOTE)
    dana.get_by_label("Reply").press("Enter")
    note_row = dana.locator(".hc-log .hw-note[data-id]")
    expect(note_row.locator(".hw-text")).to_have_text(NOTE, timeout=TIMEOUT_MS)
    bob.locator("button.hc-conv").click()
    expect(bob.locator(".hc-log .hw-note .hw-text")).to_have_text(NOTE, timeout=TIMEOUT_MS)
    expect(bob.locator(".hc-log .hw-event[data-event='assigned']")).to_have_count(1)

    # Close: the visitor sees it, with the composer still on.
    dana.get_by_role("button", name="Close", exact=True).click()
    expect(chat.locator('.hw-event[data-event="closed"]')).to_have_count(1, timeout=TIMEOUT_MS)
    expect(chat.locator(".hw-sub")).to_have_text(
        "This conversation was closed. Write to reopen it."
    )
    expect(chat.locator('textarea[aria-label="Message"]')).to_be_enabled()
    expect(dana.get_by_role("button", name="Reopen")).to_be_visible()
    for page in (dana, bob):
        expect(page.locator("button.hc-conv[data-status='closed']")).to_have_count(
            1, timeout=TIMEOUT_MS
        )

    # After a reload the visitor has the same, closed conversation, and still no note.
    visitor.reload()
    visitor.locator('button[aria-label="Open chat"]').click()
    expect(visitor.locator("helpway-widget[data-ready]")).to_have_count(1, timeout=TIMEOUT_MS)
    expect(chat.locator('.hw-event[data-event="closed"]')).to_have_count(1, timeout=TIMEOUT_MS)
    expect(chat.locator('.hw-row[data-role="visitor"]')).to_have_count(2)
    expect(chat.locator(".hw-sub")).to_have_text(
        "This conversation was closed. Write to reopen it."
    )

    # Writing reopens it; both agents see that.
    say(chat, "One more thing")
    expect(chat.locator('.hw-event[data-event="reopened"]')).to_have_count(1, timeout=TIMEOUT_MS)
    expect(dana.locator(".hc-log .hw-event[data-event='reopened']")).to_have_count(
        1, timeout=TIMEOUT_MS
    )
    expect(dana.get_by_role("button", name="Close", exact=True)).to_be_visible()

    # The note never reached the widget by any path: no frame, nothing on the page.
    assert visitor_frames, "no frames recorded"
    assert not [f for f in visitor_frames if f.get("type") in ("note", "assistant.state")]
    assert not [f for f in visitor_frames if f.get("name") in ("assigned", "unassigned")]
    assert NOTE not in json.dumps(visitor_frames)
    assert NOTE not in chat.locator("body").inner_text()
    assert chat.locator(".hw-note").count() == 0

    for context in contexts:
        context.close()
