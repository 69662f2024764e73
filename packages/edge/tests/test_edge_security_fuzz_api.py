"""Schemathesis against the real local edge, driven by the edge's own `/api/openapi.json`.

Each operation gets a bounded number of generated requests (valid and invalid bodies, queries,
path ids), sent both without credentials and with a real agent token, so the handlers behind the
auth check are fuzzed too. Every response must be a non-5xx with a status the document declares
and a body matching its schema (ErrorBody for every failure)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode, checks

EXAMPLES = 30
FUZZ_IP = "198.51.100.7"
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture(scope="session")
def api_schema(edge: Any) -> Any:
    return schemathesis.openapi.from_url(edge.url + "/api/openapi.json")


@pytest.fixture(scope="session")
def agent_token(edge: Any) -> str:
    response = httpx.post(
        edge.url + "/api/agent/login",
        json={"email": "agent@demo.helpway.dev", "password": "helpway-demo"},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


def fuzz(
    operation: Any, mode: GenerationMode, base_url: str, headers: dict[str, str] | None
) -> int:
    """Run one operation's generated cases; returns how many were sent."""
    sent = 0

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        nonlocal sent
        response = case.call(base_url=base_url, headers=headers)
        case.validate_response(response, checks=CHECKS)
        sent += 1

    run()
    return sent


def test_api_never_fails_on_generated_requests(
    api_schema: Any, edge: Any, agent_token: str
) -> None:
    """Schemathesis's own pytest plugin does not load under this pytest, so each operation's
    strategy is driven by Hypothesis here."""
    ran: dict[str, int] = {}
    for found in api_schema.get_all_operations():
        operation = found.ok()
        # Logging out would end the token the other cases use: fuzz it anonymously.
        authorized = operation.path != "/api/agent/logout"
        # From an address of its own (the edge trusts X-Forwarded-For from loopback), so the
        # failed logins generated here do not use up the login limit of the other tests.
        headers = {"x-forwarded-for": FUZZ_IP}
        if authorized:
            headers["authorization"] = f"Bearer {agent_token}"
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            ran[f"{operation.label} {mode.value}"] = fuzz(operation, mode, edge.url, headers)
    print(f"schemathesis cases per operation: {ran}")
    assert len(ran) == 24 and all(count > 0 for count in ran.values())


async def test_openapi_document_and_docs_page(edge: Any) -> None:
    async with httpx.AsyncClient(base_url=edge.url) as http:
        document = (await http.get("/api/openapi.json")).json()
        page = await http.get("/api/docs")
    assert document["openapi"] == "3.1.0"
    assert {"/api/visitor/session", "/api/agent/login", "/api/kb/search"} <= set(document["paths"])
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "/api/conversations/{conversation_id}/history" in page.text
