"""The login limit: the token-bucket core with an explicit clock, then the real edge answering
429 `rate_limited` with Retry-After per e-mail and per client IP."""

from __future__ import annotations

import itertools
from typing import Any

import httpx

from helpway.edge.throttle import LoginLimits, TokenBuckets

_n = itertools.count()


def test_bucket_allows_a_burst_then_refills_over_time() -> None:
    buckets = TokenBuckets(capacity=3, per_second=0.5)
    for _ in range(3):
        assert buckets.wait("k", now=0.0) == 0
        buckets.charge("k", now=0.0)
    assert buckets.wait("k", now=0.0) == 2.0  # one token regains in 2 s
    assert buckets.wait("k", now=1.0) == 1.0
    assert buckets.wait("k", now=2.0) == 0
    assert buckets.wait("other", now=0.0) == 0  # keys are independent


def test_bucket_keeps_bounded_keys() -> None:
    buckets = TokenBuckets(capacity=1, per_second=1, max_keys=2)
    for key in ("a", "b", "c"):
        buckets.charge(key, now=0.0)
    assert buckets.wait("a", now=0.0) == 0  # the stalest key was dropped
    assert buckets.wait("c", now=0.0) > 0


def test_login_limits_by_email_and_by_ip() -> None:
    limits = LoginLimits(by_email=TokenBuckets(2, 0.1), by_ip=TokenBuckets(3, 1))
    limits.failed("a@x", "1.1.1.1", now=0)
    limits.failed("a@x", "1.1.1.1", now=0)
    assert limits.retry_after("a@x", "2.2.2.2", now=0) == 10  # the e-mail is shut everywhere
    assert limits.retry_after("b@x", "1.1.1.1", now=0) == 0  # the IP has one try left
    limits.failed("b@x", "1.1.1.1", now=0)
    assert limits.retry_after("c@x", "1.1.1.1", now=0) == 1  # now the IP is shut too
    assert limits.retry_after("c@x", None, now=0) == 0


async def _login(http: httpx.AsyncClient, email: str, password: str, ip: str) -> httpx.Response:
    return await http.post(
        "/api/agent/login",
        json={"email": email, "password": password},
        headers={"x-forwarded-for": ip},
    )


def _assert_limited(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["code"] == "rate_limited"
    assert int(response.headers["retry-after"]) >= 1


async def test_failed_logins_of_one_email_are_limited(edge: Any) -> None:
    async with httpx.AsyncClient(base_url=edge.url) as http:
        email = f"nobody{next(_n)}@limits.example"
        for attempt in range(5):
            response = await _login(http, email, "wrong password", f"203.0.113.{attempt}")
            assert response.status_code == 401, response.text
        # From yet another address, in other case: the e-mail itself is shut.
        _assert_limited(await _login(http, email.upper(), "wrong password", "203.0.113.99"))
        # Other accounts from those addresses are not.
        other = await _login(http, "agent@demo.helpway.dev", "helpway-demo", "203.0.113.0")
        assert other.status_code == 200


async def test_failed_logins_from_one_ip_are_limited(edge: Any) -> None:
    async with httpx.AsyncClient(base_url=edge.url) as http:
        ip = "192.0.2.77"
        statuses = [
            (await _login(http, f"spray{n}@limits.example", "wrong pw", ip)).status_code
            for n in range(60)
        ]
        # 30 failures pass (a few more if the bucket refilled meanwhile), then all are refused:
        # refusals count too, so hammering keeps the address shut.
        first_refusal = statuses.index(429)
        assert 30 <= first_refusal < 40 and set(statuses[:first_refusal]) == {401}
        assert set(statuses[first_refusal:]) == {429}
        # Even the right password waits: the server does no password work for this address.
        _assert_limited(await _login(http, "agent@demo.helpway.dev", "helpway-demo", ip))
        fine = await _login(http, "agent@demo.helpway.dev", "helpway-demo", "192.0.2.78")
        assert fine.status_code == 200
