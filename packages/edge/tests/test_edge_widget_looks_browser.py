"""The widget's languages, theme and business hours in real Chromium against the real local edge.

Each test makes a site with its own settings (straight into the edge's D1 file, as `helpway
sites config` would), serves a customer's page carrying the snippet from a loopback server, and
drives the widget as a visitor whose browser speaks some language: Spanish strings for an es
browser on a site allowing es; Arabic laid out right to left; the site's theme on the launcher
before anyone opens it; the away message and the e-mail capture outside business hours, the
e-mail landing in D1; the panel full screen on a phone; long words and emoji wrapped.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, FrameLocator, Page, expect
from websockets.sync.client import connect

from helpway.store import agents, sites
from helpway.store.sqlite import SqliteDatabase

TIMEOUT_MS = 30_000
_n = itertools.count()


class ShopPage(BaseHTTPRequestHandler):
    """A customer's page carrying the snippet (`?site=` and `?edge=` fill it in)."""

    def do_GET(self) -> None:
        query = parse_qs(urlsplit(self.path).query)
        edge, site = query["edge"][0], query["site"][0]
        snippet = f'<script src="{edge}/widget.js" data-site="{site}" async></script>'
        viewport = '<meta name="viewport" content="width=device-width, initial-scale=1">'
        body = f"<!doctype html>{viewport}<title>Shop</title><h1>Shop</h1>{snippet}".encode()
        self.send_response(200)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def shop() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), ShopPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join()


AGENT_PASSWORD = "looks password 1"


def make_site(edge: Any, **settings: Any) -> str:
    """A new site (any origin may carry it) with these widget settings, and an agent
    (agent@<site>.example)."""
    site_id = f"looks{next(_n)}"

    async def seed(data: Path) -> None:
        db = SqliteDatabase(data / "d1.sqlite3")
        try:
            config = sites.SiteConfig.model_validate(settings)
            await sites.create_site(db, name=site_id, site_id=site_id, config=config)
            agent = await agents.create_agent(
                db, email=f"agent@{site_id}.example", name="Agent", password=AGENT_PASSWORD
            )
            await agents.add_agent_to_site(db, site_id, agent.id)
        finally:
            db.close()

    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, seed(edge.data)).result()
    return site_id


def visitor_email(edge: Any, visitor_id: str) -> str | None:
    async def read(data: Path) -> str | None:
        db = SqliteDatabase(data / "d1.sqlite3")
        try:
            row = await db.first("SELECT email FROM visitors WHERE id = ?", (visitor_id,))
        finally:
            db.close()
        return None if row is None else row["email"]

    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, read(edge.data)).result()


def new_page(chromium: Browser, locale: str = "en-US", **options: Any) -> Page:
    context = chromium.new_context(locale=locale, **options)
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


def visit(page: Page, shop: str, edge: Any, site: str) -> FrameLocator:
    page.goto(f"{shop}/?{urlencode({'site': site, 'edge': edge.url})}")
    return page.frame_locator("helpway-widget iframe")


def open_chat(page: Page, name: str) -> None:
    page.get_by_role("button", name=name).click()
    expect(page.locator("helpway-widget[data-ready]")).to_have_count(1)


def test_a_spanish_browser_gets_spanish_on_a_site_that_allows_it(
    chromium: Browser, widget_built: None, edge: Any, shop: str
) -> None:
    site = make_site(
        edge,
        languages=["en", "es"],
        greetings={"es": "¡Hola! ¿En qué te ayudamos?"},
        assistant_name="Ada",
    )
    page = new_page(chromium, locale="es-ES")
    chat = visit(page, shop, edge, site)
    open_chat(page, "Abrir chat")  # the launcher's label is Spanish before it is ever opened
    expect(chat.locator("html")).to_have_attribute("lang", "es")
    expect(chat.locator(".hw-sub")).to_have_text("Ada responde al instante")
    expect(chat.get_by_role("button", name="Hablar con una persona")).to_be_visible()
    composer = chat.get_by_role("textbox", name="Mensaje")
    expect(composer).to_have_attribute("placeholder", "Escribe tu mensaje…")
    expect(chat.locator(".hw-row .hw-text").first).to_have_text("¡Hola! ¿En qué te ayudamos?")
    composer.fill("¿Puedo cambiar mi contraseña?")
    composer.press("Enter")
    expect(chat.locator(".hw-row.hw-mine[data-seq] .hw-meta")).to_contain_text("Enviado")
    expect(chat.get_by_role("button", name="Cerrar chat")).to_be_visible()
    page.context.close()


def test_a_language_the_site_does_not_allow_falls_back_to_its_default(
    chromium: Browser, widget_built: None, edge: Any, shop: str
) -> None:
    site = make_site(edge, languages=["pt", "en"], default_language="pt")
    page = new_page(chromium, locale="th-TH")
    chat = visit(page, shop, edge, site)
    open_chat(page, "Abrir chat")
    expect(chat.locator("html")).to_have_attribute("lang", "pt")
    expect(chat.get_by_role("button", name="Falar com uma pessoa")).to_be_visible()
    page.context.close()


def test_arabic_is_drawn_right_to_left(
    chromium: Browser, widget_built: None, edge: Any, shop: str
) -> None:
    site = make_site(edge, languages=["en", "ar"])
    page = new_page(chromium, locale="ar-EG")
    chat = visit(page, shop, edge, site)
    open_chat(page, "افتح الدردشة")
    expect(chat.locator("html")).to_have_attribute("dir", "rtl")
    expect(chat.locator("html")).to_have_attribute("lang", "ar")
    composer = chat.get_by_role("textbox", name="الرسالة")
    expect(composer).to_have_attribute("placeholder", "اكتب رسالتك…")
    composer.fill("مرحبا")
    composer.press("Enter")
    mine = chat.locator(".hw-row.hw-mine[data-seq]")
    expect(mine.locator(".hw-meta")).to_contain_text("أُرسلت")
    # Mirrored: our own bubble sits on the left, the close button on the left of the header.
    log = chat.locator(".hw-log").bounding_box()
    bubble = mine.locator(".hw-bubble").bounding_box()
    close = chat.locator(".hw-close").bounding_box()
    title = chat.locator(".hw-title").bounding_box()
    assert log and bubble and close and title
    assert bubble["x"] - log["x"] < log["x"] + log["width"] - (bubble["x"] + bubble["width"])
    assert close["x"] < title["x"]
    assert chat.locator(".hw-mine .hw-text").evaluate("el => getComputedStyle(el).direction") == (
        "rtl"
    )
    page.context.close()


def test_the_rating_prompt_speaks_arabic_right_to_left(
    chromium: Browser, widget_built: None, edge: Any, shop: str
) -> None:
    site = make_site(edge, languages=["en", "ar"])
    page = new_page(chromium, locale="ar-EG")
    chat = visit(page, shop, edge, site)
    open_chat(page, "افتح الدردشة")
    composer = chat.get_by_role("textbox", name="الرسالة")
    composer.fill("مرحبا")
    composer.press("Enter")
    expect(chat.locator(".hw-row.hw-mine[data-seq]")).to_have_count(1)
    # The site's agent closes the conversation over its own socket.
    login = {"email": f"agent@{site}.example", "password": AGENT_PASSWORD}
    token = httpx.post(edge.url + "/api/agent/login", json=login).json()["token"]
    rows: list[dict[str, Any]] = []
    deadline = datetime.now(UTC) + timedelta(seconds=10)
    while not rows and datetime.now(UTC) < deadline:  # D1 is written by the room's outbox
        inbox = httpx.get(edge.url + "/api/inbox", headers={"authorization": f"Bearer {token}"})
        rows = inbox.json()["conversations"]
    [row] = rows
    with connect(f"{edge.ws_url}/ws/conversations/{row['id']}") as ws:
        ws.send(json.dumps({"type": "join", "v": 1, "token": token}))
        ws.send(json.dumps({"type": "close"}))
        while json.loads(ws.recv(timeout=10)).get("name") != "closed":
            pass
    group = chat.get_by_role("group", name="كيف كانت هذه المحادثة؟")
    expect(group).to_be_visible()
    expect(chat.get_by_role("radio", name="4 من 5")).to_have_count(1)
    expect(chat.get_by_role("button", name="إرسال التقييم")).to_be_visible()
    expect(chat.get_by_label("هل لديك ما تضيفه؟ (اختياري)")).to_be_visible()
    # Mirrored: "poor" starts the row on the right, 1 is right of 5.
    low = chat.locator(".hw-rate-end").first.bounding_box()
    high = chat.locator(".hw-rate-end").last.bounding_box()
    one = chat.locator(".hw-rate-score").first.bounding_box()
    five = chat.locator(".hw-rate-score").last.bounding_box()
    assert low and high and one and five
    assert low["x"] > one["x"] > five["x"] > high["x"]
    expect(chat.locator(".hw-rate-end").first).to_have_text("سيئة")
    page.context.close()


def test_the_launcher_takes_the_sites_theme_before_it_is_opened(
    chromium: Browser, widget_built: None, edge: Any, shop: str
) -> None:
    site = make_site(edge, position="left", launcher_text="Need help?", color="#0f766e")
    page = new_page(chromium, viewport={"width": 1200, "height": 800})
    visit(page, shop, edge, site)
    launcher = page.get_by_role("button", name="Open chat")
    expect(launcher).to_have_text("Need help?")
    box = launcher.bounding_box()
    assert box is not None and box["x"] < 100  # bottom left, not bottom right
    background = launcher.evaluate("el => getComputedStyle(el).backgroundColor")
    assert background == "rgb(15, 118, 110)"
    launcher.click()
    frame = page.locator("helpway-widget iframe").bounding_box()
    assert frame is not None and frame["x"] < 100  # the panel opens on the same side
    page.context.close()


def test_outside_business_hours_the_visitor_leaves_an_email_that_reaches_d1(
    chromium: Browser, widget_built: None, edge: Any, shop: str
) -> None:
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[tomorrow.weekday()]
    site = make_site(
        edge,
        languages=["en", "es"],
        business_hours={
            "time_zone": "UTC",
            "weekly": [{"day": day, "opens": "09:00", "closes": "10:00"}],
            "away_messages": {"es": "Ahora no hay nadie del equipo."},
        },
    )
    page = new_page(chromium, locale="es-ES")
    chat = visit(page, shop, edge, site)
    with page.expect_response("**/api/visitor/session") as started:
        open_chat(page, "Abrir chat")
    visitor_id = started.value.json()["visitor_id"]
    away = chat.locator(".hw-away")
    expect(away.locator(".hw-away-text")).to_have_text("Ahora no hay nadie del equipo.")
    expect(away.locator(".hw-away-back")).to_have_text(re.compile(r"^Volvemos el .*09:00"))
    expect(chat.get_by_role("button", name="Hablar con una persona")).to_be_hidden()

    email = away.get_by_role("textbox", name="Tu correo electrónico")
    email.fill("not-an-email")
    away.get_by_role("button", name="Guardar").click()
    expect(away.locator(".hw-email-note")).to_have_text("Introduce un correo electrónico válido.")
    assert visitor_email(edge, visitor_id) is None

    email.fill("ana@shop.example")
    away.get_by_role("button", name="Guardar").click()
    expect(away.locator(".hw-email-note")).to_have_text(
        "¡Gracias! Te responderemos en ana@shop.example."
    )
    expect(email).to_be_hidden()
    assert visitor_email(edge, visitor_id) == "ana@shop.example"
    # The visitor can still write; the assistant still answers.
    composer = chat.get_by_role("textbox", name="Mensaje")
    composer.fill("Hola, ¿me escribís mañana?")
    composer.press("Enter")
    expect(chat.locator(".hw-row.hw-mine[data-seq]")).to_have_count(1)

    # The site's agent sees the e-mail on the conversation's inbox row.
    console = page.context.new_page()
    console.goto(edge.url + "/console")
    expect(console.locator("body[data-ready]")).to_have_count(1)
    console.get_by_label("Email").fill(f"agent@{site}.example")
    console.get_by_label("Password").fill(AGENT_PASSWORD)
    console.get_by_role("button", name="Log in").click()
    row = console.locator("button.hc-conv")
    expect(row).to_have_count(1)
    expect(row.locator(".hc-conv-email")).to_have_text("ana@shop.example")
    page.context.close()


def test_on_a_phone_the_panel_fills_the_screen(
    chromium: Browser, widget_built: None, edge: Any, shop: str
) -> None:
    site = make_site(edge)
    page = new_page(
        chromium, viewport={"width": 375, "height": 700}, is_mobile=True, has_touch=True
    )
    chat = visit(page, shop, edge, site)
    open_chat(page, "Open chat")
    expect(chat.get_by_role("textbox", name="Message")).to_be_visible()
    frame = page.locator("helpway-widget iframe").bounding_box()
    assert frame == {"x": 0, "y": 0, "width": 375, "height": 700}
    composer = chat.get_by_role("textbox", name="Message").bounding_box()
    assert composer is not None and composer["y"] + composer["height"] <= 700
    chat.get_by_role("button", name="Close chat").click()
    expect(page.get_by_role("button", name="Open chat")).to_be_visible()
    page.context.close()


def test_long_words_and_emoji_wrap_inside_the_bubble(
    chromium: Browser, widget_built: None, edge: Any, shop: str
) -> None:
    site = make_site(edge)
    page = new_page(chromium)
    chat = visit(page, shop, edge, site)
    open_chat(page, "Open chat")
    composer = chat.get_by_role("textbox", name="Message")
    texts = [
        "Pneumonoultramicroscopicsilicovolcanoconiosis" * 8,
        "👩🏽‍💻🇮🇩🤦‍♂️" * 40,
        "https://example.com/" + "a/" * 150,
    ]
    for text in texts:
        composer.fill(text)
        composer.press("Enter")
    rows = chat.locator(".hw-row.hw-mine[data-seq]")
    expect(rows).to_have_count(3)
    log = chat.locator(".hw-log")
    widths = log.evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert widths[0] <= widths[1]  # nothing sticks out sideways
    log_box = log.bounding_box()
    assert log_box is not None
    for i in range(3):
        bubble = rows.nth(i).locator(".hw-bubble").bounding_box()
        assert bubble is not None
        assert bubble["x"] >= log_box["x"]
        assert bubble["x"] + bubble["width"] <= log_box["x"] + log_box["width"]
        assert bubble["height"] > 40  # wrapped onto several lines
    assert rows.locator(".hw-text").all_inner_texts() == texts
    page.context.close()


def test_the_playground_shows_each_theme_language_and_state(
    chromium: Browser, widget_built: None, edge: Any
) -> None:
    page = new_page(chromium, viewport={"width": 1400, "height": 900})
    page.goto(edge.url + "/playground")

    def tile(site: str) -> FrameLocator:
        return page.frame_locator(f'iframe[data-tile="{site}"]')

    def panel(site: str) -> FrameLocator:
        return tile(site).frame_locator("helpway-widget iframe")

    for site, lang, direction in [
        ("pg-es", "es", "ltr"),
        ("pg-ar", "ar", "rtl"),
        ("pg-he", "he", "rtl"),
        ("pg-th", "th", "ltr"),
    ]:
        root = panel(site).locator("html")
        expect(root).to_have_attribute("lang", lang)
        expect(root).to_have_attribute("dir", direction)
    expect(tile("pg-es").get_by_role("button", name="Abrir chat")).to_have_text("¿Ayuda?")
    expect(panel("pg-pt").locator(".hw-avatar")).to_be_visible()
    expect(panel("pg-away").locator(".hw-away .hw-away-text")).to_have_text(
        "Our team is away right now."
    )
    expect(panel("pg-away-ar").locator(".hw-away .hw-away-text")).to_have_text(
        "فريقنا غير متواجد الآن."
    )
    expect(panel("pg-missing").locator(".hw-sub")).to_have_text("Chat unavailable")
    launcher = tile("pg-launcher").get_by_role("button", name="Open chat")
    expect(launcher).to_have_text("Chat")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    page.context.close()
