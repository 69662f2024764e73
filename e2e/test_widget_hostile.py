"""The widget on a hostile host page, from another loopback origin, against a real edge.

The page replaces builtins the widget could lean on (`Array.prototype.forEach`/`map`,
`JSON.stringify`), resets every style it can reach (`* { all: unset !important }`), covers the
corner with a maximal z-index, carries PyScript tags of its own, and includes the loader twice
(in `<head>` without `async`, and at the end of `<body>`). The chat still works end to end, and
nothing of ours shows or runs on the host: the host's Python tags stay inert, its document gains
one element (ours, with a shadow root) and a preconnect hint to the edge, and no builtin it
replaced is called.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from browser_steps import panel, say
from edge_process import Edge
from host_pages import host_site
from playwright.sync_api import Browser, expect

TIMEOUT_MS = 30_000
QUESTION = "How do I reset my password?"
HOSTILE_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Hostile host</title>
<style>* { all: unset !important; }</style>
<script>
  window.hostileCalls = [];
  Array.prototype.forEach = function () { hostileCalls.push("forEach"); throw new Error("no"); };
  Array.prototype.map = function () { hostileCalls.push("map"); return "HOSTILE"; };
  JSON.stringify = function () { hostileCalls.push("stringify"); return "HOSTILE"; };
</script>
<script src="EDGE/widget.js" data-site="demo"></script>
<script type="mpy">import js; js.document.title = "host mpy ran"</script>
<script type="py">import js; js.document.title = "host py ran"</script>
</head><body>
<h1>A page that fights back</h1>
<div id="cover" style="position: fixed !important; right: 0 !important; bottom: 0 !important;
  width: 480px !important; height: 720px !important; z-index: 2147483647 !important;
  display: block !important"></div>
<script src="EDGE/widget.js" data-site="demo" async></script>
</body></html>"""


@pytest.fixture(scope="module")
def hostile(edge: Edge) -> Iterator[str]:
    """The hostile page's origin: `localhost`, while the edge is `127.0.0.1`."""
    with host_site() as site:
        site.page("/", HOSTILE_PAGE.replace("EDGE", edge.url))
        yield site.url


def test_the_chat_works_on_a_hostile_page_and_leaves_it_alone(
    browser: Browser, edge: Edge, hostile: str
) -> None:
    context = browser.new_context()
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(hostile + "/")
    before = page.evaluate("document.getElementsByTagName('*').length")

    launcher = page.locator('button[aria-label="Open chat"]')
    launcher.click()  # a real click: the launcher is on top of the host's maximal z-index
    expect(page.locator("helpway-widget")).to_have_count(1)  # the second copy did nothing
    expect(page.locator("helpway-widget[data-ready]")).to_have_count(1, timeout=TIMEOUT_MS)
    chat = panel(page)
    say(chat, QUESTION)
    answer = chat.locator('.hw-row[data-role="assistant"][data-id]:not(.hw-streaming)')
    expect(answer).to_have_count(1, timeout=TIMEOUT_MS)
    source = answer.locator("a.hw-source").first
    expect(source).to_have_attribute("href", re.compile("^" + re.escape(edge.url) + "/help/"))
    expect(chat.locator(".hw-row.hw-mine .hw-text")).to_have_text(QUESTION)

    # The host's own Python tags stayed inert, and nothing fetched a runtime for them.
    assert page.title() == "Hostile host"
    assert [url for url in requests if not url.startswith((edge.url, hostile))] == []
    assert not [url for url in requests if "pyodide" in url]
    # Its document gained two elements: ours, whose insides it cannot style or see, and the
    # hint that opens a connection to the edge early.
    after = page.evaluate("document.getElementsByTagName('*').length")
    assert after == before  # `before` was counted once the loader had mounted
    added = page.evaluate(
        """() => {
          const ours = [];
          for (const node of document.getElementsByTagName('*')) {
            const tag = node.tagName;
            if (/^(HELPWAY-WIDGET|PY-CONFIG|IFRAME)$/.test(tag)) ours.push(tag);
            if (tag === 'LINK') ours.push(node.rel + ' ' + node.href);
            if (tag === 'SCRIPT' && node.type !== '') ours.push(node.type);
          }
          return ours.join(' ');
        }"""
    )
    # The host's own two Python tags, and us.
    assert added == f"preconnect {edge.url}/ mpy py HELPWAY-WIDGET"
    assert "plugins" not in page.evaluate("document.body.innerText")
    assert page.evaluate("hostileCalls.length") == 0  # none of the replaced builtins was used
    # Our launcher is where it belongs despite the reset: fixed in the bottom-right corner.
    box_of = launcher.bounding_box()
    viewport = page.viewport_size
    assert box_of and viewport
    assert box_of["x"] > viewport["width"] / 2 and box_of["y"] > viewport["height"] / 2
    assert box_of["width"] == 56
    context.close()
