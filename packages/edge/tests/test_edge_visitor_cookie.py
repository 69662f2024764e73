"""The visitor's token in a partitioned HttpOnly cookie of the edge's own, for a widget frame
the browser refuses storage: the session sets it and resumes from it, reset removes it. Both
runtimes."""

from __future__ import annotations

from typing import Any

from helpway.edge.routes.visitor import VISITOR_COOKIE_PATH, visitor_cookie

PAGE = {"origin": "http://localhost:3000"}
BODY = {"site_id": "demo", "page_url": "http://localhost:3000/pricing"}


def _cookie(answer: Any) -> str:
    """The site's visitor cookie as set, checked for every attribute that keeps it safe."""
    [header] = [h for h in answer.headers.get_list("set-cookie") if h.startswith("helpway_")]
    name_value, *attributes = [part.strip() for part in header.split(";")]
    assert name_value.startswith(visitor_cookie("demo") + "=")
    assert {"Secure", "HttpOnly", "SameSite=None", "Partitioned"} <= set(attributes)
    assert f"Path={VISITOR_COOKIE_PATH}" in attributes
    return name_value


def _frame(api: Any) -> dict[str, str]:
    """What the widget's frame sends: its Origin is the edge's own."""
    url = api.http.base_url
    return {"origin": f"{url.scheme}://{url.netloc.decode()}"}


async def _post(api: Any, body: dict[str, Any], cookie: str = "", page: bool = False) -> Any:
    """A session request of the frame's (`page`: of the host page's) with exactly the cookie
    given (the client's own jar left out)."""
    api.http.cookies.clear()
    headers = PAGE if page else _frame(api)
    if cookie:
        headers = {**headers, "cookie": cookie}
    return await api.http.post("/api/visitor/session", json=body, headers=headers)


async def test_a_session_resumes_from_the_cookie_and_reset_removes_it(api: Any) -> None:
    first = await _post(api, BODY)
    assert first.status_code == 200, first.text
    cookie = _cookie(first)
    assert cookie == visitor_cookie("demo") + "=" + first.json()["visitor_token"]

    # No token in the body (the frame has no storage): the cookie names the visitor.
    again = await _post(api, BODY, cookie)
    assert again.status_code == 200, again.text
    assert again.json()["visitor_id"] == first.json()["visitor_id"]
    assert again.json()["conversation_id"] == first.json()["conversation_id"]
    # A token in the body wins over the cookie; none and no cookie: a new visitor.
    fresh = await _post(api, BODY)
    assert fresh.json()["visitor_id"] != first.json()["visitor_id"]
    with_token = {**BODY, "visitor_token": fresh.json()["visitor_token"]}
    both = await _post(api, with_token, _cookie(again))
    assert both.json()["visitor_id"] == fresh.json()["visitor_id"]

    # Asked from the host page itself (its Origin): the cookie resumes nobody and none is set.
    hosts = await _post(api, BODY, cookie, page=True)
    assert hosts.status_code == 200, hosts.text
    assert hosts.json()["visitor_id"] != first.json()["visitor_id"]
    assert not [h for h in hosts.headers.get_list("set-cookie") if h.startswith("helpway_")]

    forget = await api.http.delete("/api/visitor/session", params={"site_id": "demo"})
    assert forget.status_code == 204
    assert _cookie(forget) == visitor_cookie("demo") + "="
    assert "Max-Age=0" in forget.headers["set-cookie"]
    bad = await api.http.delete("/api/visitor/session", params={"site_id": "no such id!"})
    assert bad.status_code == 422 and bad.json()["code"]


async def test_an_spa_navigation_updates_the_visitors_page(api: Any) -> None:
    """`POST /api/visitor/page`: what the agents' context panel shows as the visitor's page."""
    session = (await _post(api, BODY, page=True)).json()
    auth = {**PAGE, "authorization": "Bearer " + session["visitor_token"]}
    moved = {"page_url": "http://localhost:3000/pricing/teams"}
    answer = await api.http.post("/api/visitor/page", json=moved, headers=auth)
    assert answer.status_code == 204, answer.text
    login = await api.http.post(
        "/api/agent/login", json={"email": "agent@demo.helpway.dev", "password": "helpway-demo"}
    )
    agent = {"authorization": "Bearer " + login.json()["token"]}
    context = await api.http.get(
        f"/api/conversations/{session['conversation_id']}/visitor", headers=agent
    )
    assert context.json()["page_url"] == moved["page_url"]

    elsewhere = {"page_url": "https://evil.example/phish"}
    refused = await api.http.post("/api/visitor/page", json=elsewhere, headers=auth)
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    nobody = await api.http.post("/api/visitor/page", json=moved, headers=PAGE)
    assert nobody.status_code == 401
    bad = await api.http.post("/api/visitor/page", json={"page_url": 3}, headers=auth)
    assert bad.status_code == 422
    after = await api.http.get(
        f"/api/conversations/{session['conversation_id']}/visitor", headers=agent
    )
    assert after.json()["page_url"] == moved["page_url"]  # nothing refused was kept
