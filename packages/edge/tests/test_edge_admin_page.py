"""What the console's settings page relies on, on the local edge and on the Worker (`api`).

A plain agent of a site is refused every change the page hides from them (the page is a
convenience; the edge is the rule), while what the page offers agents works: the site listed
with their role, its canned replies read, its KB written. And the page's forms
(`admin_forms`) send bodies the edge takes, and each refusal the edge sends back names a form
field the page can show it beside.
"""

from __future__ import annotations

import asyncio
import itertools
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from helpway.shared import limits
from helpway.store import agents, canned, sites
from helpway.store.sqlite import SqliteDatabase
from helpway.widget.app import admin_forms

PASSWORD = "settings page password"
_n = itertools.count()


async def _seed(d1_path: Path, site: str) -> str:
    """A site with an owner, an agent and one canned reply; returns the reply's id."""
    db = SqliteDatabase(d1_path)
    try:
        await sites.create_site(db, name="Shop", site_id=site)
        for name in ("owner", "agent"):
            made = await agents.create_agent(
                db, email=f"{name}@{site}.example", name=name.title(), password=PASSWORD
            )
            await agents.add_agent_to_site(db, site, made.id, name)  # type: ignore[arg-type]
        reply = await canned.create_canned(db, site, "hello", "Greeting", "Hi there!")
        return reply.id
    finally:
        db.close()


async def _tokens(api: Any, site: str) -> tuple[str, dict[str, dict[str, str]]]:
    site_id = f"{site}{next(_n)}"
    with ThreadPoolExecutor(1) as thread:
        reply_id = thread.submit(asyncio.run, _seed(api.d1_path, site_id)).result()
    tokens = {}
    for name in ("owner", "agent"):
        login = await api.http.post(
            "/api/agent/login", json={"email": f"{name}@{site_id}.example", "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        tokens[name] = {"authorization": f"Bearer {login.json()['token']}"}
    return site_id, {**tokens, "reply": {"id": reply_id}}


async def test_a_plain_agent_is_refused_what_the_settings_page_hides(api: Any) -> None:
    site, tokens = await _tokens(api, "page-roles")
    agent = tokens["agent"]
    members = await api.http.get(f"/api/sites/{site}/agents", headers=tokens["owner"])
    owner_id = next(m["agent_id"] for m in members.json()["agents"] if m["role"] == "owner")
    reply = f"/api/sites/{site}/canned/{tokens['reply']['id']}"
    for method, path, body in [
        ("POST", f"/api/sites/{site}", {"name": "Taken over", "allowed_origins": ["*"]}),
        ("DELETE", f"/api/sites/{site}", None),
        ("GET", f"/api/sites/{site}/widget", None),
        ("POST", f"/api/sites/{site}/widget", {"greeting": "Taken over"}),
        ("GET", f"/api/sites/{site}/agents", None),
        ("POST", f"/api/sites/{site}/agents/{owner_id}", {"role": "agent"}),
        ("DELETE", f"/api/sites/{site}/agents/{owner_id}", None),
        ("GET", f"/api/sites/{site}/invites", None),
        ("POST", f"/api/sites/{site}/invites", {"email": "mallory@evil.example"}),
        ("POST", f"/api/sites/{site}/canned", {"shortcut": "x", "title": "X", "text": "X"}),
        ("POST", reply, {"shortcut": "hello", "title": "Greeting", "text": "Taken over"}),
        ("DELETE", reply, None),
    ]:
        refused = await api.http.request(method, path, json=body, headers=agent)
        assert refused.status_code == 403, (method, path, refused.text)
        assert refused.json()["code"] == "forbidden"

    # Nothing changed.
    listed = (await api.http.get("/api/sites", headers=agent)).json()["sites"]
    assert [(s["id"], s["name"], s["role"], s["allowed_origins"]) for s in listed] == [
        (site, "Shop", "agent", [])
    ]
    assert (await api.visitor(site_id=site))["config"]["greeting"] == "Hi! How can we help?"
    roles = await api.http.get(f"/api/sites/{site}/agents", headers=tokens["owner"])
    assert sorted(m["role"] for m in roles.json()["agents"]) == ["agent", "owner"]
    assert (await api.http.get(f"/api/sites/{site}/invites", headers=tokens["owner"])).json() == {
        "invites": []
    }

    # What the page offers an agent: the canned replies, read; the KB, written.
    replies = await api.http.get(f"/api/sites/{site}/canned", headers=agent)
    assert [r["text"] for r in replies.json()["responses"]] == ["Hi there!"]
    document = {
        "site_id": site,
        "url": admin_forms.upload_url("returns.md"),
        "content": "# Returns\n\nReturn a device within 30 days for a refund.\n",
        "format": admin_forms.upload_format("returns.md"),
    }
    added = await api.http.post("/api/kb/documents", json=document, headers=agent)
    assert added.status_code == 200, added.text
    assert added.json()["status"] == "added"
    docs = await api.http.get("/api/kb/documents", params={"site_id": site}, headers=agent)
    assert [(d["url"], d["status"]) for d in docs.json()["documents"]] == [
        ("upload:returns.md", "indexed")
    ]
    gone = await api.http.delete(
        "/api/kb/documents", params={"site_id": site, "url": "upload:returns.md"}, headers=agent
    )
    assert gone.status_code == 204, gone.text


def _widget_form(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "title": "Help",
        "greeting": "Hello!",
        "color": "#0f766e",
        "position": "left",
        "launcher_text": "Chat",
        "assistant_name": "Ada",
        "avatar_url": "",
        "languages": "en, es",
        "default_language": "es",
        "hours_on": True,
        "time_zone": "Europe/Madrid",
        "weekly": "mon-fri 09:00-17:00",
        "away_message": "Volvemos pronto",
        "collect_email": False,
    }
    return {**values, **changes}


async def test_the_forms_send_what_the_edge_takes_and_refusals_name_a_field(api: Any) -> None:
    site, tokens = await _tokens(api, "page-forms")
    owner = tokens["owner"]
    widget = f"/api/sites/{site}/widget"

    body, problems = admin_forms.widget_change(_widget_form(), {})
    assert problems == {}
    saved = await api.http.post(widget, json=body, headers=owner)
    assert saved.status_code == 200, saved.text
    assert saved.json()["business_hours"]["away_messages"] == {"es": "Volvemos pronto"}
    assert (await api.visitor(site_id=site))["config"]["greeting"] == "Hello!"
    pictured, _ = admin_forms.widget_change(_widget_form(avatar_url=" /avatar.png "), {})
    shown = await api.http.post(widget, json=pictured, headers=owner)
    assert shown.json()["avatar_url"] == "/avatar.png"
    assert shown.json()["assistant_name"] == "Ada"
    off, _ = admin_forms.widget_change(_widget_form(hours_on=False), saved.json())
    cleared = await api.http.post(widget, json=off, headers=owner)
    assert cleared.json()["business_hours"] is None

    # Values the page lets through, that the edge refuses: each refusal lands on a field.
    for values, field in [
        (_widget_form(time_zone="Mars/Olympus"), "time_zone"),
        (_widget_form(greeting="x" * 501), "greeting"),
        (_widget_form(launcher_text="x" * 41), "launcher_text"),
        (_widget_form(avatar_url="javascript:alert(1)"), "avatar_url"),
        (_widget_form(avatar_url="http://cdn.example/a.png"), "avatar_url"),
        (_widget_form(assistant_name="x" * 61), "assistant_name"),
        (_widget_form(title="x" * 81), "title"),
        (_widget_form(weekly="mon 09:00-17:00\n" * 71), "weekly"),
        (_widget_form(away_message="x" * 501), "away_message"),
    ]:
        body, problems = admin_forms.widget_change(values, {})
        assert problems == {}, problems
        refused = await api.http.post(widget, json=body, headers=owner)
        assert refused.status_code == 422, refused.text
        assert admin_forms.field_of(refused.json()["message"], admin_forms.WIDGET_FIELDS)[0] == (
            field
        ), refused.text

    body, _ = admin_forms.site_change("Shop", "https://shop.example/path")
    refused = await api.http.post(f"/api/sites/{site}", json=body, headers=owner)
    assert refused.status_code == 422
    field, text = admin_forms.field_of(refused.json()["message"], admin_forms.SITE_FIELDS)
    assert field == "origins" and "https://shop.example/path" in text
    body, _ = admin_forms.site_change("Shop", "https://shop.example/ http://localhost:3000")
    renamed = await api.http.post(f"/api/sites/{site}", json=body, headers=owner)
    assert renamed.json()["allowed_origins"] == ["https://shop.example", "http://localhost:3000"]

    canned_path = f"/api/sites/{site}/canned"
    for (shortcut, title, text), field in [
        (("/Hello", "Again", "Hi!"), "shortcut"),  # taken: a 409 naming the shortcut
        (("new", "x" * 201, "Hi!"), "title"),
        (("new", "New", "x" * 4001), "text"),
    ]:
        body, problems = admin_forms.canned_change(shortcut, title, text)
        assert problems == {}
        refused = await api.http.post(canned_path, json=body, headers=owner)
        assert refused.status_code in (409, 422), refused.text
        found = admin_forms.field_of(refused.json()["message"], admin_forms.CANNED_FIELDS)
        assert found[0] == field, refused.text

    last_owner = await api.http.delete(
        f"/api/sites/{site}/agents/{await _owner_id(api, site, owner)}", headers=owner
    )
    assert admin_forms.refusal(last_owner.status_code, last_owner.json()) == (
        "A site keeps at least one owner."
    )


async def _owner_id(api: Any, site: str, owner: dict[str, str]) -> str:
    members = (await api.http.get(f"/api/sites/{site}/agents", headers=owner)).json()["agents"]
    return str(next(m["agent_id"] for m in members if m["role"] == "owner"))


async def test_a_document_over_the_pages_upload_limit_is_refused_by_the_edge_too(api) -> None:  # type: ignore[no-untyped-def]
    """The page, the CLI and the edge share one cap, in UTF-8 bytes: a Thai page the page
    refuses (three bytes a character: over by bytes, a third of it by characters) is refused
    by the edge too, not ingested by one way in and refused by the others."""
    assert admin_forms.MAX_UPLOAD_BYTES == limits.MAX_DOCUMENT_BYTES
    thai = "ก" * (admin_forms.MAX_UPLOAD_BYTES // 3 + 1)
    assert admin_forms.upload_problem("big.txt", len(thai.encode())) == "big.txt: larger than 2 MB."
    dana = await api.agent()
    document = {"site_id": "demo", "url": "upload:big.txt", "content": thai, "format": "text"}
    refused = await api.http.post(
        "/api/kb/documents", json=document, headers={"authorization": f"Bearer {dana['token']}"}
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "invalid"
    assert "2000000 bytes" in refused.json()["message"]
