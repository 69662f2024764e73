"""The widget across an edge crash, in real Chromium: it rejoins by itself and misses nothing.

A visitor is chatting with an agent when the local edge is killed (SIGKILL). While the widget's
edge is down the visitor writes a message (it waits, "sending"), and the agent's next message
reaches the room: the same data folder is served for a moment on another port, where the
agent is, but not the widget. Then the edge comes back on the widget's port. Without a reload
or any nudge (the browser never went offline, so only the widget's own backoff brings it back)
the widget rejoins, catches up the message it missed, delivers the one it held, and shows the
conversation exactly as the room's log has it: every entry once, none missing, in order.
"""

from __future__ import annotations

import re

from browser_steps import panel, record_frames, say
from edge_process import Edges, agent_says, room_log, stop_edge
from playwright.sync_api import Browser, expect

TIMEOUT_MS = 30_000
# The widget backs off up to 30 s between attempts while its edge is down.
RECONNECT_TIMEOUT_MS = 90_000


def test_widget_rejoins_after_the_edge_dies_and_shows_every_message_once(
    browser: Browser, edges: Edges
) -> None:
    first = edges.start()
    context = browser.new_context()
    visitor = context.new_page()
    received: list[dict] = []
    record_frames(visitor, received, only="/ws/conversations/")

    def welcomes() -> list[dict]:
        return [f for f in received if f["type"] == "welcome"]

    # A running conversation: the visitor asked for a human and the agent answered.
    visitor.goto(first.url + "/")
    with visitor.expect_response(lambda r: r.url.endswith("/api/visitor/session")) as started:
        visitor.locator('button[aria-label="Open chat"]').click()
    session = started.value.json()
    cid, token = session["conversation_id"], session["visitor_token"]
    chat = panel(visitor)
    subtitle = chat.locator(".hw-sub")
    human = chat.get_by_role("button", name="Talk to a human")
    expect(human).to_be_enabled(timeout=TIMEOUT_MS)
    human.click()
    expect(chat.locator('.hw-event[data-event="handoff.requested"]')).to_have_count(
        1, timeout=TIMEOUT_MS
    )
    agent_says(first, cid, "a1", "Hi, I'm Dana. How can I help?")
    agent_rows = chat.locator('.hw-row[data-role="agent"] .hw-text')
    expect(agent_rows).to_have_text(["Hi, I'm Dana. How can I help?"], timeout=TIMEOUT_MS)
    say(chat, "My order is late.")
    expect(chat.locator(".hw-row.hw-sending")).to_have_count(0, timeout=TIMEOUT_MS)
    expect(subtitle).to_have_text("You are chatting with our team")
    assert len(welcomes()) == 1

    # The edge dies without a word: the widget notices and keeps retrying.
    first.process.kill()
    first.process.wait()
    expect(subtitle).to_have_text(re.compile("^(Re)?[Cc]onnecting…$"), timeout=TIMEOUT_MS)
    say(chat, "Are you still there?")
    expect(chat.locator(".hw-row.hw-sending .hw-text")).to_have_text("Are you still there?")

    # Meanwhile the agent's message reaches the room, where the widget cannot see it.
    elsewhere = edges.start()
    missed = agent_says(elsewhere, cid, "a2", "Still here, checking your order.")
    stop_edge(elsewhere)

    # The edge is back where the widget looks for it: the widget rejoins on its own, catches
    # up what it missed and delivers what it held.
    back = edges.start(int(first.url.rsplit(":", 1)[1]))
    expect(subtitle).to_have_text("You are chatting with our team", timeout=RECONNECT_TIMEOUT_MS)
    expect(agent_rows).to_have_text(
        ["Hi, I'm Dana. How can I help?", "Still here, checking your order."],
        timeout=TIMEOUT_MS,
    )
    expect(chat.locator(".hw-row.hw-sending")).to_have_count(0, timeout=TIMEOUT_MS)
    assert len(welcomes()) == 2
    # Caught up: the room's log after the widget's last seq came right after the welcome.
    rejoined = received.index(welcomes()[1])
    caught_up = [f["id"] for f in received[rejoined:] if f["type"] == "message"]
    assert missed["id"] in caught_up

    # Live again: the agent's next message arrives at once.
    last = agent_says(back, cid, "a3", "Found it: it ships today.")
    expect(agent_rows).to_have_text(
        [
            "Hi, I'm Dana. How can I help?",
            "Still here, checking your order.",
            "Found it: it ships today.",
        ],
        timeout=TIMEOUT_MS,
    )

    # The widget shows the room's log: each entry once, none missing, in seq order.
    log = room_log(back, cid, token, last["seq"])
    drawn = chat.locator(".hw-log [data-id]").evaluate_all(
        "rows => rows.map(r => [r.dataset.id, Number(r.dataset.seq)])"
    )
    assert drawn == [[e["id"], e["seq"]] for e in log]
    texts = [(e["author"]["role"], e["text"]) for e in log if e["type"] == "message"]
    assert texts == [
        ("agent", "Hi, I'm Dana. How can I help?"),
        ("visitor", "My order is late."),
        ("agent", "Still here, checking your order."),
        ("visitor", "Are you still there?"),
        ("agent", "Found it: it ships today."),
    ]
    context.close()
