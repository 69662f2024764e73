"""A real help corpus: the Debian FAQ, ingested with the CLI while the edge runs, answers in the
widget with a citation of the section that answers the question, and the citation opens that
section (the local edge serves the ingested folder at /kb/demo/)."""

from __future__ import annotations

import json
from pathlib import Path

from edge_process import Edge
from playwright.sync_api import Browser, expect

FAQ = Path("/usr/share/doc/debian/FAQ")
TIMEOUT_MS = 30_000


def test_faq_question_is_answered_with_its_section(browser: Browser, edge: Edge) -> None:
    edge.cli("kb", "ingest", "--site", "demo", str(FAQ))
    question = "How do I put a package on hold?"
    hits = json.loads(edge.cli("kb", "search", "--site", "demo", "--json", question).stdout)["hits"]
    assert hits[0]["url"].endswith("pkg-basics.en.html#puttingonhold")
    assert {"url", "title", "score", "text"} <= set(hits[0])

    page = browser.new_page()
    page.goto(edge.url + "/")
    page.locator('button[aria-label="Open chat"]').click()
    expect(page.locator("helpway-widget[data-ready]")).to_have_count(1, timeout=TIMEOUT_MS)
    chat = page.frame_locator("helpway-widget iframe")  # the widget's panel
    box = chat.locator('textarea[aria-label="Message"]')
    box.fill("How do I put a package on hold?")
    box.press("Enter")
    answer = chat.locator('.hw-row[data-role="assistant"][data-id]:not(.hw-streaming)')
    expect(answer).to_have_count(1, timeout=TIMEOUT_MS)
    hrefs = answer.locator("a.hw-source").evaluate_all("links => links.map(a => a.href)")
    assert any(h.endswith("pkg-basics.en.html#puttingonhold") for h in hrefs), hrefs

    # The citation is a working link: it opens the FAQ page at the cited section.
    cited = answer.locator('a.hw-source[href$="pkg-basics.en.html#puttingonhold"]').first
    with page.expect_popup() as opened:
        cited.click()
    faq_page = opened.value
    faq_page.wait_for_load_state()
    assert faq_page.url == edge.url + "/kb/demo/pkg-basics.en.html#puttingonhold"
    expect(faq_page.locator("#puttingonhold")).to_have_count(1)
    # Its stylesheet (debian.css, beside the pages) is served too and applies.
    expect(faq_page.locator("body")).to_have_css("background-color", "rgb(238, 238, 238)")
    faq_page.close()
    page.close()
