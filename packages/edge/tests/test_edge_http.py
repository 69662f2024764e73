"""The HTTP API: sessions, history, agents, KB, pages, and every kind of bad input answered with
a JSON `ErrorBody` and a status that fits.

Tests taking `api` run against the real local edge and against the Worker's app (see
conftest.py); those taking `client` run locally only, each saying why the Worker differs.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest


def assert_error(response, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code
    assert set(body) == {"code", "message"} and body["message"]


async def test_visitor_session_is_created_then_resumed(api) -> None:
    first = await api.visitor()
    assert first["config"]["site_id"] == "demo"
    assert first["config"]["title"] == "Acme Cloud Notes support"
    again = await api.visitor(first["visitor_token"])
    assert again["visitor_id"] == first["visitor_id"]
    assert again["conversation_id"] == first["conversation_id"]
    assert again["visitor_token"] == first["visitor_token"]


async def test_racing_tabs_of_one_visitor_share_one_conversation(api) -> None:
    """Tabs of one visitor starting at once: the session route racing itself."""
    first = await api.visitor()
    tabs = await asyncio.gather(*(api.visitor(first["visitor_token"]) for _ in range(4)))
    assert {tab["conversation_id"] for tab in tabs} == {first["conversation_id"]}


async def test_two_tabs_sending_one_message_at_once_store_it_once(client) -> None:
    """Both tabs of a visitor send the same outbox entry (one localStorage) at once."""
    first = await client.visitor()
    token, cid = first["visitor_token"], first["conversation_id"]
    frame = {"type": "message.send", "client_id": "both-tabs", "text": "Hello from two tabs"}
    async with client.conversation(cid, token) as one, client.conversation(cid, token) as two:
        await asyncio.gather(one.send(frame), two.send(frame))
        acks = [(await tab.recv_until("ack", client_id="both-tabs"))[0] for tab in (one, two)]
    assert acks[0] == acks[1]
    history = await client.history(cid, token, acks[0]["seq"])
    assert [e.get("text") for e in history["entries"]].count("Hello from two tabs") == 1


async def test_an_unknown_visitor_token_starts_a_new_visitor(api) -> None:
    fresh = await api.visitor("not-a-token-we-issued")
    assert fresh["visitor_token"] != "not-a-token-we-issued"
    assert (await api.visitor(fresh["visitor_token"]))["visitor_id"] == fresh["visitor_id"]


async def test_visitor_session_refuses_bad_input(api) -> None:
    post = api.http.post
    url = "/api/visitor/session"
    assert_error(await post(url, content=b"{not json"), 400, "bad_frame")
    assert_error(await post(url, json={}), 422, "invalid")
    assert_error(await post(url, json=["demo"]), 422, "invalid")
    assert_error(await post(url, json={"site_id": "demo", "extra": 1}), 422, "invalid")
    assert_error(await post(url, json={"site_id": ""}), 422, "invalid")
    assert_error(await post(url, json={"site_id": "no-such-site"}), 404, "not_found")
    huge = b'{"site_id": "demo", "page_url": "' + b"x" * 70_000 + b'"}'
    assert_error(await post(url, content=huge), 413, "too_large")


async def test_a_canned_reply_is_held_to_a_messages_text_rules(api) -> None:
    """A canned reply becomes a message, so the room's text policy (`wire.TEXT`) refuses it
    here, where the admin learns why, not when an agent sends it."""
    bearer = {"authorization": f"Bearer {(await api.agent())['token']}"}
    path = "/api/sites/demo/canned"
    for text, reason in (
        ("Hi\x00there", "must not contain control characters"),
        ("\u200b \n", "must contain a visible character"),
    ):
        refused = await api.http.post(
            path, json={"shortcut": "bad", "title": "Bad", "text": text}, headers=bearer
        )
        assert_error(refused, 422, "invalid")
        assert refused.json()["message"].startswith(f"text: {reason}")
    lines = {"shortcut": "lines", "title": "Lines", "text": "Step 1:\n\tclick Save"}
    made = await api.http.post(path, json=lines, headers=bearer)
    assert made.status_code == 200 and made.json()["text"] == "Step 1:\n\tclick Save"


async def test_visitor_session_checks_the_page_origin(api) -> None:
    body = {"site_id": "demo"}
    local = await api.http.post(
        "/api/visitor/session", json=body, headers={"origin": "http://localhost:3000"}
    )
    assert local.status_code == 200
    foreign = await api.http.post(
        "/api/visitor/session", json=body, headers={"origin": "https://evil.example"}
    )
    assert_error(foreign, 403, "forbidden")


async def test_history_requires_a_participant(api) -> None:
    mine = await api.visitor()
    other = await api.visitor()
    url = f"/api/conversations/{mine['conversation_id']}/history"
    get = api.http.get
    assert_error(await get(url), 401, "unauthorized")
    assert_error(await get(url, headers={"authorization": "Bearer nope"}), 401, "unauthorized")
    as_other = {"authorization": f"Bearer {other['visitor_token']}"}
    assert_error(await get(url, headers=as_other), 403, "forbidden")
    missing = "/api/conversations/no-such-conversation/history"
    assert_error(await get(missing, headers=as_other), 404, "not_found")
    as_me = {"authorization": f"Bearer {mine['visitor_token']}"}
    assert_error(await get(url + "?after_seq=-1", headers=as_me), 422, "invalid")
    assert_error(await get(url + "?after_seq=abc", headers=as_me), 422, "invalid")
    assert_error(await get(url + "?bogus=1", headers=as_me), 422, "invalid")
    # Past 64 bits SQLite cannot bind the number; past 2**53 - 1 a browser cannot hold it.
    assert_error(await get(url + "?after_seq=9223372036854775808", headers=as_me), 422, "invalid")
    assert_error(await get(url + "?after_seq=9007199254740992", headers=as_me), 422, "invalid")
    largest = await get(url + "?after_seq=9007199254740991", headers=as_me)
    assert largest.status_code == 200 and largest.json()["entries"] == []
    empty = await get(url, headers=as_me)
    assert empty.status_code == 200
    assert empty.json() == {
        "conversation_id": mine["conversation_id"],
        "status": "open",
        "entries": [],
        "last_seq": 0,
        "more": False,
    }


async def test_agent_login_and_inbox(api) -> None:
    session = await api.agent()
    assert session["agent"]["role"] == "agent"
    assert session["site_ids"] == ["demo"]
    inbox = await api.http.get(
        "/api/inbox", headers={"authorization": f"Bearer {session['token']}"}
    )
    assert inbox.status_code == 200
    assert isinstance(inbox.json()["conversations"], list)
    wrong = {"email": "agent@demo.helpway.dev", "password": "wrong"}
    assert_error(await api.http.post("/api/agent/login", json=wrong), 401, "unauthorized")
    assert_error(await api.http.post("/api/agent/login", json={}), 422, "invalid")
    assert_error(await api.http.get("/api/inbox"), 401, "unauthorized")
    visitor = await api.visitor()
    as_visitor = {"authorization": f"Bearer {visitor['visitor_token']}"}
    assert_error(await api.http.get("/api/inbox", headers=as_visitor), 401, "unauthorized")


async def test_logout_ends_the_session_on_every_route_and_socket(api) -> None:
    visitor = await api.visitor()
    conversation = visitor["conversation_id"]
    agent = await api.agent()
    auth = {"authorization": f"Bearer {agent['token']}"}
    history = f"/api/conversations/{conversation}/history"
    assert (await api.http.get(history, headers=auth)).status_code == 200
    other = await api.agent()  # another session of the same agent lives on

    logout = await api.http.post("/api/agent/logout", headers=auth)
    assert logout.status_code == 204

    get, post = api.http.get, api.http.post
    assert_error(await get("/api/inbox", headers=auth), 401, "unauthorized")
    assert_error(await get(history, headers=auth), 401, "unauthorized")
    document = {"site_id": "demo", "url": "/help/x", "content": "# X\n\ntext"}
    assert_error(await post("/api/kb/documents", json=document, headers=auth), 401, "unauthorized")
    assert_error(await post("/api/agent/logout", headers=auth), 401, "unauthorized")
    assert_error(await post("/api/agent/logout"), 401, "unauthorized")
    for path in ("/ws/inbox?site_id=demo", f"/ws/conversations/{conversation}"):
        assert await api.join_refusal(path, agent["token"]) == ("unauthorized", 4401)
    still = {"authorization": f"Bearer {other['token']}"}
    assert (await get("/api/inbox", headers=still)).status_code == 200


async def agent_auth(client, email: str, password: str) -> dict[str, str]:
    login = {"email": email, "password": password}
    response = await client.http.post("/api/agent/login", json=login)
    assert response.status_code == 200, response.text
    return {"authorization": f"Bearer {response.json()['token']}"}


async def test_a_busy_inbox_keeps_the_waiting_conversation_and_pages_the_rest(api) -> None:
    site = api.busy_site("busy")
    auth = await agent_auth(api, site.agent_email, site.agent_password)

    first = await api.http.get("/api/inbox", headers=auth)
    assert first.status_code == 200
    rows: list[dict[str, Any]] = first.json()["conversations"]
    assert len(rows) == 101
    assert (rows[0]["id"], rows[0]["status"]) == (site.waiting, "waiting_human")
    assert [row["id"] for row in rows[1:]] == site.others[:100]

    last = rows[-1]
    cursor = {"before_updated_at": last["updated_at"], "before_id": last["id"]}
    second = await api.http.get("/api/inbox", params=cursor, headers=auth)
    assert second.status_code == 200
    assert [row["id"] for row in second.json()["conversations"]] == site.others[100:]

    small = await api.http.get("/api/inbox", params={"limit": 5}, headers=auth)
    assert [row["id"] for row in small.json()["conversations"]] == [
        site.waiting,
        *site.others[:5],
    ]

    get = api.http.get
    half = {"before_updated_at": last["updated_at"]}
    assert_error(await get("/api/inbox", params=half, headers=auth), 422, "invalid")
    assert_error(await get("/api/inbox", params={"limit": 0}, headers=auth), 422, "invalid")
    assert_error(await get("/api/inbox", params={"limit": 101}, headers=auth), 422, "invalid")
    huge = {"before_updated_at": 2**63, "before_id": "x"}
    assert_error(await get("/api/inbox", params=huge, headers=auth), 422, "invalid")


async def test_kb_search_ranks_demo_sections(api) -> None:
    response = await api.http.get(
        "/api/kb/search", params={"site_id": "demo", "q": "How do I reset my password?", "k": 3}
    )
    assert response.status_code == 200
    result = response.json()
    assert result["query"] == "How do I reset my password?"
    assert 1 <= len(result["hits"]) <= 3
    top = result["hits"][0]
    assert top["url"].startswith("/help/password-reset#")
    assert set(top) == {"url", "title", "score", "text"}
    scores = [hit["score"] for hit in result["hits"]]
    assert scores == sorted(scores, reverse=True)


async def test_kb_search_refuses_bad_queries(api) -> None:
    get = api.http.get
    assert_error(await get("/api/kb/search", params={"site_id": "demo"}), 422, "invalid")
    assert_error(await get("/api/kb/search", params={"site_id": "demo", "q": " "}), 422, "invalid")
    too_long = {"site_id": "demo", "q": "x" * 501}
    assert_error(await get("/api/kb/search", params=too_long), 422, "invalid")
    assert_error(
        await get("/api/kb/search", params={"site_id": "demo", "q": "x", "k": 0}), 422, "invalid"
    )
    unknown = {"site_id": "nope", "q": "password"}
    assert_error(await get("/api/kb/search", params=unknown), 404, "not_found")


async def test_kb_document_ingest_through_the_api(api) -> None:
    agent = await api.agent()
    auth = {"authorization": f"Bearer {agent['token']}"}
    document = {
        "site_id": "demo",
        "url": "/help/api-test-gift-cards",
        "title": "Gift cards",
        "content": "# Gift cards\n\n## Redeem a gift card\n\nOpen Settings, Plan, Redeem, "
        "and type the 16-character code printed on the zebra-striped card.\n",
    }
    created = await api.http.post("/api/kb/documents", json=document, headers=auth)
    assert created.status_code == 200, created.text
    assert created.json() == {
        "document_url": "/help/api-test-gift-cards",
        "status": "added",
        "chunks": 1,
        "embedded": 1,
    }
    found = await api.http.get(
        "/api/kb/search", params={"site_id": "demo", "q": "zebra-striped gift card code"}
    )
    assert found.json()["hits"][0]["url"] == "/help/api-test-gift-cards#redeem-a-gift-card"

    post = api.http.post
    assert_error(await post("/api/kb/documents", json=document), 401, "unauthorized")
    elsewhere = {**document, "site_id": "another-site"}
    assert_error(await post("/api/kb/documents", json=elsewhere, headers=auth), 403, "forbidden")
    bad_format = {**document, "format": "pdf"}
    assert_error(await post("/api/kb/documents", json=bad_format, headers=auth), 422, "invalid")


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/no/such/page", 404, "not_found"),
        ("PUT", "/api/visitor/session", 405, "invalid"),
        ("GET", "/api/visitor/session", 405, "invalid"),
        ("GET", "/help/no-such-article", 404, "not_found"),
        ("GET", "/w/%2e%2e/%2e%2e/%2e%2e/pyproject.toml", 404, "not_found"),
    ],
)
async def test_errors_are_json_never_html(
    api, method: str, path: str, status: int, code: str
) -> None:
    assert_error(await api.http.request(method, path), status, code)


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "https://shop.example", "access-control-request-method": "PUT"},
        {
            "origin": "https://shop.example",
            "access-control-request-method": "POST",
            "access-control-request-headers": "x-secret",
        },
    ],
)
async def test_preflights_the_cors_middleware_refuses_are_json_too(
    api, headers: dict[str, str]
) -> None:
    response = await api.http.request("OPTIONS", "/api/visitor/session", headers=headers)
    assert_error(response, 400, "invalid")
    assert response.headers["access-control-allow-origin"] == "*"


# Local only: on Cloudflare the widget's files are static assets, answered (ranges included)
# by the assets server before the Worker runs (e2e/test_wrangler_deploy.py serves them).
@pytest.mark.parametrize(
    ("headers", "status"),
    [({"range": "bytes=999999999-"}, 416), ({"range": "bytes=9-2"}, 400)],
)
async def test_ranges_the_file_responses_refuse_are_json_too(
    client, widget_built: None, headers: dict[str, str], status: int
) -> None:
    response = await client.http.get("/widget.js", headers=headers)
    assert_error(response, status, "invalid")
    if status == 416:
        assert response.headers["content-range"].startswith("bytes */")


# Local only, as above: the Worker never serves the widget's files.
async def test_a_head_request_gets_the_error_without_a_body(client, widget_built: None) -> None:
    response = await client.http.head("/widget.js", headers={"range": "bytes=999999999-"})
    assert response.status_code == 416
    assert response.headers["content-type"] == "application/json"
    assert response.content == b""


# Local only: the Worker serves no demo pages (a real site embeds the widget).
async def test_demo_pages_carry_the_snippet_and_real_anchors(client) -> None:
    landing = await client.http.get("/")
    assert landing.status_code == 200
    assert '<script src="/widget/demo.js" async></script>' in landing.text
    assert "Acme Cloud Notes" in landing.text
    search = await client.http.get(
        "/api/kb/search", params={"site_id": "demo", "q": "the reset link has expired", "k": 10}
    )
    hits = search.json()["hits"]
    assert hits[0]["url"].startswith("/help/password-reset#")
    for hit in hits:  # every citation lands on a heading of a served page
        page, anchor = hit["url"].split("#")
        article = await client.http.get(page)
        assert article.status_code == 200
        assert f'id="{anchor}"' in article.text
