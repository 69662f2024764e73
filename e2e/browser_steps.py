"""The steps many browser tests take the same way on a real edge: an agent signs in to the
console, a visitor opens the widget and writes in it, a page's socket frames are kept, a
page's requests are held back and let go, a browser refuses the widget's frame storage.

Written once so that a change to the login form, the launcher or the message box is mended in
one place, not in every test that goes through them."""

from __future__ import annotations

import json

from edge_process import AGENT
from playwright.sync_api import (
    Browser,
    BrowserContext,
    FrameLocator,
    Page,
    Route,
    WebSocket,
    expect,
)

TIMEOUT_MS = 30_000


def sign_in(
    page: Page,
    url: str,
    email: str = AGENT["email"],
    password: str = AGENT["password"],
    timeout_ms: int = TIMEOUT_MS,
) -> str:
    """Log in on the console of the edge at `url` (the demo agent by default), wait for the desk
    and return the agent's token (the console keeps it in the tab's sessionStorage). The form
    is filled only once the console's app has started (`data-ready`): nothing handles it
    before."""
    page.goto(url + "/console")
    expect(page.locator("body[data-ready]")).to_have_count(1, timeout=timeout_ms)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".hc-desk")).to_be_visible(timeout=timeout_ms)
    return str(page.evaluate("JSON.parse(sessionStorage.getItem('helpway:agent')).token"))


def panel(page: Page) -> FrameLocator:
    """The widget's panel: a frame of the edge's origin inside the launcher's shadow root."""
    return page.frame_locator("helpway-widget iframe")


def open_widget(page: Page, origin: str) -> FrameLocator:
    """Open the chat on the root page of `origin` (the edge's demo page, or a host site's); the
    panel, once the widget says it is ready."""
    page.goto(origin + "/")
    page.locator('button[aria-label="Open chat"]').click()
    expect(page.locator("helpway-widget[data-ready]")).to_have_count(1, timeout=TIMEOUT_MS)
    return panel(page)


def blocking_frame_storage(browser: Browser) -> tuple[BrowserContext, Page]:
    """A context whose pages' third-party frames get no cookies or storage of their own (as
    Chromium's third-party cookie restrictions do): the widget's frame, on the edge's origin,
    is refused storage and keeps its visitor in the edge's partitioned cookie."""
    context = browser.new_context()
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send(
        "Network.setCookieControls",
        {
            "enableThirdPartyCookieRestriction": True,
            "disableThirdPartyCookieMetadata": True,
            "disableThirdPartyCookieHeuristics": True,
        },
    )
    return context, page


def say(chat: FrameLocator, text: str) -> None:
    """Click in the widget's box, write `text` and send it with Enter, as a visitor does.
    The click matters when the panel has only just opened: until the frame's shell has heard
    it is open and focused its box, a script's focus inside a frame of another site (what
    `fill` alone does) does not move the page's keyboard there, and the keys went to the host
    page (the single-page-app test's flake)."""
    box = chat.locator('textarea[aria-label="Message"]')
    box.click()
    box.fill(text)
    box.press("Enter")


def record_frames(page: Page, received: list[dict], only: str = "") -> None:
    """Keep in `received` every frame the page receives on a socket whose URL contains `only`
    (any socket by default: the widget's and the console's inbox alike)."""

    def on_socket(ws: WebSocket) -> None:
        if only in ws.url:
            ws.on("framereceived", lambda payload: received.append(json.loads(payload)))

    page.on("websocket", on_socket)


class Held:
    """Every request matching `pattern`, held until released: every one of them (the runtime
    is fetched by its preload and again by its module), so releasing leaves none waiting."""

    def __init__(self, page: Page, pattern: str) -> None:
        self.page = page
        self.pattern = pattern
        self.routes: list[Route] = []
        page.route(pattern, self._hold)

    def _hold(self, route: Route) -> None:
        self.routes.append(route)

    def wait(self) -> None:
        for _ in range(TIMEOUT_MS // 20):
            if self.routes:
                return
            self.page.wait_for_timeout(20)
        raise AssertionError(f"nothing asked for {self.pattern}")

    def release(self) -> None:
        """Lets the held requests go, and those still to come."""
        self._let_go()
        self.page.unroute(self.pattern, self._hold)
        self._let_go()  # came while it was being let go

    def _let_go(self) -> None:
        while self.routes:
            self.routes.pop().continue_()
