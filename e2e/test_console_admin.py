"""The console's settings page in real Chromium, on a real edge: an owner runs the demo site from
it, a plain agent only looks.

Olivia (owner) changes the greeting (after the edge refused a bad time zone beside its field) and
a fresh widget greets with it; copies the snippet; uploads a Markdown file and sees it indexed;
invites an agent and the link works; is told a site keeps its last owner; makes a canned reply,
is told its shortcut is taken, edits it and uses it from the reply box; switches to a second
site, whose name (markup) stays text; makes the demo's own agent (an owner of the demo site too)
a plain agent. Pat (agent) gets the page read-only, and the edge refuses him the same changes
made straight to the API.
"""

from __future__ import annotations

import json
import re

import httpx
from browser_steps import Held, open_widget, say, sign_in
from edge_process import Edge, add_agent
from host_pages import widget_tag
from playwright.sync_api import Browser, Page, expect

OWNER = ("olivia@demo.helpway.dev", "olivia-password", "Olivia")
PAT = ("pat@demo.helpway.dev", "pat-password", "Pat")
DEMO_AGENT = "Dana (demo agent)"
GREETING = "Hello from the settings page! Ask us about Acme Cloud Notes."
RETURNS_MD = b"# Returns\n\nYou can return a device within 30 days for a full refund.\n"
TIMEOUT_MS = 30_000
HOSTILE_NAME = '<img src=x onerror="window.pwned=1">Second shop'


def _settings(page: Page) -> None:
    page.get_by_role("button", name="Settings").click()
    expect(page.get_by_role("main", name="Settings")).to_be_visible()
    expect(page.locator(".hc-desk")).to_be_hidden()
    expect(page.get_by_label("Name", exact=True)).to_have_value("Acme Cloud Notes")


def test_an_owner_runs_the_site_from_the_settings_page(browser: Browser, edge: Edge) -> None:
    add_agent(edge, OWNER, role="owner")
    owner_context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = owner_context.new_page()
    sign_in(page, edge.url, OWNER[0], OWNER[1])
    _settings(page)
    expect(page.locator(".ha-role")).to_have_text("You are the site's owner.")
    # console.css applies to its end (a rule left open once swallowed every later one).
    radius = page.locator(".ha-section").first.evaluate("e => getComputedStyle(e).borderRadius")
    assert radius == "12px"
    assert "#settings" in page.url

    # The snippet, copied.
    snippet = widget_tag(edge.url)
    site = page.get_by_role("region", name="Site", exact=True)
    expect(page.get_by_label("Snippet")).to_have_value(snippet)
    # Beside the origins: an empty box opens the site to every page.
    expect(site.locator(".ha-field-origins .ha-hint")).to_contain_text(
        "Left empty (or *), any page on the web may use the widget."
    )
    site.get_by_role("button", name="Copy").click()
    expect(site.locator(".ha-actions [role=status]").last).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == snippet

    # The widget: mistakes are shown beside their field, the page's and the edge's alike.
    widget = page.get_by_role("form", name="Widget")
    expect(widget).to_be_visible(timeout=TIMEOUT_MS)
    expect(widget.get_by_label("Greeting")).not_to_have_value("")
    widget.get_by_label("Greeting").fill(GREETING)
    widget.get_by_label("Colour").fill("teal")
    widget.get_by_role("button", name="Save widget").click()
    expect(widget.locator(".ha-field-color .ha-field-error")).to_have_text(
        "Write a colour as #rgb or #rrggbb, like #2563eb."
    )
    expect(widget.get_by_label("Colour")).to_have_attribute("aria-invalid", "true")
    widget.get_by_label("Colour").fill("#fff")  # white on white: the edge refuses it
    widget.get_by_role("button", name="Save widget").click()
    expect(widget.locator(".ha-field-color .ha-field-error")).to_contain_text(
        "too light", timeout=TIMEOUT_MS
    )
    widget.get_by_label("Colour").fill("#0f766e")
    widget.get_by_label("Position").select_option("left")
    widget.get_by_label("Launcher text").fill("Questions?")
    widget.get_by_label("Business hours", exact=False).check()
    widget.get_by_label("Time zone").fill("Mars/Olympus")
    widget.get_by_label("Opening hours").fill("mon-fri 09:00-17:00")
    widget.get_by_role("button", name="Save widget").click()
    zone_error = widget.locator(".ha-field-time_zone .ha-field-error")
    expect(zone_error).to_be_visible(timeout=TIMEOUT_MS)
    expect(zone_error).to_contain_text("Mars/Olympus")  # the edge's refusal, beside the field
    expect(widget.locator(".ha-field-color .ha-field-error")).to_be_hidden()
    widget.get_by_label("Business hours", exact=False).uncheck()
    widget.get_by_role("button", name="Save widget").click()
    expect(widget.locator(".ha-status")).to_have_text(
        "Saved. Visitors get it the next time the widget loads.", timeout=TIMEOUT_MS
    )
    expect(zone_error).to_be_hidden()

    # A fresh widget greets with it.
    visitor_context = browser.new_context()
    visitor = visitor_context.new_page()
    chat = open_widget(visitor, edge.url)
    expect(chat.locator('.hw-row[data-role="assistant"] .hw-text').first).to_have_text(
        GREETING, timeout=TIMEOUT_MS
    )
    # The launcher wears the saved colour, side and text (inlined in the site's loader).
    launcher = visitor.locator("helpway-widget button[aria-expanded]")
    expect(launcher).to_have_text("Questions?")
    expect(launcher).to_have_css("background-color", "rgb(15, 118, 110)")
    where = launcher.bounding_box()
    assert where is not None and where["x"] < (visitor.viewport_size or {"width": 0})["width"] / 2

    # The KB: a Markdown file uploaded and listed as indexed; a PDF refused by name.
    kb = page.get_by_role("region", name="Knowledge base")
    kb.get_by_label("Upload documents").set_input_files(
        [
            {"name": "returns.md", "mimeType": "text/markdown", "buffer": RETURNS_MD},
            {"name": "manual.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4"},
        ]
    )
    expect(kb.locator(".ha-kb-status")).to_have_text(
        "Uploaded returns.md: added.", timeout=TIMEOUT_MS
    )
    expect(kb.locator(".ha-kb-error")).to_contain_text("manual.pdf: only Markdown, HTML and text")
    doc = kb.locator('li.ha-doc[data-url="upload:returns.md"]')
    expect(doc).to_have_attribute("data-status", "indexed", timeout=TIMEOUT_MS)
    expect(doc.locator(".ha-doc-title")).to_have_text("Returns")
    expect(doc.locator(".ha-doc-status")).to_have_text("Indexed, 1 section")
    assert kb.locator("li.ha-doc").count() > 1  # the demo's articles too

    # Agents: an invite's one-time link, which works; the last owner stays.
    agents = page.get_by_role("region", name="Agents")
    expect(agents.locator("li.ha-member")).to_have_count(2, timeout=TIMEOUT_MS)
    invite = agents.get_by_role("form", name="Invite an agent")
    invite.get_by_label("E-mail").fill("carol@demo.helpway.dev")
    invite.get_by_role("button", name="Invite").click()
    link = agents.get_by_label("Invite link")
    expect(link).to_have_value(re.compile(rf"^{edge.url}/invite\?token=\S+$"), timeout=TIMEOUT_MS)
    expect(agents.locator('li.ha-pending[data-email="carol@demo.helpway.dev"]')).to_have_count(1)
    joining = visitor_context.new_page()
    joining.goto(link.input_value())
    joining.get_by_label("Your name").fill("Carol")
    joining.get_by_label("Password", exact=False).fill("carol-password")
    joining.get_by_role("button", name="Join").click()
    expect(joining.get_by_role("heading", name="Welcome")).to_be_visible(timeout=TIMEOUT_MS)
    page.reload()
    expect(agents.locator("li.ha-member")).to_have_count(3, timeout=TIMEOUT_MS)
    expect(agents.locator("li.ha-pending")).to_have_count(0)
    # The demo's own agent owns the site too, until Olivia makes it a plain agent.
    expect(agents.get_by_label(f"Role of {DEMO_AGENT}")).to_have_value("owner")
    # The change is the edge's once it answered: a reload before that could come first.
    with page.expect_response(
        lambda response: "/agents/" in response.url and response.request.method == "POST"
    ):
        agents.get_by_label(f"Role of {DEMO_AGENT}").select_option("agent")
    page.reload()
    expect(agents.get_by_label(f"Role of {DEMO_AGENT}")).to_have_value("agent", timeout=TIMEOUT_MS)
    agents.get_by_label(f"Role of {OWNER[2]}").select_option("agent")
    expect(agents.locator(".ha-members-error")).to_have_text(
        "A site keeps at least one owner.", timeout=TIMEOUT_MS
    )
    expect(agents.get_by_label(f"Role of {OWNER[2]}")).to_have_value("owner")
    carol = agents.locator('li.ha-member[data-email="carol@demo.helpway.dev"]')
    remove = carol.get_by_role("button", name="Remove Carol")
    remove.click()
    expect(remove).to_have_attribute("data-armed", "true")
    remove.click()  # the second click removes
    expect(carol).to_have_count(0, timeout=TIMEOUT_MS)

    # Canned replies: made, a taken shortcut refused beside its field, edited.
    canned = page.get_by_role("region", name="Canned replies")
    form = canned.get_by_role("form", name="Canned response", exact=True)
    form.get_by_label("Shortcut").fill("/Refund")
    form.get_by_label("Title").fill("Refunds")
    form.get_by_label("Text").fill("Refunds take 5 days.")
    form.get_by_role("button", name="Add reply").click()
    refund = canned.locator('li.ha-canned[data-shortcut="refund"]')
    expect(refund.locator(".ha-canned-text")).to_have_text(
        "Refunds take 5 days.", timeout=TIMEOUT_MS
    )
    form.get_by_label("Shortcut").fill("refund")
    form.get_by_label("Title").fill("Again")
    form.get_by_label("Text").fill("A second refund reply.")
    form.get_by_role("button", name="Add reply").click()
    expect(form.locator(".ha-field-shortcut .ha-field-error")).to_have_text(
        "Shortcut /refund is taken on this site", timeout=TIMEOUT_MS
    )
    refund.get_by_role("button", name="Edit /refund").click()
    expect(form.get_by_label("Text")).to_have_value("Refunds take 5 days.")
    form.get_by_label("Text").fill("Refunds take 3 working days.")
    form.get_by_role("button", name="Save changes").click()
    expect(refund.locator(".ha-canned-text")).to_have_text(
        "Refunds take 3 working days.", timeout=TIMEOUT_MS
    )
    expect(canned.locator("li.ha-canned")).to_have_count(4)  # the demo's three and this one

    # Back in the inbox, its shortcut works in the reply box.
    say(chat, "I want my money back")
    page.get_by_role("button", name="Inbox").click()
    expect(page.get_by_role("main", name="Settings")).to_be_hidden()
    conversation = page.locator("button.hc-conv")
    expect(conversation).to_have_count(1, timeout=TIMEOUT_MS)
    conversation.click()
    reply = page.get_by_label("Reply")
    reply.fill("Sure. /ref")
    expect(page.locator('.hc-canned [role=option][data-shortcut="refund"]')).to_be_visible()
    reply.press("Enter")
    expect(reply).to_have_value("Sure. Refunds take 3 working days.")

    # Deleting: the canned reply and the document go. Opening the page reads its lists again
    # and redraws them: a first click on a row drawn before that would be forgotten with it.
    drawn = page.locator('li.ha-canned[data-shortcut="refund"]')  # the page is hidden now
    drawn.evaluate("row => row.setAttribute('data-drawn-before', '')")
    _settings(page)
    expect(canned.locator("li[data-drawn-before]")).to_have_count(0, timeout=TIMEOUT_MS)
    delete = refund.get_by_role("button", name="Delete /refund")
    delete.click()
    expect(delete).to_have_attribute("data-armed", "true")
    delete.click()
    expect(refund).to_have_count(0, timeout=TIMEOUT_MS)
    doc.get_by_role("button", name="Delete").click()
    doc.get_by_role("button", name="Click again to delete").click()
    expect(doc).to_have_count(0, timeout=TIMEOUT_MS)

    # A second site: picked from the "Site" list, each shown on its own; its name is text.
    token = json.loads(page.evaluate("sessionStorage.getItem('helpway:agent')"))["token"]
    made = httpx.post(
        edge.url + "/api/sites",
        json={"id": "second", "name": HOSTILE_NAME},
        headers={"authorization": f"Bearer {token}"},
    )
    assert made.status_code == 200, made.text
    page.reload()
    sites = page.get_by_role("combobox", name="Site", exact=True)
    expect(sites.locator("option")).to_have_count(2, timeout=TIMEOUT_MS)
    sites.select_option("second")
    expect(page.get_by_label("Name", exact=True)).to_have_value(HOSTILE_NAME)
    expect(page.get_by_label("Snippet")).to_have_value(
        f'<script src="{edge.url}/widget/second.js" async></script>'
    )
    expect(canned.locator("li.ha-canned")).to_have_count(0, timeout=TIMEOUT_MS)
    expect(canned.locator(".ha-empty")).to_be_visible()
    expect(kb.locator("li.ha-doc")).to_have_count(0)
    expect(agents.locator("li.ha-member")).to_have_count(1)
    assert sites.locator("option:checked").inner_text() == f"{HOSTILE_NAME} (second)"
    assert page.evaluate("window.pwned") is None

    # A site saved, then another picked before the edge answered: the answer is the saved
    # site's (its name in the list), and never lands on the site shown now.
    saving = Held(page, f"{edge.url}/api/sites/second")
    page.get_by_label("Name", exact=True).fill("Second shop")
    page.get_by_role("button", name="Save site").click()
    saving.wait()
    sites.select_option("demo")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Acme Cloud Notes")
    saving.release()
    expect(sites.locator("option")).to_have_text(
        ["Acme Cloud Notes (demo)", "Second shop (second)"], timeout=TIMEOUT_MS
    )
    expect(page.get_by_label("Name", exact=True)).to_have_value("Acme Cloud Notes")

    # Likewise an upload: another site picked while it is indexed hears nothing of it, and the
    # document is the site's it was uploaded to.
    indexing = Held(page, f"{edge.url}/api/kb/documents")
    upload = kb.get_by_label("Upload documents")
    upload.set_input_files([{"name": "late.md", "mimeType": "text/markdown", "buffer": b"# Late"}])
    indexing.wait()
    sites.select_option("second")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Second shop")
    indexing.release()
    expect(upload).to_be_enabled(timeout=TIMEOUT_MS)  # the upload is over
    expect(kb.locator(".ha-kb-status")).to_have_text("")
    expect(kb.locator(".ha-kb-error")).to_have_text("")
    expect(kb.locator("li.ha-doc")).to_have_count(0)
    sites.select_option("demo")
    expect(kb.locator('li.ha-doc[data-url="upload:late.md"]')).to_have_count(1, timeout=TIMEOUT_MS)

    owner_context.close()
    visitor_context.close()


def test_a_plain_agent_gets_the_settings_read_only(browser: Browser, edge: Edge) -> None:
    add_agent(edge, PAT)
    context = browser.new_context()
    # No Clipboard API (as on a page that is not a secure context): the copy falls back.
    context.add_init_script(
        "Object.defineProperty(Navigator.prototype, 'clipboard', {get: () => undefined})"
    )
    page = context.new_page()
    sign_in(page, edge.url, PAT[0], PAT[1])
    _settings(page)
    expect(page.locator(".ha-role")).to_contain_text("You are an agent of this site")
    expect(page.get_by_label("Name", exact=True)).to_be_disabled()
    expect(page.get_by_role("button", name="Save site")).to_be_hidden()
    expect(page.get_by_role("form", name="Widget")).to_be_hidden()
    expect(page.get_by_role("region", name="Widget")).to_contain_text(
        "Only the site's admins see and change the widget."
    )
    agents = page.get_by_role("region", name="Agents")
    expect(agents).to_contain_text("Only the site's admins see and manage its agents.")
    expect(agents.locator("li.ha-member")).to_have_count(0)
    expect(agents.get_by_role("form", name="Invite an agent")).to_be_hidden()
    canned = page.get_by_role("region", name="Canned replies")
    expect(canned.locator("li.ha-canned")).to_have_count(3, timeout=TIMEOUT_MS)
    expect(canned.get_by_role("button", name="Edit", exact=False)).to_have_count(0)
    expect(canned.get_by_role("form", name="Canned response", exact=True)).to_be_hidden()

    site = page.get_by_role("region", name="Site", exact=True)
    site.get_by_role("button", name="Copy").click()
    expect(site.locator(".ha-actions [role=status]").last).to_have_text(
        re.compile(r"^(Copied\.|Selected: press Ctrl\+C)")
    )
    selected = page.evaluate(
        "() => { const f = document.activeElement;"
        " return [f.getAttribute('aria-label'), f.value.slice(f.selectionStart, f.selectionEnd)]; }"
    )
    assert selected == ["Snippet", page.get_by_label("Snippet").input_value()]

    # What the page does not offer, the edge refuses too.
    token = json.loads(page.evaluate("sessionStorage.getItem('helpway:agent')"))["token"]
    auth = {"authorization": f"Bearer {token}"}
    for method, path, body in [
        ("POST", "/api/sites/demo", {"name": "Taken over"}),
        ("POST", "/api/sites/demo/widget", {"greeting": "Taken over"}),
        ("GET", "/api/sites/demo/widget", None),
        ("GET", "/api/sites/demo/agents", None),
        ("POST", "/api/sites/demo/invites", {"email": "mallory@evil.example"}),
        ("POST", "/api/sites/demo/canned", {"shortcut": "x", "title": "X", "text": "X"}),
    ]:
        refused = httpx.request(method, edge.url + path, json=body, headers=auth)
        assert refused.status_code == 403, (method, path, refused.text)
        assert refused.json()["code"] == "forbidden"

    # Signing out leaves nothing of the page behind; signing in again returns to it.
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    expect(page.get_by_role("main", name="Settings")).to_be_hidden()
    expect(page.get_by_role("button", name="Settings")).to_be_hidden()
    assert page.locator(".hc-admin li").count() == 0
    page.get_by_label("Email").fill(PAT[0])
    page.get_by_label("Password").fill(PAT[1])
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("main", name="Settings")).to_be_visible(timeout=TIMEOUT_MS)
    expect(canned.locator("li.ha-canned")).to_have_count(3, timeout=TIMEOUT_MS)
    context.close()
