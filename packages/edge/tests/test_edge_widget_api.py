"""The widget's page API and transport in real Chromium against the real local edge.

The host pages are served from loopback origins other than the edge's (127.0.0.1 on another
port, which the demo site allows; 127.0.0.2 for a stranger's frame), so the widget frame is
cross-origin to them, as on a customer's site: `Helpway(...)` calls queued by the stub, events
and the unread badge, identity verification on an enforcing site, `reset()`, messages from
other windows, where the visitor token lives, and the outbox across a reload.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Frame, Page, WebSocketRoute, expect
from websockets.sync.client import connect

from helpway.store import identity, sites
from helpway.store.sqlite import SqliteDatabase

TIMEOUT_MS = 30_000
STUB = (
    "<script>window.Helpway = window.Helpway || function () "
    "{ (Helpway.q = Helpway.q || []).push(arguments) }</script>"
)
# Records every event the page hears through the API, by name.
RECORDER = """<script>
window.heard = {open: [], close: [], message: [], unread: []};
for (const name of Object.keys(heard)) Helpway("on", name, (detail) => heard[name].push(detail));
</script>"""
SITE_ID = "verified-shop"
USER = "user-42"


class Pages:
    """A customer's web server: `add(html)` serves `html` at a new path and returns its URL."""

    def __init__(self, address: str) -> None:
        self.bodies: dict[str, bytes] = {}
        bodies = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = bodies.get(self.path.split("?")[0], b"not here")
                self.send_response(200 if self.path in bodies else 404)
                self.send_header("content-type", "text/html; charset=utf-8")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer((address, 0), Handler)
        self.origin = f"http://{address}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def add(self, html: str) -> str:
        path = f"/page{len(self.bodies)}"
        self.bodies[path] = f"<!doctype html><title>Shop</title>{html}".encode()
        return self.origin + path

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join()


@pytest.fixture(scope="module")
def shop() -> Iterator[Pages]:
    pages = Pages("127.0.0.1")
    yield pages
    pages.close()


@pytest.fixture(scope="module")
def stranger() -> Iterator[Pages]:
    pages = Pages("127.0.0.2")
    yield pages
    pages.close()


@pytest.fixture
def context(chromium: Browser, widget_built: None) -> Iterator[BrowserContext]:
    context = chromium.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def snippet(edge: Any, site: str = "demo") -> str:
    return f'<script src="{edge.url}/widget.js" data-site="{site}" async></script>'


def widget(page: Page) -> Frame:
    """The widget's frame (the edge's origin), once the loader has made it."""
    page.wait_for_selector("helpway-widget iframe", state="attached")
    frame = page.locator("helpway-widget iframe").element_handle().content_frame()
    assert frame is not None
    return frame


def launcher(page: Page) -> Any:
    return page.locator('helpway-widget button[aria-label="Open chat"]')


def connected(page: Page) -> None:
    expect(page.locator("helpway-widget[data-ready]")).to_have_count(1)
    expect(widget(page).locator(".hw-sub")).to_have_text(re.compile("answers right away"))


def send(page: Page, text: str) -> None:
    composer = widget(page).get_by_role("textbox", name="Message")
    composer.fill(text)
    composer.press("Enter")


def stored(frame: Frame, key: str) -> str | None:
    value = frame.evaluate("(key) => localStorage.getItem(key)", key)
    return None if value is None else str(value)


def history_texts(edge: Any, session: dict[str, Any]) -> list[str]:
    response = httpx.get(
        f"{edge.url}/api/conversations/{session['conversation_id']}/history",
        headers={"authorization": f"Bearer {session['visitor_token']}"},
    )
    assert response.status_code == 200, response.text
    return [entry.get("text", "") for entry in response.json()["entries"]]


def agent_says(edge: Any, conversation_id: str, texts: list[str]) -> None:
    """The demo agent joins the conversation and sends `texts`, each acked."""
    login = httpx.post(
        edge.url + "/api/agent/login",
        json={"email": "agent@demo.helpway.dev", "password": "helpway-demo"},
    )
    token = login.json()["token"]
    with connect(f"{edge.ws_url}/ws/conversations/{conversation_id}") as socket:
        socket.send(json.dumps({"type": "join", "v": 1, "token": token, "last_seq": 0}))
        for number, text in enumerate(texts):
            socket.send(
                json.dumps({"type": "message.send", "client_id": f"agent-{number}", "text": text})
            )
            while json.loads(socket.recv(timeout=10))["type"] != "ack":
                pass


# ---------------------------------------------------------------- the page API


def test_queued_calls_events_and_the_unread_badge(page: Page, edge: Any, shop: Pages) -> None:
    # Called through the stub before the loader ran: replayed in order once it has.
    early = (
        "<script>Helpway('on', 'open', () => (window.openedEarly = true)); Helpway('open')</script>"
    )
    with page.expect_response("**/api/visitor/session") as started:
        page.goto(shop.add(STUB + RECORDER + early + snippet(edge)))
    connected(page)
    session = started.value.json()
    assert page.evaluate("window.openedEarly") is True
    assert page.evaluate("heard.open.length") == 1
    expect(launcher(page)).to_have_attribute("aria-expanded", "true")
    # The loader opened a connection to the edge before it framed the panel.
    assert page.evaluate("document.querySelector('link[rel=preconnect]').href") == edge.url + "/"

    send(page, "Hello from the visitor")
    expect(widget(page).locator(".hw-row.hw-mine[data-seq]")).to_have_count(1)
    # Ours, then the assistant's answer, while the panel is open: heard, not unread.
    page.wait_for_function("heard.message.some((m) => m.role === 'assistant')")
    mine = page.evaluate("heard.message.find((m) => m.role === 'visitor')")
    assert mine["text"] == "Hello from the visitor"
    assert mine["seq"] >= 1 and mine["id"]
    assert page.evaluate("heard.unread") == []

    # A handler unsubscribed hears nothing more; the others do.
    page.evaluate(
        "window.spare = []; window.off = Helpway('on', 'message', (m) => spare.push(m)); off()"
    )
    page.evaluate("Helpway('close')")
    assert page.evaluate("heard.close.length") == 1
    expect(page.locator("helpway-widget iframe")).to_be_hidden()
    before = page.evaluate("heard.message.length")

    # Replies while the panel is closed are counted on the launcher, and the count goes on open.
    badge = page.locator("helpway-widget .n")
    agent_says(edge, session["conversation_id"], ["First reply", "Second reply"])
    expect(badge).to_have_text("2")
    expect(badge).to_be_visible()
    texts = page.evaluate(f"heard.message.slice({before}).map((m) => m.text)")
    assert texts[-2:] == ["First reply", "Second reply"]
    assert page.evaluate("heard.unread") == [1, 2]
    assert page.evaluate("spare") == []

    launcher(page).click()
    expect(badge).to_be_hidden()
    assert page.evaluate("heard.unread") == [1, 2, 0]
    assert page.evaluate("heard.open.length") == 2
    rows = widget(page).locator(".hw-row[data-role=agent] .hw-text")
    expect(rows).to_have_text(["First reply", "Second reply"])


# Bad calls, each with the warning's start: before the loader ran (through the stub's queue)
# and after, for both paths to say the same.
BAD_CALLS = [
    ("Helpway('bogus')", 'Helpway: there is no command "bogus"'),
    ("Helpway(42)", "Helpway: there is no command a number"),
    ("Helpway('on', 'opne', () => {})", 'Helpway: Helpway("on", …) has no event "opne"'),
    ("Helpway('on', {}, () => {})", 'Helpway: Helpway("on", …) has no event an object'),
    # Names the loader must not use as its own keys: one reaching Object.prototype, objects
    # that throw when made a key.
    ("Helpway('on', '__proto__', () => {})", 'Helpway: Helpway("on", …) has no event "__proto__"'),
    (
        "Helpway('on', Object.create(null), () => {})",
        'Helpway: Helpway("on", …) has no event an object',
    ),
    (
        "Helpway('on', {a: 1, toString() { throw new Error('no') }}, () => {})",
        "Helpway: a call's arguments could not be read",
    ),
    ("Helpway('on', 'open')", 'Helpway: Helpway("on", "open", …) needs a function, not nothing'),
    (
        "Helpway('on', 'open', 'fn')",
        'Helpway: Helpway("on", "open", …) needs a function, not a string',
    ),
    (
        "Helpway('identify', 'user-42')",
        'Helpway: Helpway("identify", …) needs an object, not "user-42"',
    ),
    ("Helpway('identify', null)", 'Helpway: Helpway("identify", …) needs an object, not null'),
    (
        "Helpway('identify', {user_id: 42})",
        'Helpway: Helpway("identify", …) needs a user_id string',
    ),
    (
        "Helpway('identify', {user_id: 'u', email: 7})",
        'Helpway: Helpway("identify", …) needs email as a string, not a number',
    ),
    ("Helpway(Symbol('x'))", "Helpway: a call's arguments could not be read"),
]
USAGE = 'the calls are Helpway("open"), Helpway("close"), Helpway("reset")'


def test_bad_calls_are_warned_of_and_break_nothing(page: Page, edge: Any, shop: Pages) -> None:
    """A bad call of the page API, queued before the loader ran or made after, gets a console
    warning naming it and the calls there are (from the frame: the loader's budget has no room
    for the words); nothing throws at the host page, the widget goes on, and a bad `identify`
    leaves the visitor as they were."""
    warnings: list[str] = []
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    early = "<script>" + "; ".join(call for call, _ in BAD_CALLS) + "</script>"
    page.goto(shop.add(STUB + early + snippet(edge)))
    launcher(page).click()
    connected(page)
    token = stored(widget(page), "helpway:demo:visitor")
    for call, _ in BAD_CALLS:
        assert page.evaluate(f"() => {{ {call}; return 'returned'; }}") == "returned", call

    def heard(start: str) -> int:
        return sum(text.startswith(start) for text in warnings)

    # Each call twice (queued, then made); some calls share a warning's start.
    expected = {start: 2 * n for start, n in Counter(start for _, start in BAD_CALLS).items()}
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while any(heard(s) < n for s, n in expected.items()) and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert {start: heard(start) for start in expected} == expected
    assert all(USAGE in text for text in warnings if text.startswith("Helpway:"))
    assert errors == []
    assert page.evaluate("Object.keys(Object.prototype)") == []
    assert stored(widget(page), "helpway:demo:visitor") == token
    page.evaluate("Helpway('close')")
    expect(page.locator("helpway-widget iframe")).to_be_hidden()


def test_the_visitor_token_stays_out_of_the_host_page(page: Page, edge: Any, shop: Pages) -> None:
    page.goto(shop.add(snippet(edge)))
    launcher(page).click()
    connected(page)
    send(page, "Is my token safe?")
    expect(widget(page).locator(".hw-row.hw-mine[data-seq]")).to_have_count(1)
    token = stored(widget(page), "helpway:demo:visitor")
    assert token  # it is kept in the frame's storage, on the edge's origin
    host = page.evaluate(
        """() => [document.cookie,
            ...Object.keys(localStorage), ...Object.values(localStorage),
            ...Object.keys(sessionStorage), ...Object.values(sessionStorage)].join("\\n")"""
    )
    assert token not in host
    assert "helpway" not in host
    # The frame's fallback for a browser that refuses it storage is a cookie of the edge's own:
    # HttpOnly (no script reads it, the host page's least of all) and sent to one route only.
    carrying = [cookie for cookie in page.context.cookies() if token in cookie["value"]]
    assert all(c["httpOnly"] and c["path"] == "/api/visitor/session" for c in carrying)


def add_frame(target: Page | Frame, src: str) -> Frame:
    """An iframe of `src` added to `target`'s document, loaded."""
    target.evaluate(
        """(src) => new Promise((done) => {
            const child = document.createElement("iframe");
            child.src = src;
            child.onload = done;
            document.body.append(child);
        })""",
        src,
    )
    page = target if isinstance(target, Page) else target.page
    return next(f for f in page.frames if f.url == src)


LISTEN = "window.got = []; addEventListener('message', (e) => got.push(e.data.helpway))"


def test_messages_from_other_windows_are_ignored(
    page: Page, edge: Any, shop: Pages, stranger: Pages
) -> None:
    """Only the frame we made, from the edge's origin, speaks to the loader, and only the host
    page speaks to the frame: a stranger's frame on the page or inside the widget's, or the
    page posting to itself, is heard and ignored."""
    page.goto(shop.add(STUB + RECORDER + snippet(edge)))
    launcher(page).click()
    connected(page)
    frame = widget(page)
    token = stored(frame, "helpway:demo:visitor")
    assert token
    page.evaluate("Helpway('close')")
    ad = add_frame(page, stranger.add("<p>an ad</p>"))
    inner = add_frame(frame, stranger.add("<p>a frame in the widget's</p>"))
    frame.evaluate(LISTEN)
    page.evaluate(LISTEN)

    agent = {"helpway": "message", "message": {"role": "agent", "text": "spoof"}}
    ad.evaluate("(m) => parent.postMessage(m, '*')", agent)
    page.evaluate("(m) => postMessage(m, '*')", agent)
    inner.evaluate(
        """() => {
            parent.postMessage({helpway: "open", open: true}, "*");
            parent.postMessage({helpway: "call", call: ["reset"]}, "*");
        }"""
    )
    # Delivered (each window heard them)…
    page.wait_for_function("got.filter((name) => name === 'message').length === 2")
    frame.wait_for_function("got.includes('open') && got.includes('call')")
    # …and ignored: no event, no badge, the panel stays closed and the visitor is kept.
    assert page.evaluate("heard.message.filter((m) => m.text === 'spoof')") == []
    assert page.evaluate("heard.unread") == []
    expect(page.locator("helpway-widget .n")).to_be_hidden()
    assert frame.evaluate("document.body.hasAttribute('open')") is False
    assert frame.evaluate("document.body.hasAttribute('data-reset')") is False
    assert stored(frame, "helpway:demo:visitor") == token

    # The host page itself still commands the frame.
    page.evaluate("Helpway('open')")
    expect(frame.locator("body[open]")).to_have_count(1)


# ---------------------------------------------------------------- identity and reset


def _enforcing_site(data: Any) -> str:
    async def seed() -> str:
        db = SqliteDatabase(data / "d1.sqlite3")
        try:
            if await sites.get_site(db, SITE_ID) is None:
                await sites.create_site(
                    db, name="Verified shop", site_id=SITE_ID, allowed_origins=["http://127.0.0.1"]
                )
            site = await sites.set_identity(db, SITE_ID, required=True)
            assert site is not None and site.identity_secret
            return site.identity_secret
        finally:
            db.close()

    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, seed()).result()


@pytest.fixture(scope="module")
def secret(edge: Any) -> str:
    return _enforcing_site(edge.data)


def identify_call(user_hash: str) -> str:
    user = {"user_id": USER, "user_hash": user_hash, "name": "Ana", "email": "ana@example.com"}
    return f"<script>Helpway('identify', {json.dumps(user)})</script>"


def unavailable(page: Page) -> None:
    expect(widget(page).locator(".hw-sub")).to_have_text("Chat unavailable")
    expect(widget(page).get_by_role("textbox", name="Message")).to_be_disabled()


@pytest.mark.parametrize("case", ["verified", "anonymous", "wrong hash"])
def test_an_enforcing_site_chats_only_with_a_verified_user(
    page: Page, edge: Any, shop: Pages, secret: str, case: str
) -> None:
    good = identity.user_hash(secret, USER)
    calls = {
        "verified": identify_call(good),
        "anonymous": "",
        "wrong hash": identify_call(identity.user_hash(secret, "someone-else")),
    }[case]
    page.goto(shop.add(STUB + calls + snippet(edge, SITE_ID)))
    with page.expect_response("**/api/visitor/session") as started:
        launcher(page).click()
    if case != "verified":
        assert started.value.status == 403
        unavailable(page)
        # Signing in afterwards (a single-page app's login) starts a verified visitor.
        page.evaluate("(user) => Helpway('identify', user)", {"user_id": USER, "user_hash": good})
    connected(page)
    send(page, f"Hello as {USER}")
    expect(widget(page).locator(".hw-row.hw-mine[data-seq]")).to_have_count(1)
    expect(widget(page).locator(".hw-row.hw-failed")).to_have_count(0)


def test_an_identity_the_edge_refuses_is_said_in_the_console(
    page: Page, edge: Any, shop: Pages
) -> None:
    """An identify the frame cannot judge (strings, but a user_hash that is no HMAC's hex) is
    refused by the edge: the visitor sees the chat unavailable, the page's developer the
    edge's reason in the console, and a good identify afterwards chats."""
    bad = "<script>Helpway('identify', {user_id: 'u-1', user_hash: 'not-hex'})</script>"
    page.goto(shop.add(STUB + bad + snippet(edge)))
    with (
        page.expect_console_message(lambda m: "refused the visitor session" in m.text) as said,
        page.expect_response("**/api/visitor/session") as started,
    ):
        launcher(page).click()
    assert started.value.status == 422
    assert said.value.type == "warning" and "user_hash" in said.value.text
    unavailable(page)
    page.evaluate("Helpway('identify', {user_id: 'u-1'})")
    connected(page)


def test_reset_forgets_the_visitor(page: Page, edge: Any, shop: Pages) -> None:
    page.goto(shop.add(STUB + snippet(edge)))
    with page.expect_response("**/api/visitor/session") as started:
        launcher(page).click()
    connected(page)
    first = started.value.json()
    send(page, "Mine, on a shared computer")
    expect(widget(page).locator(".hw-row.hw-mine[data-seq]")).to_have_count(1)
    frame = widget(page)
    assert stored(frame, "helpway:demo:visitor") == first["visitor_token"]

    page.evaluate("Helpway('reset')")
    expect(page.locator("helpway-widget iframe")).to_be_hidden()
    expect(widget(page).locator(".hw-row")).to_have_count(0)
    assert stored(frame, "helpway:demo:visitor") is None
    with page.expect_response("**/api/visitor/session") as again:
        launcher(page).click()
    connected(page)
    second = again.value.json()
    assert "visitor_token" not in json.loads(again.value.request.post_data or "{}")
    assert second["visitor_id"] != first["visitor_id"]
    assert second["conversation_id"] != first["conversation_id"]
    expect(widget(page).locator(".hw-row.hw-mine")).to_have_count(0)

    # A reset before the frame was even made still forgets what its storage holds.
    page.goto(shop.add(STUB + "<script>Helpway('reset')</script>" + snippet(edge)))
    expect(page.locator("helpway-widget[data-ready]")).to_have_count(1)
    assert stored(widget(page), "helpway:demo:visitor") is None


# ---------------------------------------------------------------- the outbox


class Switch:
    """Every conversation socket of the page through Playwright: "up" passes frames both ways,
    "deaf" passes the page's frames to the edge but none back (a message is stored, its ack
    lost), "down" refuses to connect at all."""

    def __init__(self, page: Page) -> None:
        self.mode = "up"
        self.open: list[WebSocketRoute] = []
        page.route_web_socket(re.compile("/ws/conversations/"), self._route)

    def _route(self, ws: WebSocketRoute) -> None:
        if self.mode == "down":
            ws.close()
            return
        server = ws.connect_to_server()
        server.on_message(lambda message: None if self.mode != "up" else ws.send(message))
        self.open.append(ws)

    def set(self, mode: str) -> None:
        self.mode = mode
        if mode == "down":
            for ws in self.open:
                ws.close()
            self.open = []


def test_unacked_messages_outlive_a_reload_and_arrive_once(
    page: Page, edge: Any, shop: Pages
) -> None:
    switch = Switch(page)
    url = shop.add(snippet(edge))
    page.goto(url)
    with page.expect_response("**/api/visitor/session") as started:
        launcher(page).click()
    connected(page)
    session = started.value.json()

    switch.set("deaf")
    send(page, "Stored before the reload")
    sending = widget(page).locator(".hw-row.hw-sending")
    expect(sending).to_have_count(1)
    # The room has it; the widget never heard the ack.
    while "Stored before the reload" not in history_texts(edge, session):
        page.wait_for_timeout(50)
    switch.set("down")
    expect(widget(page).locator(".hw-sub")).to_have_text(re.compile("onnecting"))
    send(page, "Typed while offline")
    expect(sending).to_have_count(2)
    saved = json.loads(stored(widget(page), "helpway:demo:outbox") or "[]")
    assert [record["text"] for record in saved] == [
        "Stored before the reload",
        "Typed while offline",
    ]

    page.reload()
    launcher(page).click()
    sending = widget(page).locator(".hw-row.hw-sending .hw-text")
    expect(sending).to_have_text(["Stored before the reload", "Typed while offline"])
    expect(widget(page).locator(".hw-row.hw-sending .hw-meta")).to_have_text(["Sending…"] * 2)

    switch.set("up")
    mine = widget(page).locator(".hw-row.hw-mine[data-seq] .hw-text")
    expect(mine).to_have_text(["Stored before the reload", "Typed while offline"])
    expect(widget(page).locator(".hw-row.hw-sending")).to_have_count(0)
    assert stored(widget(page), "helpway:demo:outbox") is None
    texts = history_texts(edge, session)
    assert texts.count("Stored before the reload") == 1
    assert texts.count("Typed while offline") == 1


def test_the_outbox_is_kept_in_memory_when_storage_throws(
    context: BrowserContext, edge: Any, shop: Pages
) -> None:
    """Storage blocked for the edge's origin (a browser setting, a full quota): the chat works,
    and a message typed while the socket is down is still delivered, once."""
    blocked = """Object.defineProperty(window, "localStorage", {
        get() { throw new DOMException("blocked", "SecurityError"); }, configurable: true })"""
    context.add_init_script(f"if (location.origin === {json.dumps(edge.url)}) {blocked}")
    page = context.new_page()
    switch = Switch(page)
    page.goto(shop.add(snippet(edge)))
    launcher(page).click()
    connected(page)
    assert widget(page).evaluate("(() => { try { localStorage; } catch { return 1; } })()") == 1
    switch.set("down")
    send(page, "Kept in memory")
    expect(widget(page).locator(".hw-row.hw-sending")).to_have_count(1)
    switch.set("up")
    expect(widget(page).locator(".hw-row.hw-mine[data-seq] .hw-text")).to_have_text(
        ["Kept in memory"]
    )
    expect(widget(page).locator(".hw-row.hw-sending")).to_have_count(0)
