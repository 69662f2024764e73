"""CSAT round trip in real Chromium, on a real edge: an agent closes the conversation, the
visitor rates it 4 with a comment from the widget (by keyboard), the agent's console shows the
4 and the comment as text, live and after a reload; the widget thanks the visitor and never asks
twice; bad ratings sent on a real socket from the widget's own frame get clear error frames and
change nothing."""

from __future__ import annotations

import json

from browser_steps import open_widget, say, sign_in
from edge_process import Edge
from playwright.sync_api import Browser, Frame, Page, expect

COMMENT = "Quick and kind <b>really</b> — merci!"
TIMEOUT_MS = 30_000


def _widget_frame(page: Page) -> Frame:
    [frame] = [f for f in page.frames if "/w/" in f.url and f != page.main_frame]
    return frame


def _conversation_id(page: Page) -> str:
    """The visitor's conversation, as the edge gives it for the token the widget keeps."""
    return str(
        _widget_frame(page).evaluate(
            """async () => (await (await fetch("/api/visitor/session", {
                method: "POST", headers: {"content-type": "application/json"},
                body: JSON.stringify({site_id: "demo",
                    visitor_token: localStorage.getItem("helpway:demo:visitor")}),
            })).json()).conversation_id"""
        )
    )


# Opens a socket of its own from the widget's frame (the edge's origin, where the visitor's
# token is kept), sends each frame in turn and returns the reply to each.
_SEND_RAW = """async (frames) => {
    const token = localStorage.getItem("helpway:demo:visitor");
    const session = await (await fetch("/api/visitor/session", {
        method: "POST", headers: {"content-type": "application/json"},
        body: JSON.stringify({site_id: "demo", visitor_token: token}),
    })).json();
    const url = location.origin.replace(/^http/, "ws") + "/ws/conversations/"
        + session.conversation_id;
    const ws = new WebSocket(url);
    const inbox = [];
    let wake = null;
    ws.onmessage = (event) => { inbox.push(JSON.parse(event.data)); if (wake) wake(); };
    await new Promise((ok) => { ws.onopen = ok; });
    const next = async (type) => {
        for (;;) {
            const at = inbox.findIndex((f) => f.type === type || f.type === "error");
            if (at >= 0) return inbox.splice(at, 1)[0];
            await new Promise((ok) => { wake = ok; });
        }
    };
    ws.send(JSON.stringify({type: "join", v: 1, token: token, last_seq: 1e9}));
    await next("welcome");
    const replies = [];
    for (const frame of frames) {
        ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
        replies.push(await next("ack"));
    }
    ws.send(JSON.stringify({type: "ping"}));
    replies.push(await next("pong"));
    ws.close();
    return replies;
}"""


def test_csat_round_trip(browser: Browser, edge: Edge) -> None:
    _round_trip(browser, browser, edge)


def test_csat_round_trip_on_brython(browser: Browser, no_wasm_browser: Browser, edge: Edge) -> None:
    """The visitor's browser has no WebAssembly: the widget runs on Brython."""
    _round_trip(browser, no_wasm_browser, edge)


def _round_trip(agents: Browser, visitors: Browser, edge: Edge) -> None:
    agent_context, visitor_context = agents.new_context(), visitors.new_context()
    dana, visitor = agent_context.new_page(), visitor_context.new_page()
    sign_in(dana, edge.url)
    chat = open_widget(visitor, edge.url)
    say(chat, "Where is my parcel?")
    expect(chat.locator('.hw-row[data-role="visitor"][data-id]')).to_have_count(
        1, timeout=TIMEOUT_MS
    )
    rating = chat.locator(".hw-rate")
    expect(rating).to_be_hidden()  # open: nothing to rate yet

    # The agent closes; the widget asks.
    ours = f'button.hc-conv[data-id="{_conversation_id(visitor)}"]'
    dana.locator(ours).click()
    dana.get_by_role("button", name="Close", exact=True).click()
    expect(chat.locator('.hw-event[data-event="closed"]')).to_have_count(1, timeout=TIMEOUT_MS)
    expect(rating).to_be_visible(timeout=TIMEOUT_MS)
    group = chat.get_by_role("group", name="How was this conversation?")
    expect(group).to_be_visible()
    send_rating = chat.get_by_role("button", name="Send rating")

    # Checked in the widget before anything is sent: a score first, a comment that fits.
    send_rating.click()
    expect(chat.locator(".hw-rate-problem")).to_have_text("Please choose a score from 1 to 5.")
    comment = chat.get_by_label("Anything to add? (optional)")
    comment.fill("x" * 1001)
    chat.get_by_role("radio", name="2 of 5").check()
    send_rating.click()
    expect(chat.locator(".hw-rate-problem")).to_have_text(
        "Your comment is too long: 1001 of 1000 characters."
    )

    # By keyboard: from 2, two steps right is 4; then the comment and the button.
    chat.get_by_role("radio", name="2 of 5").focus()
    visitor.keyboard.press("ArrowRight")
    visitor.keyboard.press("ArrowRight")
    expect(chat.get_by_role("radio", name="4 of 5")).to_be_checked()
    comment.fill(COMMENT)
    comment.press("Tab")
    expect(send_rating).to_be_focused()
    visitor.keyboard.press("Enter")
    expect(chat.locator(".hw-rate-thanks")).to_have_text(
        "Thanks for your feedback!", timeout=TIMEOUT_MS
    )
    expect(chat.locator(".hw-rate-form")).to_be_hidden()
    mine = chat.locator('.hw-event[data-event="rated"]')
    expect(mine).to_contain_text("You rated this conversation 4 of 5")
    expect(mine.locator(".hw-rating-comment")).to_have_text(COMMENT)

    # The console: the rating in the conversation, as text, and on the inbox row, live.
    rated = dana.locator(".hc-log .hw-event[data-event='rated']")
    expect(rated).to_contain_text("rated the conversation 4 of 5", timeout=TIMEOUT_MS)
    expect(rated.locator(".hw-stars")).to_have_text("★★★★☆")
    expect(rated.locator(".hw-rating-comment")).to_have_text(COMMENT)
    assert rated.locator("b").count() == 0  # the comment's markup stayed text
    marker = dana.locator(ours + " .hc-conv-rating")
    expect(marker).to_have_text("★ 4/5", timeout=TIMEOUT_MS)
    expect(marker).to_have_attribute("aria-label", "Rated 4 of 5")

    # Bad ratings on a real socket from the widget's frame: clear errors, the socket stays.
    replies = _widget_frame(visitor).evaluate(
        _SEND_RAW,
        [
            {"type": "rating.send", "client_id": "bad0", "score": 0},
            {"type": "rating.send", "client_id": "bad6", "score": 6},
            {"type": "rating.send", "client_id": "long", "score": 3, "comment": "x" * 1001},
            {"type": "rating.send", "client_id": "huge", "score": 3, "comment": "x" * 20000},
            {"type": "rating.send", "client_id": "again", "score": 1, "comment": "twice?"},
        ],
    )
    codes = [(r["type"], r.get("code"), r.get("client_id")) for r in replies]
    assert codes == [
        ("error", "invalid", "bad0"),
        ("error", "invalid", "bad6"),
        ("error", "invalid", "long"),
        ("error", "too_large", None),
        ("error", "conflict", "again"),
        ("pong", None, None),
    ], json.dumps(replies)

    # After reloads: the console reads it from D1; the widget thanks and does not ask again.
    dana.reload()
    expect(dana.locator(".hc-desk")).to_be_visible(timeout=TIMEOUT_MS)
    expect(dana.locator(ours + " .hc-conv-rating")).to_have_text("★ 4/5", timeout=TIMEOUT_MS)
    dana.locator(ours).click()
    expect(dana.locator(".hc-log .hw-event[data-event='rated'] .hw-rating-comment")).to_have_text(
        COMMENT, timeout=TIMEOUT_MS
    )
    visitor.reload()
    visitor.locator('button[aria-label="Open chat"]').click()
    expect(visitor.locator("helpway-widget[data-ready]")).to_have_count(1, timeout=TIMEOUT_MS)
    expect(chat.locator('.hw-event[data-event="rated"]')).to_have_count(1, timeout=TIMEOUT_MS)
    expect(chat.locator(".hw-rate-thanks")).to_be_visible()
    expect(chat.locator(".hw-rate-form")).to_be_hidden()

    # A reopen takes the prompt away.
    say(chat, "Actually, one more question")
    expect(chat.locator('.hw-event[data-event="reopened"]')).to_have_count(1, timeout=TIMEOUT_MS)
    expect(rating).to_be_hidden()

    for context in (agent_context, visitor_context):
        context.close()
