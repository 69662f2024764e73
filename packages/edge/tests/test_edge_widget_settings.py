"""A site's widget settings over REST and the CLI on the real local edge, and the e-mail a
visitor leaves outside business hours.

Only the site's admins (or its keys with `site:admin`) read or change the settings; bad input is
a 422 ErrorBody and changes nothing; what they set is what the next visitor session serves, with
the business-hours decision made. The e-mail a visitor leaves lands on the visitor in D1 and on
the conversation's inbox row the agents see.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from helpway.store import agents, sites
from helpway.store.sqlite import SqliteDatabase

PASSWORD = "widget settings 1"
_n = itertools.count()
# Never open: the away state is served whatever the time of the test run.
NEVER_OPEN = {"time_zone": "Asia/Jakarta", "weekly": []}


async def _seed(data: Path, site: str, other: str) -> None:
    db = SqliteDatabase(data / "d1.sqlite3")
    try:
        for site_id in (site, other):
            await sites.create_site(db, name=site_id, site_id=site_id)
        for name, site_id, role in (
            ("admin", site, "admin"),
            ("agent", site, "agent"),
            ("otheradmin", other, "admin"),
        ):
            agent = await agents.create_agent(
                db, email=f"{name}@{site}.example", name=name, password=PASSWORD
            )
            await agents.add_agent_to_site(db, site_id, agent.id, role)  # type: ignore[arg-type]
    finally:
        db.close()


async def _site_with_roles(client: Any, edge: Any) -> tuple[str, dict[str, dict[str, str]]]:
    site, other = f"wset{next(_n)}", f"wset-other{next(_n)}"
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, _seed(edge.data, site, other)).result()
    tokens = {}
    for name in ("admin", "agent", "otheradmin"):
        login = await client.http.post(
            "/api/agent/login", json={"email": f"{name}@{site}.example", "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        tokens[name] = {"authorization": f"Bearer {login.json()['token']}"}
    return site, tokens


async def test_only_the_sites_admins_read_or_change_the_widget(client: Any, edge: Any) -> None:
    site, tokens = await _site_with_roles(client, edge)
    path = f"/api/sites/{site}/widget"
    change = {"title": "Taken over", "color": "#000000"}
    visitor = await client.visitor(site_id=site)
    for headers, status in [
        (tokens["agent"], 403),  # an agent of the site, not an admin
        (tokens["otheradmin"], 403),  # an admin of another site
        ({"authorization": f"Bearer {visitor['visitor_token']}"}, 401),
        ({}, 401),
    ]:
        refused = await client.http.post(path, json=change, headers=headers)
        assert refused.status_code == status, refused.text
        assert set(refused.json()) == {"code", "message"}
        assert (await client.http.get(path, headers=headers)).status_code == status
    assert (await client.visitor(site_id=site))["config"]["title"] == "Help"  # unchanged

    key = await client.http.post(
        f"/api/sites/{site}/keys",
        json={"name": "deploy", "scopes": ["site:admin"]},
        headers=tokens["admin"],
    )
    as_key = {"authorization": f"Bearer {key.json()['key']}"}
    made = await client.http.post(path, json={"launcher_text": "Help?"}, headers=as_key)
    assert made.status_code == 200, made.text
    assert made.json()["launcher_text"] == "Help?"


@pytest.mark.parametrize(
    "change",
    [
        {"color": "red; background: url(https://evil.example)"},
        {"avatar_url": "javascript:alert(1)"},
        {"avatar_url": "http://cdn.example/a.png"},
        {"avatar_url": "//evil.example/a.png"},
        {"avatar_url": "/\\evil.example/a.png"},
        {"position": "top"},
        {"languages": ["en", "xx"]},
        {"languages": ["en", "en"]},
        {"default_language": "es"},  # not among the site's languages
        {"business_hours": {"time_zone": "Mars/Olympus", "weekly": []}},
        {
            "business_hours": {
                "time_zone": "UTC",
                "weekly": [{"day": "mon", "opens": "18:00", "closes": "09:00"}],
            }
        },
        {"greetings": {"fr": "Bonjour"}},
        {"title": ""},
        {"launcher_text": "x" * 41},
        {"unknown": 1},
    ],
)
async def test_bad_widget_settings_are_refused_and_change_nothing(
    client: Any, edge: Any, change: dict[str, Any]
) -> None:
    site, tokens = await _site_with_roles(client, edge)
    path = f"/api/sites/{site}/widget"
    before = (await client.http.get(path, headers=tokens["admin"])).json()
    refused = await client.http.post(path, json=change, headers=tokens["admin"])
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "invalid" and set(refused.json()) == {"code", "message"}
    assert (await client.http.get(path, headers=tokens["admin"])).json() == before


async def test_the_next_session_serves_what_the_admin_set(client: Any, edge: Any) -> None:
    site, tokens = await _site_with_roles(client, edge)
    path = f"/api/sites/{site}/widget"
    settings = {
        "languages": ["es", "en", "ar"],
        "default_language": "es",
        "greetings": {"es": "¡Hola! ¿En qué te ayudamos?"},
        "position": "left",
        "avatar_url": "/w/avatar.png",
        "business_hours": {**NEVER_OPEN, "away_messages": {"es": "Ahora no estamos."}},
    }
    made = await client.http.post(path, json=settings, headers=tokens["admin"])
    assert made.status_code == 200, made.text
    assert made.json()["title"] == "Help"  # fields not given stay as they were
    config = (await client.visitor(site_id=site))["config"]
    assert config["languages"] == ["es", "en", "ar"] and config["default_language"] == "es"
    assert config["greetings"] == {"es": "¡Hola! ¿En qué te ayudamos?"}
    assert config["position"] == "left" and config["avatar_url"] == "/w/avatar.png"
    assert config["open"] is False and config["next_open_at"] is None
    assert config["collect_email"] is True
    assert config["away_messages"] == {"es": "Ahora no estamos."}
    assert "business_hours" not in config  # the widget gets the decision, not the rules

    removed = await client.http.post(path, json={"business_hours": None}, headers=tokens["admin"])
    assert removed.json()["business_hours"] is None
    assert (await client.visitor(site_id=site))["config"]["open"] is True


async def test_a_visitors_email_reaches_d1_and_the_agents_inbox(client: Any, edge: Any) -> None:
    site, tokens = await _site_with_roles(client, edge)
    visitor = await client.visitor(site_id=site)
    auth = {"authorization": f"Bearer {visitor['visitor_token']}"}
    async with client.conversation(visitor["conversation_id"], visitor["visitor_token"]) as sock:
        await sock.send({"type": "message.send", "client_id": "c1", "text": "Anyone there?"})
        await sock.recv_until("ack")
    for bad in ({"email": "not an e-mail"}, {"email": "<a@b.co>"}, {}):
        refused = await client.http.post("/api/visitor/email", json=bad, headers=auth)
        assert refused.status_code == 422, refused.text
    unknown = {"authorization": "Bearer nope"}
    answer = await client.http.post("/api/visitor/email", json={"email": "a@b.co"}, headers=unknown)
    assert answer.status_code == 401
    left = await client.http.post(
        "/api/visitor/email", json={"email": "ana@shop.example"}, headers=auth
    )
    assert left.status_code == 204, left.text

    db = SqliteDatabase(edge.data / "d1.sqlite3")
    try:
        row = await db.first("SELECT email FROM visitors WHERE id = ?", (visitor["visitor_id"],))
    finally:
        db.close()
    assert row is not None and row["email"] == "ana@shop.example"
    rows: list[dict[str, Any]] = []
    for _ in range(400):  # the rooms' outbox copies the message into D1 asynchronously
        inbox = (await client.http.get("/api/inbox", headers=tokens["agent"])).json()
        rows = [r for r in inbox["conversations"] if r["id"] == visitor["conversation_id"]]
        if rows:
            break
        await asyncio.sleep(0.05)
    assert rows[0]["visitor_email"] == "ana@shop.example"


async def test_cli_sets_the_widget_and_the_session_serves_it(
    client: Any, edge: Any, helpway: Any
) -> None:
    site = f"wcli{next(_n)}"
    helpway(edge.data, "sites", "create", "--id", site, "--name", "CLI shop")
    shown = helpway(
        edge.data,
        "sites",
        "config",
        "--site",
        site,
        "--language",
        "pt",
        "--language",
        "en",
        "--default-language",
        "pt",
        "--greeting-for",
        "pt=Olá! Como podemos ajudar?",
        "--time-zone",
        "America/Sao_Paulo",
        "--hours",
        "mon-fri 09:00-18:00",
        "--launcher-text",
        "Ajuda",
    ).stdout
    settings = json.loads(shown)
    assert [span["day"] for span in settings["business_hours"]["weekly"]] == [
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
    ]
    config = (await client.visitor(site_id=site))["config"]
    assert config["default_language"] == "pt" and config["launcher_text"] == "Ajuda"
    assert config["greetings"]["pt"] == "Olá! Como podemos ajudar?"
    assert isinstance(config["open"], bool)
    refused = helpway(
        edge.data,
        "sites",
        "config",
        "--site",
        site,
        "--avatar-url",
        "javascript:alert(1)",
        ok=False,
    )
    assert "avatar_url" in refused.stderr


async def test_the_config_before_any_session_is_checked_and_makes_no_visitor(
    client: Any, edge: Any
) -> None:
    site, tokens = await _site_with_roles(client, edge)
    await client.http.post(
        f"/api/sites/{site}/widget",
        json={"languages": ["en", "th"], "position": "left"},
        headers=tokens["admin"],
    )
    db = SqliteDatabase(edge.data / "d1.sqlite3")
    try:
        before = await db.first("SELECT COUNT(*) AS n FROM visitors WHERE site_id = ?", (site,))
        answer = await client.http.get("/api/visitor/config", params={"site_id": site})
        after = await db.first("SELECT COUNT(*) AS n FROM visitors WHERE site_id = ?", (site,))
    finally:
        db.close()
    assert answer.status_code == 200, answer.text
    assert answer.json()["languages"] == ["en", "th"] and answer.json()["position"] == "left"
    assert before is not None and after is not None and before["n"] == after["n"]
    assert (
        await client.http.get("/api/visitor/config", params={"site_id": "nope"})
    ).status_code == 404
    demo = await client.http.get(
        "/api/visitor/config",
        params={"site_id": "demo"},
        headers={"origin": "https://evil.example"},
    )
    assert demo.status_code == 403 and demo.json()["code"] == "forbidden"
    bad = await client.http.get("/api/visitor/config", params={"site_id": site, "x": "1"})
    assert bad.status_code == 422
