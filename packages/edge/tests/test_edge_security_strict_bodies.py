"""REST bodies are strict: a JSON value of the wrong type is refused with 422 `invalid` naming
the field, never coerced (`"yes"` is not `true`, `1` is not `true`, `5` is not `"5"`), and the
refused change leaves nothing changed. On the local edge and on the Worker (`api`)."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import own_site


def _assert_refused(response: Any, field: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "invalid" and set(body) == {"code", "message"}
    assert body["message"].startswith(field), body


@pytest.mark.parametrize(
    "body",
    [{"required": "yes"}, {"required": 1}, {"required": "true"}, {"rotate_secret": "1"}],
)
async def test_identity_flags_must_be_booleans(api: Any, body: dict[str, Any]) -> None:
    async with own_site(api) as (site_id, headers):
        path = f"/api/sites/{site_id}/identity"
        _assert_refused(await api.http.post(path, json=body, headers=headers), next(iter(body)))
        now = (await api.http.get(path, headers=headers)).json()
        assert now["required"] is False and now["has_secret"] is False  # nothing changed
        fine = await api.http.post(path, json={"required": True}, headers=headers)
        assert fine.status_code == 200 and fine.json()["required"] is True


async def test_nested_settings_are_strict_too(api: Any) -> None:
    async with own_site(api) as (site_id, headers):
        path = f"/api/sites/{site_id}/widget"
        hours = {"time_zone": "UTC", "weekly": [], "collect_email": "no"}
        refused = await api.http.post(path, json={"business_hours": hours}, headers=headers)
        _assert_refused(refused, "business_hours.collect_email")
        refused = await api.http.post(path, json={"languages": "en"}, headers=headers)
        _assert_refused(refused, "languages")
        assert (await api.http.get(path, headers=headers)).json()["business_hours"] is None


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/agent/login", {"email": "agent@demo.helpway.dev", "password": 12345678}, "password"),
        ("/api/visitor/session", {"site_id": "demo", "visitor_token": 5}, "visitor_token"),
        ("/api/visitor/session", {"site_id": ["demo"]}, "site_id"),
    ],
)
async def test_public_bodies_are_strict(api: Any, path: str, body: Any, field: str) -> None:
    _assert_refused(await api.http.post(path, json=body), field)
