"""The loader and both apps in real Chromium, served from a build by a plain static server.

There is no edge here (the e2e suite drives the whole chat): these check what the widget
package owns. The launcher comes from the loader alone; the panel shell opens and takes a
message before Python is ready, and the app sends it once it is; Python boots from the
loader's own origin only, without PyScript's unused plugins; a second copy of the loader does
nothing; the console's Python wires up its sign-in form.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect, sync_playwright

from helpway.widget import build

CHROMIUM = os.environ.get("HELPWAY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOST_PAGE = b"""<!doctype html><html><head><meta charset="utf-8"><title>Host</title>
<script src="/widget.js" data-site="demo" async></script></head>
<body><h1>A customer's page</h1>
<script src="/widget.js" data-site="demo" async></script></body></html>"""
TYPES = {".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm"}


class EdgeShapedFiles(SimpleHTTPRequestHandler):
    """Serves a build the way the edge does (`/widget.js`, `/console`, `/w/...`); the API is
    absent, so every API call gets a JSON 404."""

    def __init__(self, *args: object, directory: str, **kwargs: object) -> None:
        super().__init__(*args, directory=directory, **kwargs)  # type: ignore[arg-type]

    def guess_type(self, path: str | os.PathLike[str]) -> str:
        return TYPES.get(Path(path).suffix, super().guess_type(path))

    def translate_path(self, path: str) -> str:
        path = path.split("?")[0]
        if path == "/console":
            path = "/console.html"
        elif path.startswith("/w/"):
            path = path[2:]
        elif path != "/widget.js":
            path = "/missing"
        return super().translate_path(path)

    def do_GET(self) -> None:
        if self.path == "/":
            self._send(200, "text/html", HOST_PAGE)
        else:
            super().do_GET()

    def do_POST(self) -> None:
        self._send(404, "application/json", b'{"code":"not_found","message":"no API here"}')

    def _send(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    out = tmp_path_factory.mktemp("site")
    build(out)
    handler = partial(EdgeShapedFiles, directory=str(out))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join()


@pytest.fixture
def page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page()
        finally:
            browser.close()


def test_widget_opens_at_once_and_python_takes_over(site: str, page: Page) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    held: list[Route] = []
    released = False

    def hold(route: Route) -> None:  # Python cannot start until the wasm is released
        if released:
            route.continue_()
        else:
            held.append(route)

    page.route("**/micropython.wasm", hold)

    page.goto(site + "/")
    launcher = page.get_by_role("button", name="Open chat")
    launcher.click()
    assert page.locator("helpway-widget").count() == 1  # the second copy did nothing
    frame = page.frame_locator("helpway-widget iframe")
    panel = frame.get_by_role("dialog", name="Chat")
    panel.wait_for()
    assert launcher.get_attribute("aria-expanded") == "true"
    message = frame.get_by_role("textbox", name="Message")
    expect(message).to_be_focused()
    assert frame.locator(".hw-log").inner_text() == "Loading the chat…"
    message.fill("Hello before Python")
    message.press("Enter")
    assert frame.locator("body[data-queued]").count() == 1
    assert page.locator("helpway-widget[data-ready]").count() == 0

    released = True
    for route in held:
        route.continue_()
    page.wait_for_selector("helpway-widget[data-ready]", state="attached")

    # The app took what was typed before it was ready. This server knows no site (every API
    # call is a 404), so the chat ends at once, consistently: the message is not sent, the
    # header and the notice say why, and nothing more can be typed.
    failed = frame.locator(".hw-row.hw-mine.hw-failed")
    failed.wait_for()
    assert failed.locator(".hw-text").inner_text() == "Hello before Python"
    assert failed.locator(".hw-meta").inner_text() == "Not sent"  # no Retry: it cannot work
    assert frame.locator(".hw-row.hw-sending").count() == 0
    assert message.input_value() == ""
    problem = frame.locator(".hw-problem")
    problem.wait_for()
    assert problem.inner_text() == "The chat is not available on this site."
    assert frame.locator(".hw-sub").inner_text() == "Chat unavailable"
    assert message.is_disabled()
    assert frame.get_by_role("button", name="Send").is_disabled()
    assert frame.get_by_role("button", name="Talk to a human").is_hidden()

    assert all(url.startswith(site + "/") for url in requests), requests
    assert not [url for url in requests if "plugin" in url or "-editor" in url]
    names = {url.split("/")[-1] for url in requests}
    assert names >= {"core.js", "micropython.mjs", "widget_modules.bin"}

    # Closing from inside the frame hides it and gives the focus back to the launcher.
    frame.get_by_role("button", name="Close chat").click()
    expect(page.locator("helpway-widget iframe")).to_be_hidden()
    assert launcher.get_attribute("aria-expanded") == "false"
    expect(launcher).to_be_focused()


def test_the_shell_speaks_the_browsers_language_before_python(site: str) -> None:
    """An Arabic browser: the panel opens right to left in Arabic while Python is held back;
    once it runs (this server knows no site, so no config comes) it keeps that language."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="ar-EG")
            held: list[Route] = []
            page.route("**/micropython.wasm", lambda route: held.append(route))
            page.goto(site + "/")
            page.get_by_role("button", name="Open chat").click()
            frame = page.frame_locator("helpway-widget iframe")
            expect(frame.get_by_role("dialog", name="الدردشة")).to_be_visible()
            expect(frame.locator("html")).to_have_attribute("dir", "rtl")
            message = frame.get_by_role("textbox", name="الرسالة")
            expect(message).to_have_attribute("placeholder", "اكتب رسالتك…")
            expect(frame.locator(".hw-log")).to_have_text("جارٍ تحميل الدردشة…")
            expect(frame.get_by_role("button", name="التحدث إلى موظف")).to_be_visible()
            assert page.locator("helpway-widget[data-ready]").count() == 0

            for route in held:
                route.continue_()
            page.wait_for_selector("helpway-widget[data-ready]", state="attached")
            expect(frame.locator(".hw-sub")).to_have_text("الدردشة غير متاحة")
            expect(frame.locator(".hw-problem")).to_have_text("الدردشة غير متاحة على هذا الموقع.")
            expect(frame.locator("html")).to_have_attribute("lang", "ar")
        finally:
            browser.close()


def test_console_wires_up_its_sign_in_form(site: str, page: Page) -> None:
    page.goto(site + "/console")
    page.wait_for_selector("body[data-ready]", state="attached")
    page.get_by_label("Email").fill("agent@example.com")
    page.get_by_label("Password").fill("secret")
    page.get_by_role("button", name="Log in").click()
    error = page.get_by_role("alert").filter(has_text="Can't reach the server")
    error.wait_for()
    assert page.get_by_role("button", name="Log in").is_enabled()
    assert page.locator(".hc-desk").is_hidden()


def test_micropython_imports_the_compiled_modules(site: str, page: Page) -> None:
    """The app modules reach MicroPython as `.mpy` only, unpacked from the one packed file (no
    source is fetched, none compiled at page load), and PyScript wrote no `pyscript` package
    beside them (the build leaves it out): the inline entry script, routed to say where
    `widget_app` came from and what its folder holds, shows it."""
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    check = (
        "import js\nimport os\nimport widget_app\n"
        "js.document.body.setAttribute('data-app-file', widget_app.__file__)\n"
        "js.document.body.setAttribute('data-folder', ' '.join(sorted(os.listdir('.'))))\n"
    )

    def frame(route: Route) -> None:
        text = route.fetch().text()
        loads = re.findall(r"\nawait load\([^\n]*'widget_main'\), \d+\)\n", text)
        assert len(loads) == 1
        route.fulfill(
            body=text.replace(loads[0], loads[0] + check),
            content_type="text/html; charset=utf-8",
        )

    page.route("**/w/frame.html*", frame)
    page.goto(site + "/")
    page.get_by_role("button", name="Open chat").click()
    page.wait_for_selector("helpway-widget[data-ready]", state="attached")
    body = page.frame_locator("helpway-widget iframe").locator("body")
    expect(body).to_have_attribute("data-runtime", "micropython")
    assert body.get_attribute("data-app-file") == "widget_app.mpy"
    folder = (body.get_attribute("data-folder") or "").split()
    assert "widget_app.mpy" in folder
    assert "pyscript" not in folder
    names = [url.rsplit("/", 1)[-1] for url in requests]
    assert "widget_modules.bin" in names
    assert not [name for name in names if name.endswith((".py", ".mpy"))]
    assert not [name for name in names if name.startswith("brython")]
    # Every asset went out once: the preloads are what the runtime then uses.
    assets = [url for url in requests if "/w/v/" in url]
    assert len(assets) == len(set(assets)), assets


BRYTHON_CHECKS = """
import asyncio, js, json
from jsffi import to_js
from polyscript import js_modules
out = {}
out["loads_bytes"] = json.loads(b'{"a": [1, "\\xc3\\xa9"]}')
try:
    json.loads("{bad")
except ValueError:
    out["bad_json"] = "ValueError"
out["dumps"] = json.dumps({"a": [1, None]}, separators=(",", ":"))
out["to_js"] = str(js.JSON.stringify(to_js({"headers": {"Accept": "x"}, "n": [1, None]})))
box = js.document.createElement("div")
box.appendChild(js.document.createElement("i"))
box.insertBefore(js.document.createElement("b"), None)  # None is null: appended
out["insert"] = str(box.innerHTML)
out["bridge"] = str(js_modules.bridge.now()).isdigit()
steps = []
async def sleeper():
    for i in range(20):
        steps.append(i)
        await asyncio.sleep(0.05)
async def main():
    task = asyncio.create_task(sleeper())
    await asyncio.sleep(0.12)
    task.cancel()
    seen = len(steps)
    await asyncio.sleep(0.3)
    out["cancelled"] = [task.done(), task.cancelled(), len(steps) == seen]
    js.document.body.setAttribute("data-checks", json.dumps(out))
asyncio.create_task(main())
"""


def test_brython_stands_in_without_webassembly(site: str) -> None:
    """Without WebAssembly the frame starts Brython, downloading none of MicroPython's or
    PyScript's files (frame.js preloads only the runtime it picks), and the shims behave as
    the apps expect of PyScript: json over bytes and its ValueError, plain JavaScript objects
    from `to_js`, None as null, `js_modules`, and a cancelled task stopping where it sleeps."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, "--js-flags=--jitless --noexpose_wasm"]
        )
        try:
            page = browser.new_page()
            requests: list[str] = []
            page.on("request", lambda request: requests.append(request.url))
            page.goto(site + "/")
            page.get_by_role("button", name="Open chat").click()
            page.wait_for_selector("helpway-widget[data-ready]", state="attached", timeout=60_000)
            frame = next(f for f in page.frames if "/w/frame.html" in f.url)
            assert frame.evaluate("typeof WebAssembly") == "undefined"
            assets = [url for url in requests if "/w/v/" in url]
            assert len(assets) == len(set(assets)), assets
            names = {url.rsplit("/", 1)[-1] for url in assets}
            assert {"brython.min.js", "stdlib.js", "brython_modules.js", "bridge.js"} <= names
            micropython = ("/runtime/pyscript/", "/runtime/micropython/")
            assert not [url for url in assets if any(part in url for part in micropython)]
            assert "widget_modules.bin" not in names
            body = page.frame_locator("helpway-widget iframe").locator("body")
            expect(body).to_have_attribute("data-runtime", "brython")
            # This server knows no site: the app on Brython ends the chat as on MicroPython.
            chat = page.frame_locator("helpway-widget iframe")
            expect(chat.locator(".hw-sub")).to_have_text("Chat unavailable")

            frame.evaluate("(code) => __BRYTHON__.runPythonSource(code)", BRYTHON_CHECKS)
            expect(body).to_have_attribute("data-checks", re.compile("cancelled"), timeout=30_000)
            checks = json.loads(body.get_attribute("data-checks") or "{}")
            assert checks == {
                "loads_bytes": {"a": [1, "é"]},
                "bad_json": "ValueError",
                "dumps": '{"a":[1,null]}',
                "to_js": '{"headers":{"Accept":"x"},"n":[1,null]}',
                "insert": "<i></i><b></b>",
                "bridge": True,
                "cancelled": [True, True, True],
            }
        finally:
            browser.close()
