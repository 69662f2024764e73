"""Stored XSS, in real Chromium on a real edge: a visitor types the corpus into the widget, an
agent answers with the same corpus from the console, and both UIs then draw every payload as
text — no dialog fires, no payload code runs, no element the payload names is created, and
the text shown is exactly the text sent (bidi overrides and zero-width characters included).
"""

from __future__ import annotations

from browser_steps import open_widget, sign_in
from edge_process import Edge
from playwright.sync_api import Browser, Dialog, Locator, Page, expect

TIMEOUT_MS = 30_000
CORPUS = [
    "<img src=x onerror=\"alert('img');window.__xss=1\">",
    "<svg onload=alert('svg')></svg>",
    "<script>alert('script');window.__xss=1</script>",
    "<a href=\"javascript:alert('link')\">click</a>",
    "[click me](javascript:alert('md'))",
    "![pic](x\" onerror=\"alert('mdimg'))",
    '"><iframe srcdoc="<script>alert(\'iframe\')</script>">',
    "<style>*{display:none}</style>",
    "invoice\u202egpj.exe\u202c and \u2066isolated\u2069",
    "zero\u200dwidth\u200bjoiner\u200cand",
]
# Elements a payload would create if it were parsed as HTML instead of shown as text.
INJECTED = "img, svg, script, iframe, style, a[href^='javascript:' i]"


def _watch_dialogs(page: Page, fired: list[str]) -> None:
    def on_dialog(dialog: Dialog) -> None:
        fired.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)


def _no_payload_ran(page: Page) -> None:
    for frame in page.frames:
        assert frame.evaluate("() => window.__xss === undefined"), frame.url


def _send_all(box: Locator) -> None:
    for text in CORPUS:
        box.fill(text)
        box.press("Enter")


def _shown(rows: Locator) -> list[str]:
    return list(rows.evaluate_all("rows => rows.map(r => r.textContent)"))


def test_corpus_renders_as_text_in_widget_and_console(browser: Browser, edge: Edge) -> None:
    fired: list[str] = []
    visitor_context = browser.new_context()
    visitor = visitor_context.new_page()
    _watch_dialogs(visitor, fired)
    chat = open_widget(visitor, edge.url)

    # Ask for a human first, so the assistant stays quiet and the log is just the corpus.
    chat.get_by_role("button", name="Talk to a human").click()
    expect(chat.locator('.hw-event[data-event="handoff.requested"]')).to_have_count(
        1, timeout=TIMEOUT_MS
    )
    _send_all(chat.locator('textarea[aria-label="Message"]'))
    mine = chat.locator(".hw-row.hw-mine[data-id] .hw-text")
    expect(mine).to_have_count(len(CORPUS), timeout=TIMEOUT_MS)

    agent_context = browser.new_context()
    agent = agent_context.new_page()
    _watch_dialogs(agent, fired)
    sign_in(agent, edge.url)
    row = agent.locator('button.hc-conv[data-status="waiting_human"]')
    expect(row).to_have_count(1, timeout=TIMEOUT_MS)
    row.click()
    seen_by_agent = agent.locator('.hc-log .hw-row[data-role="visitor"] .hw-text')
    expect(seen_by_agent).to_have_count(len(CORPUS), timeout=TIMEOUT_MS)
    _send_all(agent.get_by_label("Reply"))

    from_agent = chat.locator('.hw-row[data-role="agent"][data-id] .hw-text')
    expect(from_agent).to_have_count(len(CORPUS), timeout=TIMEOUT_MS)
    own_replies = agent.locator('.hc-log .hw-row[data-role="agent"][data-id] .hw-text')
    expect(own_replies).to_have_count(len(CORPUS), timeout=TIMEOUT_MS)
    # The inbox row's preview shows the last text too (the conversation is open again now).
    expect(agent.locator("button.hc-conv").first).to_contain_text(
        CORPUS[-1][:4], timeout=TIMEOUT_MS
    )

    assert _shown(mine) == CORPUS
    assert _shown(from_agent) == CORPUS
    assert _shown(seen_by_agent) == CORPUS
    assert _shown(own_replies) == CORPUS
    expect(chat.locator(f".hw-row :is({INJECTED})")).to_have_count(0)
    injected_in_console = f".hc-log .hw-row :is({INJECTED}), .hc-conv :is({INJECTED})"
    expect(agent.locator(injected_in_console)).to_have_count(0)
    _no_payload_ran(visitor)
    _no_payload_ran(agent)
    assert fired == []

    agent_context.close()
    visitor_context.close()
