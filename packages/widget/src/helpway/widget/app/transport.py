"""The apps' connection to the edge: JSON over `fetch`, and sockets that rejoin after a drop.

Browser-only. Synchronous browser calls that can throw (storage, opening and writing sockets)
go through `bridge.js`, because MicroPython cannot catch a JavaScript exception thrown by a
synchronous call; awaited promises are safe to `try`.
"""

import asyncio
import json

import js
import limits
import pacing
import wire
import wire_spec
from jsffi import create_proxy, to_js
from polyscript import js_modules

bridge = js_modules.bridge

# mypy reads this as true; MicroPython (no `typing`) never runs the imports below.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

# Seconds between pings on an open socket, and of silence after which it is presumed dead
# (a laptop lid closed, a proxy dropping the connection without telling anyone).
PING_EVERY_S = 25
SILENCE_LIMIT_S = 60
# A tab back from the background may hold a socket that died while it slept (a frozen tab, a
# laptop lid, a mobile network that changed) and says nothing for minutes: it pings at once,
# and unless something arrives within this long it reconnects and resumes from its last seq.
WAKE_DEADLINE_S = 5
# Close codes after which rejoining cannot help: the app must act.
CLOSE_UNAUTHORIZED = 4401
CLOSE_UNSUPPORTED = 4400


def now_ms() -> int:
    """Milliseconds since the epoch. Read as a string: MicroPython truncates a large JavaScript
    number turned into a Python int (to its low 30 bits), which made times wrong by days."""
    return int(bridge.now())


async def request(method: str, url: str, body: dict | None = None, token: str = "") -> tuple:
    """Send a JSON request; returns (HTTP status, parsed body or None). Status 0: no answer."""
    headers = {"Accept": "application/json"}
    options = {"method": method, "headers": headers}
    if body is not None:
        headers["Content-Type"] = "application/json"
        options["body"] = json.dumps(body)
    if token:
        headers["Authorization"] = "Bearer " + token
    try:
        response = await js.fetch(url, to_js(options))
        text = await response.text()
    except Exception:  # the network failed or the request was refused (CORS, offline)
        return 0, None
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    return int(response.status), data


def socket_url(origin: str, path: str) -> str:
    if origin.startswith("https:"):
        return "wss:" + origin[6:] + path
    return "ws:" + origin[5:] + path


class Channel:
    """One socket to an edge endpoint that joins when it opens and rejoins after a drop.

    `join()` builds the join frame each time a socket opens, so it carries the newest
    `last_seq`. `on_frame(frame)` gets every server frame the codec accepts; `on_status(status)`
    hears "connecting", "open", "retrying", "unauthorized" or "unsupported" (the last two end
    the channel). A conversation socket is "open" once the room's `welcome` arrives; a socket
    whose endpoint sends no welcome (`welcomed=False`, the inbox) is open once joined.
    """

    def __init__(
        self,
        url: str,
        join: "Callable[[], dict]",
        on_frame: "Callable[[dict], None]",
        on_status: "Callable[[str], None]",
        welcomed: bool = True,
    ) -> None:
        self.url = url
        self._welcomed = welcomed
        self._join = join
        self._on_frame = on_frame
        self._on_status = on_status
        self._socket = None
        self._attempt = 0
        self._generation = 0  # events from an older socket are ignored
        self._stopped = False
        self._heard_at = 0
        self._retry_task: asyncio.Task | None = None
        self._online = create_proxy(self._came_online)
        js.window.addEventListener("online", self._online)
        self._visible = create_proxy(self._became_visible)
        js.document.addEventListener("visibilitychange", self._visible)
        self._wake_task: asyncio.Task | None = None
        self._heartbeat_task = asyncio.create_task(self._heartbeat())

    def start(self) -> None:
        self._connect()

    def is_open(self) -> bool:
        return self._socket is not None and int(self._socket.readyState) == 1

    def send(self, frame: dict) -> bool:
        """Send now if the socket is open; False otherwise (the caller keeps it for later)."""
        if not self.is_open():
            return False
        return bool(bridge.send(self._socket, wire.encode(frame)))

    def stop(self) -> None:
        """Close for good (logging out, switching conversations)."""
        self._stopped = True
        self._generation += 1
        js.window.removeEventListener("online", self._online)
        js.document.removeEventListener("visibilitychange", self._visible)
        if self._socket is not None:
            bridge.close(self._socket, 1000)
            self._socket = None

    # ------------------------------------------------------------------ socket life

    def _connect(self) -> None:
        if self._stopped:
            return
        self._generation += 1
        generation = self._generation
        self._on_status("connecting")
        socket = bridge.openSocket(self.url)
        if socket is None:
            self._retry()
            return
        self._socket = socket

        def opened(_event: js.Event) -> None:
            if generation == self._generation:
                self._heard_at = now_ms()
                bridge.send(socket, wire.encode(self._join()))
                if not self._welcomed:
                    self._attempt = 0
                    self._on_status("open")

        def received(event: js.Event) -> None:
            if generation != self._generation:
                return
            self._heard_at = now_ms()
            raw = event.data
            if not isinstance(raw, str):
                return
            frame, problem = wire.decode(raw, wire_spec.SERVER)
            if problem is not None:
                js.console.warn("helpway: ignored a frame from the server:", problem[1])
                return
            if frame["type"] == "welcome":
                self._attempt = 0
                self._on_status("open")
            self._on_frame(frame)

        def closed(event: js.Event) -> None:
            if generation != self._generation:
                return
            self._socket = None
            code = int(event.code)
            if code == CLOSE_UNAUTHORIZED:
                self._stopped = True
                self._on_status("unauthorized")
            elif code == CLOSE_UNSUPPORTED:
                self._stopped = True
                self._on_status("unsupported")
            else:
                self._retry()

        socket.onopen = create_proxy(opened)
        socket.onmessage = create_proxy(received)
        socket.onclose = create_proxy(closed)

    def _retry(self) -> None:
        if self._stopped:
            return
        self._on_status("retrying")
        delay = pacing.reconnect_delay_ms(self._attempt, float(js.Math.random()))
        self._attempt += 1
        self._retry_task = asyncio.create_task(self._connect_after(delay))

    async def _connect_after(self, delay_ms: int) -> None:
        await asyncio.sleep(delay_ms / 1000)
        self._retry_task = None
        if self._socket is None:
            self._connect()

    def _came_online(self, _event: js.Event) -> None:
        """Back online: rejoin now instead of waiting out the backoff."""
        if self._retry_task is not None:
            self._retry_task.cancel()
            self._retry_task = None
            self._attempt = 0
            self._connect()

    def _became_visible(self, _event: js.Event) -> None:
        if str(js.document.visibilityState) == "visible" and self._wake_task is None:
            self._wake_task = asyncio.create_task(self._wake_check())

    async def _wake_check(self) -> None:
        """Back in view: ping, and reconnect now unless the socket answers in time."""
        generation = self._generation
        asked_at = now_ms()
        if self.send({"type": "ping"}):
            await asyncio.sleep(WAKE_DEADLINE_S)
            if generation == self._generation and self._heard_at < asked_at and self.is_open():
                self._drop()
                self._attempt = 0
                self._connect()
        self._wake_task = None

    async def _heartbeat(self) -> None:
        while not self._stopped:
            await asyncio.sleep(PING_EVERY_S)
            if not self.is_open():
                continue
            if now_ms() - self._heard_at > SILENCE_LIMIT_S * 1000:
                self._drop()
                self._retry()
            else:
                self.send({"type": "ping"})

    def _drop(self) -> None:
        """Give up on a socket presumed dead: it may take minutes to report its close."""
        self._generation += 1
        bridge.close(self._socket, 4000)
        self._socket = None


def join_frame(token: str, last_seq: int) -> dict:
    return {"type": "join", "v": limits.PROTOCOL_VERSION, "token": token, "last_seq": last_seq}
