"""Schemathesis against the real local edge and against the Worker's app (over the binding
doubles, through ASGI), driven by the edge's own `/api/openapi.json`.

Each operation gets a bounded number of generated requests (valid and invalid bodies, queries,
path ids), sent with the token of an admin of a site made for fuzzing, and with that site's id
in the request, so the handlers behind the auth and tenant checks are fuzzed too. Every
response must be a non-5xx with a status the document declares and a body matching its schema
(ErrorBody for every failure)."""

from __future__ import annotations

import asyncio
import socket
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode, checks

from helpway.edge.cloudflare.app import make_worker_app
from helpway.edge.routes import openapi
from helpway.store import agent_sessions, agents, sites
from helpway.store.cloudflare.d1 import D1Database
from helpway.store.sqlite import SqliteDatabase

EXAMPLES = 25
FUZZ_IP = "198.51.100.7"
FUZZ_SITE = "fuzz-site"
FUZZ_EMAIL = "admin@fuzz.example"
PASSWORD = "fuzz password 1"
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture(scope="session")
def api_schema(edge: Any) -> Any:
    return schemathesis.openapi.from_url(edge.url + "/api/openapi.json")


async def _seed_fuzz_site(d1_path: Path) -> None:
    db = SqliteDatabase(d1_path)
    try:
        await sites.create_site(db, name="Fuzz", site_id=FUZZ_SITE)
        agent = await agents.create_agent(db, email=FUZZ_EMAIL, name="Fuzz", password=PASSWORD)
        await agents.add_agent_to_site(db, FUZZ_SITE, agent.id, "admin")
    finally:
        db.close()


@pytest.fixture(scope="session")
def admin_token(edge: Any) -> str:
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, _seed_fuzz_site(edge.data / "d1.sqlite3")).result()
    response = httpx.post(
        edge.url + "/api/agent/login", json={"email": FUZZ_EMAIL, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


def aim_at_fuzz_site(case: Any) -> None:
    """Point a generated request at the fuzzing site, wherever it names a site."""
    if case.path_parameters and "site_id" in case.path_parameters:
        case.path_parameters["site_id"] = FUZZ_SITE
    for part in (case.query, case.body):
        if isinstance(part, dict) and "site_id" in part:
            part["site_id"] = FUZZ_SITE


# uvicorn's own answer to a request that is not valid HTTP at all (negative cases may carry a
# generated header such as `content-length: 5 i7E`): sent before the app runs, so no route or
# middleware of ours can shape it. Counted apart, as "400-http", never hidden.
SERVER_REFUSAL = "Invalid HTTP request received."


def refused_by_server(response: Any) -> bool:
    content_type = (response.headers.get("content-type") or [""])[0]  # lowercase names, lists
    return bool(
        response.status_code == 400
        and content_type.startswith("text/plain")
        and response.text == SERVER_REFUSAL
    )


def fuzz(
    operation: Any, mode: GenerationMode, base_url: str | None, headers: dict[str, str] | None
) -> Counter[str]:
    """Run one operation's generated cases; returns how many got each status."""
    sent: Counter[str] = Counter()

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        aim_at_fuzz_site(case)
        response = case.call(base_url=base_url, headers=headers)
        if mode == GenerationMode.NEGATIVE and refused_by_server(response):
            sent["400-http"] += 1
            return
        case.validate_response(response, checks=CHECKS)
        sent[str(response.status_code)] += 1

    run()
    return sent


def fuzz_every_operation(schema: Any, base_url: str | None, admin_token: str) -> None:
    """Schemathesis's own pytest plugin does not load under this pytest, so each operation's
    strategy is driven by Hypothesis here."""
    ran: dict[str, Counter[str]] = {}
    for found in schema.get_all_operations():
        operation = found.ok()
        # Logging out would end the token the other cases use: fuzz it anonymously. (Revoking
        # a member's sessions is fuzzed as the admin: a generated agent id is never its own.)
        authorized = operation.path != "/api/agent/logout"
        # From an address of its own (the edge trusts X-Forwarded-For from loopback), so the
        # failed logins generated here do not use up the login limit of the other tests.
        headers = {"x-forwarded-for": FUZZ_IP}
        if authorized:
            headers["authorization"] = f"Bearer {admin_token}"
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            ran[f"{operation.label} {mode.value}"] = fuzz(operation, mode, base_url, headers)
    print("schemathesis: cases and response statuses per operation and generation mode")
    for label, statuses in ran.items():
        counts = ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items()))
        print(f"  {label}: {statuses.total()} cases ({counts})")
    total: Counter[str] = sum(ran.values(), Counter())
    print(f"schemathesis total: {total.total()} cases, statuses {dict(sorted(total.items()))}")
    documented = sum(len(methods) for methods in openapi.document()["paths"].values())
    assert len(ran) == 2 * documented and all(statuses.total() > 0 for statuses in ran.values())
    # The fuzzing admin gets past the auth checks: some generated requests succeed.
    assert sum(statuses["200"] for statuses in ran.values()) > 0


def test_api_never_fails_on_generated_requests(
    api_schema: Any, edge: Any, admin_token: str
) -> None:
    fuzz_every_operation(api_schema, edge.url, admin_token)


def test_the_workers_api_never_fails_on_generated_requests(
    tmp_path: Path, seeded_worker_env: Any
) -> None:
    """The same run against the Worker's app: D1 and the KB bindings are doubles, the app is the
    one the SDK's ASGI bridge runs (its WebSocket routes are Durable Objects, not in it)."""
    clock = lambda: 1_000_000  # noqa: E731 - the objects' clock; no object runs here

    async def deploy() -> tuple[Any, str]:
        env = await seeded_worker_env(tmp_path, clock)
        await _seed_fuzz_site(tmp_path / "d1.sqlite")
        db = D1Database(env.DB)
        admin = await agents.authenticate_agent(db, FUZZ_EMAIL, PASSWORD)
        assert admin is not None
        return env, await agent_sessions.create_agent_session(db, admin.id)

    with ThreadPoolExecutor(1) as thread:
        env, token = thread.submit(asyncio.run, deploy()).result()
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", make_worker_app(env))
    fuzz_every_operation(schema, None, token)
    env.DB.close()


async def test_openapi_document_and_docs_page(edge: Any) -> None:
    async with httpx.AsyncClient(base_url=edge.url) as http:
        document = (await http.get("/api/openapi.json")).json()
        page = await http.get("/api/docs")
    assert document["openapi"] == "3.1.0"
    assert {"/api/visitor/session", "/api/agent/login", "/api/kb/search"} <= set(document["paths"])
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "/api/conversations/{conversation_id}/history" in page.text


def test_malformed_http_is_refused_by_the_server_before_the_app(edge: Any) -> None:
    """What schemathesis found once: a generated `content-length: 5 i7E` is not HTTP, and
    uvicorn answers it with its own plain-text 400 (the app never runs, nothing is changed)."""
    host, port = edge.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(
            b"DELETE /api/sites/fuzz-site/agents/Z HTTP/1.1\r\nhost: x\r\n"
            b"content-length: 5 i7E\r\n\r\n"
        )
        answer = b""
        while chunk := conn.recv(4096):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"content-type: text/plain" in head.lower()
    assert body.decode() == SERVER_REFUSAL  # what `refused_by_server` recognises
