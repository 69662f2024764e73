"""Every field a person types is held to the text rule (`wire.TEXT`, or `wire.LINE` for a
one-line field: no control character at all), not only messages: a refused value is a 422
`invalid` naming the field, and nothing changes. On the local edge and on the Worker (`api`)."""

from __future__ import annotations

from typing import Any

import pytest

from helpway.edge.routes.conversations import transcript_text
from helpway.shared import rest

from .conftest import own_site


def _refused(response: Any, field: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "invalid" and body["message"].startswith(f"{field}: "), body


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": " "}, "title"),
        ({"title": "a\u0000b"}, "title"),
        ({"title": "Help\nnow"}, "title"),
        ({"greeting": "\u0000"}, "greeting"),
        ({"greetings": {"es": ""}}, "greetings.es"),
        ({"greetings": {"es": "\u200b"}}, "greetings.es"),
        ({"launcher_text": "\u0007"}, "launcher_text"),
        ({"assistant_name": "\u200b"}, "assistant_name"),
    ],
)
async def test_widget_settings_hold_typed_text_to_the_rule(
    api: Any, change: dict[str, Any], field: str
) -> None:
    async with own_site(api) as (site_id, headers):
        path = f"/api/sites/{site_id}/widget"
        before = (await api.http.get(path, headers=headers)).json()
        _refused(await api.http.post(path, json=change, headers=headers), field)
        assert (await api.http.get(path, headers=headers)).json() == before


async def test_widget_settings_may_leave_the_greeting_and_launcher_text_empty(api: Any) -> None:
    async with own_site(api) as (site_id, headers):
        path = f"/api/sites/{site_id}/widget"
        change = {"greeting": "", "launcher_text": "", "greetings": {"es": "¡Hola!\n¿Qué tal?"}}
        saved = await api.http.post(path, json=change, headers=headers)
        assert saved.status_code == 200, saved.text
        assert (saved.json()["greeting"], saved.json()["launcher_text"]) == ("", "")


async def test_a_site_name_and_a_canned_title_are_one_visible_line(api: Any) -> None:
    async with own_site(api) as (site_id, headers):
        _refused(
            await api.http.post("/api/sites", json={"name": "\u0000"}, headers=headers), "name"
        )
        renamed = await api.http.post(f"/api/sites/{site_id}", json={"name": " "}, headers=headers)
        _refused(renamed, "name")
        canned = {"shortcut": "hi", "title": "\u0000", "text": "Hello"}
        made = await api.http.post(f"/api/sites/{site_id}/canned", json=canned, headers=headers)
        _refused(made, "title")


async def test_what_a_visitors_browser_says_is_held_to_the_rule(api: Any) -> None:
    session = "/api/visitor/session"
    locale = await api.http.post(session, json={"site_id": "demo", "locale": "\u0000"})
    _refused(locale, "locale")
    # A zone the edge does not know is dropped, not a chat refused: the browser may be newer.
    zone = await api.http.post(session, json={"site_id": "demo", "time_zone": "Mars/Olympus"})
    assert zone.status_code == 200
    for bad in (5, "<b>", "../../etc/passwd"):
        refused = await api.http.post(session, json={"site_id": "demo", "time_zone": bad})
        _refused(refused, "time_zone")
    page = {"site_id": "demo", "page_url": "http://127.0.0.1:8899/\u202egnp.exe"}
    _refused(await api.http.post(session, json=page), "page_url")
    fine = {"site_id": "demo", "locale": "th-TH", "time_zone": "Asia/Bangkok"}
    assert (await api.http.post(session, json=fine)).status_code == 200
    visitor = await api.visitor()
    bearer = {"authorization": f"Bearer {visitor['visitor_token']}"}
    email = await api.http.post("/api/visitor/email", json={"email": "a@b.c\u0000"}, headers=bearer)
    _refused(email, "email")


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "http://a b", "http://127.0.0.1:8899/\u202egnp.exe", "/relative"],
)
async def test_a_page_that_is_no_web_pages_url_is_invalid_not_a_foreign_origin(
    api: Any, url: str
) -> None:
    """Refused as what it is (not a URL) before the origin check, and never stored: a bidi
    override would show `…/exe.png` in the console's Page field."""
    visitor = await api.visitor()
    bearer = {"authorization": f"Bearer {visitor['visitor_token']}"}
    _refused(
        await api.http.post("/api/visitor/page", json={"page_url": url}, headers=bearer), "page_url"
    )


def test_the_text_transcript_escapes_control_characters_of_older_entries() -> None:
    """Entries stored before the rule may hold them: a transcript read in a terminal must not
    clear the screen or ring the bell."""
    author = {"id": "v1", "role": "visitor", "name": "Ann\u0007"}
    body = rest.Transcript.model_validate(
        {
            "conversation_id": "c1",
            "site_id": "demo",
            "visitor_id": "v1",
            "status": "closed",
            "created_at": 0,
            "entries": [
                {
                    "type": "message",
                    "seq": 1,
                    "id": "m1",
                    "author": author,
                    "text": "\u001b[2J\u001b[31mPWNED\u001b[0m\r\rfake\u0000\u009b",
                    "created_at": 0,
                },
                {
                    "type": "event",
                    "seq": 2,
                    "id": "e1",
                    "name": "rated",
                    "author": author,
                    "status": "closed",
                    "created_at": 0,
                    "rating": {"score": 1, "comment": "bad\u001b[0m\tday"},
                },
            ],
        }
    )
    text = transcript_text(body)
    assert not any((ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F for c in text)
    assert "\\u001b[2J\\u001b[31mPWNED" in text and "fake\\u0000\\u009b" in text
    assert "Ann\\u0007 (visitor)" in text and "bad\\u001b[0m\tday" in text


@pytest.mark.parametrize("color", ["#fff", "#FFFF00", "#abc", "#f97316"])
async def test_a_colour_white_text_is_unreadable_on_is_refused(api: Any, color: str) -> None:
    """The widget draws white on the site's colour (launcher, the visitor's bubbles) and the
    colour on white (links, outlines): below WCAG's 3:1 for large text and controls, refused."""
    async with own_site(api) as (site_id, headers):
        path = f"/api/sites/{site_id}/widget"
        refused = await api.http.post(path, json={"color": color}, headers=headers)
        _refused(refused, "color")
        assert "below the 3:1" in refused.json()["message"]
        fine = await api.http.post(path, json={"color": "#0f766e"}, headers=headers)
        assert fine.status_code == 200 and fine.json()["color"] == "#0f766e"
