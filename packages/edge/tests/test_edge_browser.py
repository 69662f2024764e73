"""The widget and the console in real Chromium against the real local edge: what a visitor or an
agent sees when the edge refuses, the time a just-sent message shows, and the console's inbox
beyond its first page."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from browser_steps import sign_in
from playwright.sync_api import (
    Browser,
    FrameLocator,
    Locator,
    Page,
    Route,
    WebSocketRoute,
    expect,
)

TIMEOUT_MS = 30_000


@pytest.fixture
def page(chromium: Browser, widget_built: None) -> Iterator[Page]:
    context = chromium.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def test_console_lists_the_waiting_conversation_first_and_loads_more(
    page: Page, edge, busy_site
) -> None:
    site = busy_site("busy-console")
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    sign_in(page, edge.url, site.agent_email, site.agent_password)
    rows = page.locator("button.hc-conv")
    expect(rows).to_have_count(101)
    expect(rows.first).to_have_attribute("data-id", site.waiting)
    expect(rows.first).to_have_attribute("data-status", "waiting_human")
    expect(page.locator(".hc-waiting")).to_have_text("1 waiting for a human")

    more = page.get_by_role("button", name="Load more")
    more.click()
    expect(rows).to_have_count(111)
    expect(more).to_be_hidden()
    shown = rows.evaluate_all("rows => rows.map(row => row.dataset.id)")
    assert shown == [site.waiting, *site.others]
    # One inbox socket per site of the agent's, each naming it (the Worker requires that).
    assert [url.split("/ws/", 1)[1] for url in sockets] == ["inbox?site_id=busy-console"]


def test_console_log_out_ends_the_session_on_the_server(page: Page, edge) -> None:
    token = sign_in(page, edge.url)
    auth = {"authorization": f"Bearer {token}"}
    assert httpx.get(edge.url + "/api/inbox", headers=auth).status_code == 200

    with page.expect_response("**/api/agent/logout") as logged_out:
        page.get_by_role("button", name="Log out").click()
    assert logged_out.value.status == 204
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('helpway:agent')") is None
    assert httpx.get(edge.url + "/api/inbox", headers=auth).status_code == 401


def chat(page: Page) -> FrameLocator:
    """The widget's panel: a frame of the edge's origin inside the launcher's shadow root."""
    return page.frame_locator("helpway-widget iframe")


def open_widget(page: Page, url: str) -> Locator:
    """The demo page's widget, opened and connected; returns its composer."""
    page.goto(url)
    page.get_by_role("button", name="Open chat").click()
    expect(page.locator("helpway-widget[data-ready]")).to_have_count(1)
    expect(chat(page).locator(".hw-sub")).to_have_text(re.compile("answers right away"))
    return chat(page).get_by_role("textbox", name="Message")


def test_a_message_too_big_for_a_frame_is_refused_before_sending(page: Page, edge) -> None:
    sent: list[str] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    composer = open_widget(page, edge.url + "/")
    draft = "\x01" * 2800  # 2,800 characters, but 16.8 KB of JSON
    composer.fill(draft)
    composer.press("Enter")
    problem = chat(page).locator(".hw-problem")
    expect(problem).to_have_text(re.compile("^Your message is too long to send"))
    expect(composer).to_have_value(draft)  # kept, to be shortened
    expect(chat(page).locator(".hw-row.hw-mine")).to_have_count(0)
    assert any('"type":"join"' in frame for frame in sent)  # frames are being recorded…
    assert not [frame for frame in sent if "message.send" in frame]  # …and none went out

    composer.press("Backspace")
    expect(problem).to_be_hidden()  # the notice was about the draft as it was


def test_a_refusal_without_client_id_fails_the_message_in_place(page: Page, edge) -> None:
    """Should the server still refuse a frame as too large (it then cannot name the message),
    the bubble turns "Not sent" instead of "Sending…" for ever, and stays where it was sent."""

    def inflate(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def outgoing(message: str | bytes) -> None:
            if isinstance(message, str) and "INFLATE" in message:
                frame = json.loads(message)
                frame["text"] += "\x01" * 2800
                message = json.dumps(frame)
            server.send(message)

        ws.on_message(outgoing)

    page.route_web_socket(re.compile("/ws/conversations/"), inflate)
    composer = open_widget(page, edge.url + "/")
    composer.fill("INFLATE this one")
    composer.press("Enter")
    failed = chat(page).locator(".hw-row.hw-failed")
    expect(failed).to_have_count(1)
    expect(failed.locator(".hw-meta")).to_contain_text("Not sent")
    expect(chat(page).locator(".hw-row.hw-sending")).to_have_count(0)

    composer.fill("And this one goes through")
    composer.press("Enter")
    sent = chat(page).locator(".hw-row.hw-mine[data-seq]")
    expect(sent).to_have_count(1)
    mine = chat(page).locator(".hw-row.hw-mine .hw-text").all_inner_texts()
    assert mine == ["INFLATE this one", "And this one goes through"]


def test_a_sent_message_shows_the_local_time_then_the_rooms(
    chromium: Browser, widget_built: None, edge
) -> None:
    """Unix ms are far past 2**31: MicroPython once cut the clock it read to its low bits, so a
    just-sent message showed a wrong time; and the room's broadcast, which brings the time the
    room stored, did not redraw it. The page's clock is fixed five hours behind the edge's, and
    the broadcast of the message is held back, so the two times are told apart."""
    local = datetime.now(UTC).replace(second=30, microsecond=0) - timedelta(hours=5)
    held: list[str] = []
    sockets: list[WebSocketRoute] = []

    def hold_own_broadcast(ws: WebSocketRoute) -> None:
        sockets.append(ws)
        server = ws.connect_to_server()

        def incoming(message: str | bytes) -> None:
            own = isinstance(message, str) and "What time is it" in message
            if own and json.loads(message)["type"] == "message":
                held.append(message)
                return
            ws.send(message)

        server.on_message(incoming)

    context = chromium.new_context(timezone_id="UTC")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        context.clock.set_fixed_time(local)
        page = context.new_page()
        page.route_web_socket(re.compile("/ws/conversations/"), hold_own_broadcast)
        composer = open_widget(page, edge.url + "/")
        composer.fill("What time is it")
        composer.press("Enter")
        acked = chat(page).locator(".hw-row.hw-mine[data-seq]")
        expect(acked.locator(".hw-meta")).to_have_text(local.strftime("%H:%M") + " · Sent")
        while not held:  # the broadcast follows the ack; Playwright delivers it while we wait
            page.wait_for_timeout(50)
        [broadcast] = held
        stored = datetime.fromtimestamp(json.loads(broadcast)["created_at"] / 1000, UTC)
        assert stored.strftime("%H:%M") != local.strftime("%H:%M")

        sockets[-1].send(broadcast)  # now the page gets the room's copy
        expect(acked.locator(".hw-meta")).to_have_text(stored.strftime("%H:%M") + " · Sent")
        expect(chat(page).locator(".hw-row.hw-mine")).to_have_count(1)
    finally:
        context.close()


SHOP_ADDRESSES = ("127.0.0.1", "127.0.0.2")


class ShopPage(BaseHTTPRequestHandler):
    """A customer's page carrying the snippet (`?site=` and `?edge=` fill it in)."""

    def do_GET(self) -> None:
        query = parse_qs(urlsplit(self.path).query)
        edge, site = query["edge"][0], query["site"][0]
        snippet = f'<script src="{edge}/widget.js" data-site="{site}" async></script>'
        body = f"<!doctype html><title>Shop</title>{snippet}".encode()
        self.send_response(200)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def shops() -> Iterator[dict[str, str]]:
    """Customers' web servers on two loopback addresses, by address: 127.0.0.1 is an origin the
    demo site allows (any port), 127.0.0.2 one it does not. (Chromium lets loopback pages reach
    the loopback edge.)"""
    servers = [ThreadingHTTPServer((address, 0), ShopPage) for address in SHOP_ADDRESSES]
    threads = [threading.Thread(target=server.serve_forever, daemon=True) for server in servers]
    for thread in threads:
        thread.start()
    yield {
        address: f"http://{address}:{server.server_address[1]}"
        for address, server in zip(SHOP_ADDRESSES, servers, strict=True)
    }
    for server, thread in zip(servers, threads, strict=True):
        server.shutdown()
        thread.join()


@pytest.mark.parametrize(
    ("address", "site", "status"),
    [
        ("127.0.0.1", "nope", 404),  # a site the edge does not know
        ("127.0.0.2", "demo", 403),  # a page origin the demo site does not allow
    ],
)
def test_a_refused_widget_says_unavailable_everywhere(
    page: Page, edge, shops: dict[str, str], address: str, site: str, status: int
) -> None:
    held: list[Route] = []  # the session request, until a message waits to be sent
    page.route("**/api/visitor/session", lambda route: held.append(route))
    page.goto(f"{shops[address]}/?{urlencode({'site': site, 'edge': edge.url})}")
    page.get_by_role("button", name="Open chat").click()
    expect(page.locator("helpway-widget[data-ready]")).to_have_count(1)
    composer = chat(page).get_by_role("textbox", name="Message")
    composer.fill("Hello?")
    composer.press("Enter")
    expect(chat(page).locator(".hw-row.hw-sending")).to_have_count(1)
    expect(chat(page).locator(".hw-sub")).to_have_text("Connecting…")

    while not held:  # the request left when the panel opened; its route may lag behind
        page.wait_for_timeout(20)
    with page.expect_response("**/api/visitor/session") as refused:
        held[0].continue_()  # to the real edge, which refuses
    assert refused.value.status == status
    expect(chat(page).locator(".hw-problem")).to_have_text(
        "The chat is not available on this site."
    )
    expect(chat(page).locator(".hw-sub")).to_have_text("Chat unavailable")
    expect(chat(page).locator(".hw-row.hw-failed .hw-meta")).to_have_text("Not sent")
    expect(chat(page).locator(".hw-row.hw-sending")).to_have_count(0)
    expect(composer).to_be_disabled()
    expect(chat(page).get_by_role("button", name="Send")).to_be_disabled()
    expect(chat(page).get_by_role("button", name="Talk to a human")).to_be_hidden()
    # Nothing says otherwise: no greeting, no "we're away, leave a message".
    expect(chat(page).locator(".hw-row")).to_have_count(1)
    expect(chat(page).locator(".hw-away")).to_be_hidden()


def test_console_remembers_what_was_read_across_a_reload(page: Page, edge, busy_site) -> None:
    site = busy_site("unread-console")
    sign_in(page, edge.url, site.agent_email, site.agent_password)
    rows = page.locator("button.hc-conv")
    expect(rows).to_have_count(101)
    expect(page.locator("button.hc-conv.hc-unread")).to_have_count(101)
    read = [site.waiting, site.others[3]]
    for conversation_id in read:
        row = page.locator(f'button.hc-conv[data-id="{conversation_id}"]')
        row.click()
        expect(row).to_have_attribute("aria-current", "true")
        expect(row).not_to_have_class(re.compile("hc-unread"))

    page.reload()
    expect(rows).to_have_count(101)
    expect(page.locator("button.hc-conv.hc-unread")).to_have_count(99)
    for conversation_id in read:
        row = page.locator(f'button.hc-conv[data-id="{conversation_id}"]')
        expect(row).not_to_have_class(re.compile("hc-unread"))
