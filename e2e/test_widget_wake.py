"""The widget's socket after the tab comes back from the background, in real Chromium.

The page reaches the edge through a loopback TCP relay. While the tab is hidden the relay
freezes every connection it carries — they stay open but pass nothing, as a socket does that
died while a laptop slept or a phone froze the tab — and the agent writes meanwhile. When the
tab is visible again the widget's own `visibilitychange` handler pings; no answer comes, so it
reconnects at once (the relay passes new connections), resumes from its last seq, and shows the
agent's message, every entry of the log once. Without the check the widget would sit on the
dead socket until its silence limit, a minute later.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest
from edge_process import Edges, agent_says, room_log
from playwright.sync_api import Browser, Frame, Page, WebSocket, expect

TIMEOUT_MS = 30_000
# Stands in for the tab being hidden, then shown: the browser's own visibilityState of the
# widget's frame is replaced, and the event its handler listens for is dispatched.
SET_VISIBILITY = """state => {
    Object.defineProperty(document, "visibilityState", { get: () => state, configurable: true });
    const hidden = { get: () => state !== "visible", configurable: true };
    Object.defineProperty(document, "hidden", hidden);
    document.dispatchEvent(new Event("visibilitychange"));
}"""


class _Link:
    def __init__(self, near: socket.socket, far: socket.socket) -> None:
        self.near, self.far = near, far
        self.flowing = threading.Event()
        self.flowing.set()


class Relay:
    """Forwards loopback connections to `port`; `freeze()` stops the ones open at that moment
    from passing anything more, in either direction, without closing them."""

    def __init__(self, port: int) -> None:
        self._port = port
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        self._links: list[_Link] = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                near, _ = self._server.accept()
            except OSError:
                return
            far = socket.create_connection(("127.0.0.1", self._port))
            link = _Link(near, far)
            self._links.append(link)
            for source, target in ((near, far), (far, near)):
                pump = threading.Thread(target=self._pump, args=(link, source, target))
                pump.daemon = True
                pump.start()

    def _pump(self, link: _Link, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                link.flowing.wait()
                if self._closed:
                    return
                target.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, target):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def freeze(self) -> None:
        for link in self._links:
            link.flowing.clear()

    def close(self) -> None:
        self._closed = True
        self._server.close()
        for link in self._links:
            link.flowing.set()
            link.near.close()
            link.far.close()


@pytest.fixture
def relay(edges: Edges) -> Iterator[Relay]:
    edge = edges.start()
    running = Relay(int(edge.url.rsplit(":", 1)[1]))
    running.edge = edge  # type: ignore[attr-defined]
    yield running
    running.close()


def _widget_frame(page: Page) -> Frame:
    handle = page.locator("helpway-widget iframe").element_handle()
    frame = handle.content_frame() if handle is not None else None
    assert frame is not None
    return frame


def test_a_dead_socket_is_replaced_when_the_tab_is_visible_again(
    browser: Browser, relay: Relay
) -> None:
    edge = relay.edge  # type: ignore[attr-defined]
    context = browser.new_context()
    visitor = context.new_page()
    sockets: list[WebSocket] = []
    visitor.on(
        "websocket", lambda ws: sockets.append(ws) if "/ws/conversations/" in ws.url else None
    )
    visitor.goto(relay.url + "/")
    with visitor.expect_response(lambda r: r.url.endswith("/api/visitor/session")) as started:
        visitor.get_by_role("button", name="Open chat").click()
    session = started.value.json()
    cid, token = session["conversation_id"], session["visitor_token"]
    chat = visitor.frame_locator("helpway-widget iframe")
    human = chat.get_by_role("button", name="Talk to a human")
    expect(human).to_be_enabled(timeout=TIMEOUT_MS)
    human.click()
    handoff = chat.locator('.hw-event[data-event="handoff.requested"]')
    expect(handoff).to_have_count(1, timeout=TIMEOUT_MS)
    agent_says(edge, cid, "a1", "Hi, I'm Dana.")
    agent_rows = chat.locator('.hw-row[data-role="agent"] .hw-text')
    expect(agent_rows).to_have_text(["Hi, I'm Dana."], timeout=TIMEOUT_MS)
    assert len(sockets) == 1

    # Hidden; the connection dies silently; the agent writes meanwhile.
    frame = _widget_frame(visitor)
    frame.evaluate(SET_VISIBILITY, "hidden")
    relay.freeze()
    missed = agent_says(edge, cid, "a2", "Are you still there?")

    # Visible again: no pong comes on the frozen socket, so the widget opens a new one and
    # catches up — well before its silence limit would have noticed.
    frame.evaluate(SET_VISIBILITY, "visible")
    expect(agent_rows).to_have_text(["Hi, I'm Dana.", "Are you still there?"], timeout=TIMEOUT_MS)
    assert len(sockets) == 2
    log = room_log(edge, cid, token, missed["seq"])
    drawn = chat.locator(".hw-log [data-id]").evaluate_all(
        "rows => rows.map(r => [r.dataset.id, Number(r.dataset.seq)])"
    )
    assert drawn == [[e["id"], e["seq"]] for e in log]

    # A socket that answers is kept: showing the tab again opens nothing new.
    frame.evaluate(SET_VISIBILITY, "hidden")
    frame.evaluate(SET_VISIBILITY, "visible")
    last = agent_says(edge, cid, "a3", "Good, I'm here too.")
    everything = ["Hi, I'm Dana.", "Are you still there?", "Good, I'm here too."]
    expect(agent_rows).to_have_text(everything, timeout=TIMEOUT_MS)
    assert len(sockets) == 2
    assert room_log(edge, cid, token, last["seq"])[-1]["id"] == last["id"]
    context.close()
