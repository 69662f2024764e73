"""An invite link and a transcript in real Chromium against the real local edge: the invitee
opens the link the CLI printed, sets a name and password in the script-free form, and signs in to
the console; the link is dead afterwards. A transcript full of the stored-XSS corpus opened in
the browser is a download of plain text: nothing renders, nothing runs."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from browser_steps import sign_in
from playwright.sync_api import Browser, Page, expect

from .test_edge_security_xss import CORPUS

TIMEOUT_MS = 30_000
PASSWORD = "invited password 1"
_n = itertools.count()


@pytest.fixture
def page(chromium: Browser, widget_built: None) -> Iterator[Page]:
    context = chromium.new_context(accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def test_an_invitee_joins_through_the_link_and_signs_in(page: Page, edge, helpway) -> None:  # type: ignore[no-untyped-def]
    site, email = f"invited{next(_n)}", f"new{next(_n)}@invited.example"
    helpway(edge.data, "sites", "create", "--id", site, "--name", "Invited")
    printed = helpway(edge.data, "agents", "invite", "--site", site, "--email", email)
    url = printed.stdout.strip().splitlines()[-1]  # on the running edge's port, not 8787
    assert urlsplit(url).netloc == urlsplit(edge.url).netloc

    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(url)
    expect(page.get_by_text(email)).to_be_visible()
    page.get_by_label("Your name").fill("New <img src=x onerror=alert(1)>")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_role("heading", name="Welcome")).to_be_visible()
    expect(page.get_by_text("New <img src=x onerror=alert(1)>", exact=False)).to_be_visible()
    page.get_by_role("link", name="Open the console").click()
    sign_in(page, edge.url, email, PASSWORD)

    page.goto(url)  # used: the link is dead
    expect(page.get_by_text("unknown, used or expired")).to_be_visible()
    assert dialogs == []


def test_a_transcript_opens_as_a_plain_text_download(page: Page, edge, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=edge.url, timeout=30) as http:
        visitor = http.post("/api/visitor/session", json={"site_id": "demo"}).json()
        login = {"email": "agent@demo.helpway.dev", "password": "helpway-demo"}
        token = http.post("/api/agent/login", json=login).json()["token"]
    cid = visitor["conversation_id"]
    _chat(edge.ws_url, cid, visitor["visitor_token"])
    _wait_for_d1(edge.url, cid, token)
    page.context.set_extra_http_headers({"authorization": f"Bearer {token}"})
    url = f"{edge.url}/api/conversations/{cid}/transcript?format=text"
    page.goto(edge.url + "/api/docs")  # any page of the edge's origin to start from
    with page.expect_download() as download:
        page.evaluate("url => { location.href = url }", url)
    saved = tmp_path / "transcript.txt"
    download.value.save_as(saved)
    text = saved.read_text(encoding="utf-8")
    for payload in CORPUS:
        assert payload in text
    assert page.evaluate("() => window.__xss") is None
    assert page.url.endswith("/api/docs")  # the browser stayed: nothing was rendered


def _wait_for_d1(base_url: str, conversation_id: str, token: str) -> None:
    """The outbox copies the room's log to D1 asynchronously: wait until the transcript (read
    from D1) holds the whole corpus."""
    deadline = time.monotonic() + 10
    with httpx.Client(base_url=base_url, headers={"authorization": f"Bearer {token}"}) as http:
        while time.monotonic() < deadline:
            body = http.get(f"/api/conversations/{conversation_id}/transcript").json()
            if {e.get("text") for e in body["entries"]} >= set(CORPUS):
                return
            time.sleep(0.05)
    raise AssertionError("the corpus did not reach D1")


def _chat(ws_url: str, conversation_id: str, token: str) -> None:
    """The visitor sends the corpus (a sync client: Playwright's loop owns this thread)."""
    from websockets.sync.client import connect

    with connect(f"{ws_url}/ws/conversations/{conversation_id}") as ws:
        ws.send(json.dumps({"type": "join", "v": 1, "token": token, "last_seq": 0}))
        acked = 0
        for i, text in enumerate(CORPUS):
            ws.send(json.dumps({"type": "message.send", "client_id": f"x{i}", "text": text}))
        while acked < len(CORPUS):
            frame = json.loads(ws.recv(timeout=10))
            acked += frame["type"] == "ack"
