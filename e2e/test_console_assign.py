"""Assigning a conversation to another agent, in three browser contexts on a real edge.

Dana opens the "Assign to…" list with the `a` shortcut, types "c" (type-ahead to Cara, not the
close shortcut), moves up to Bob with an arrow key and picks him with Enter; Bob, watching
"Assigned to me", sees the conversation arrive without a reload, and Dana's inbox says it is
Bob's. The visitor's widget shows nothing of it: no frame naming the assignment, no agent's
name on the page. An agent who left the site meanwhile (still in the list Dana loaded) cannot
be assigned: the console says why, and the conversation stays Bob's.
"""

from __future__ import annotations

import json

from browser_steps import open_widget, record_frames, say, sign_in
from edge_process import Edge, add_agent
from playwright.sync_api import Browser, expect

DANA = ("agent@demo.helpway.dev", "helpway-demo", "Dana (demo agent)")
BOB = ("bob@demo.helpway.dev", "bob-password", "Bob Builder")
CARA = ("cara@demo.helpway.dev", "cara-password", "Cara Leaving")
TIMEOUT_MS = 30_000


def test_an_agent_assigns_to_a_teammate_who_sees_it_live(browser: Browser, edge: Edge) -> None:
    add_agent(edge, BOB)
    add_agent(edge, CARA)
    contexts = [browser.new_context() for _ in range(3)]
    dana, bob, visitor = (context.new_page() for context in contexts)
    visitor_frames: list[dict] = []
    sign_in(dana, edge.url, DANA[0], DANA[1])
    sign_in(bob, edge.url, BOB[0], BOB[1])
    bob.get_by_role("button", name="Assigned to me").click()
    expect(bob.locator(".hc-empty")).to_be_visible()

    record_frames(visitor, visitor_frames)
    chat = open_widget(visitor, edge.url)
    say(chat, "Can someone check my order?")
    expect(dana.locator("button.hc-conv")).to_have_count(1, timeout=TIMEOUT_MS)
    dana.locator("button.hc-conv").click()
    expect(dana.locator(".hc-assignee")).to_have_text("Unassigned", timeout=TIMEOUT_MS)
    expect(dana.get_by_role("button", name="Assign to…")).to_be_enabled(timeout=TIMEOUT_MS)

    # The `a` shortcut opens the list on the first choice (Dana herself); ↓ and Enter pick Bob.
    dana.locator("body").click()
    dana.keyboard.press("a")
    choices = dana.get_by_role("listbox", name="Assign to")
    expect(choices).to_be_focused()
    expect(choices.get_by_role("option")).to_have_text(["Dana (demo agent) (you)", BOB[2], CARA[2]])
    dana.keyboard.press("c")  # type-ahead to Cara, not the close shortcut
    expect(choices.get_by_role("option", name=CARA[2])).to_have_attribute("aria-selected", "true")
    expect(choices).to_be_visible()
    dana.keyboard.press("ArrowUp")
    expect(choices.get_by_role("option", name=BOB[2])).to_have_attribute("aria-selected", "true")
    dana.keyboard.press("Enter")
    expect(choices).to_be_hidden()
    expect(dana.get_by_role("button", name="Assign to…")).to_be_focused()

    # Both agents see it live: Bob's "Assigned to me" lists it, no reload.
    expect(dana.locator(".hc-assignee")).to_have_text(f"Assigned to {BOB[2]}", timeout=TIMEOUT_MS)
    expect(dana.locator("button.hc-conv .hc-conv-assignee")).to_have_text(f"Assigned to {BOB[2]}")
    expect(bob.locator("button.hc-conv")).to_have_count(1, timeout=TIMEOUT_MS)
    expect(bob.locator("button.hc-conv .hc-conv-assignee")).to_have_text("Assigned to you")
    bob.locator("button.hc-conv").click()
    expect(bob.locator(".hc-assignee")).to_have_text("Assigned to you", timeout=TIMEOUT_MS)
    expect(bob.locator(".hc-log .hw-event[data-event='assigned']")).to_have_count(1)

    # The list now marks Bob as the assignee and offers to unassign; Escape closes it.
    dana.get_by_role("button", name="Assign to…").click()
    expect(choices.get_by_role("option")).to_have_text(
        ["Dana (demo agent) (you)", BOB[2], CARA[2], "Unassign"]
    )
    expect(choices.get_by_role("option", name=BOB[2])).to_have_attribute("aria-current", "true")
    dana.keyboard.press("Escape")
    expect(choices).to_be_hidden()

    # Cara leaves the site; Dana's list still names her, but the edge refuses, with a reason.
    edge.cli("agents", "remove", "--site", "demo", "--email", CARA[0])
    dana.get_by_role("button", name="Assign to…").click()
    choices.get_by_role("option", name=CARA[2]).click()
    expect(dana.locator(".hc-problem")).to_have_text(
        "Not done: no such agent on this site.", timeout=TIMEOUT_MS
    )
    expect(dana.locator(".hc-assignee")).to_have_text(f"Assigned to {BOB[2]}")
    expect(bob.locator("button.hc-conv")).to_have_count(1)

    # The visitor was told nothing of it.
    visitor.wait_for_timeout(500)  # let any stray frame arrive before looking
    assert visitor_frames, "no frames recorded"
    assert not [f for f in visitor_frames if f.get("name") in ("assigned", "unassigned")]
    assert BOB[2] not in json.dumps(visitor_frames)
    assert BOB[2] not in chat.locator("body").inner_text()

    for context in contexts:
        context.close()
