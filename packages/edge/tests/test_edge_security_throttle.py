"""The login limit. One contract suite runs on both adapters of the `LoginLimiter` port (the
local edge's buckets in its process, and the Worker's limiter objects, `DurableLimiter` over a
`LIMITER` namespace), with an explicit clock; then two Worker "isolates" sharing one namespace
hit the limit together; then the real edge answers 429 `rate_limited` with Retry-After per
e-mail and per client IP."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path
from typing import Any

import httpx
import pytest

from helpway.edge.cloudflare.app import make_worker_app
from helpway.edge.cloudflare.testing import FakeLimiterNamespace, FakeNamespace
from helpway.edge.local import demo
from helpway.edge.throttle import LocalLoginLimiter, LoginLimiter, LoginLimits
from helpway.rooms.cloudflare.ratelimit import UNREACHABLE_WAIT_MS, DurableLimiter
from helpway.rooms.ratelimit import Rate

from .conftest import WorkerClock, worker_env

_n = itertools.count()

# 2 failures per e-mail, then one every 10 s; 3 per IP, then one a second.
LIMITS = LoginLimits(per_email=Rate(2, 0.1, strict=True), per_ip=Rate(3, 1.0, strict=True))


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000

    def __call__(self) -> int:
        return self.now


@dataclasses.dataclass
class Adapter:
    limiter: LoginLimiter
    clock: Clock
    namespace: FakeLimiterNamespace | None = None


@pytest.fixture(params=["local", "durable"])
def adapter(request: pytest.FixtureRequest) -> Adapter:
    clock = Clock()
    if request.param == "local":
        return Adapter(LocalLoginLimiter(clock), clock)
    namespace = FakeLimiterNamespace(clock)
    return Adapter(DurableLimiter(namespace), clock, namespace)


async def test_a_burst_of_failures_then_a_wait_that_refills(adapter: Adapter) -> None:
    keys = LIMITS.keys("a@x", None)
    assert [await adapter.limiter.take(keys) for _ in range(2)] == [0, 0]
    assert await adapter.limiter.take(keys) == 10_000  # one token regains in 10 s
    adapter.clock.now += 20_000
    # The refused attempt counted (-1 → 1 after 20 s): one try, not two.
    assert [await adapter.limiter.take(keys) for _ in range(2)] == [0, 10_000]


async def test_hammering_keeps_a_key_shut(adapter: Adapter) -> None:
    keys = LIMITS.keys("a@x", None)
    for _ in range(2):
        await adapter.limiter.take(keys)
    for _ in range(10):  # each refusal spends a token, down to -burst
        adapter.clock.now += 5_000
        assert await adapter.limiter.take(keys) > 0
    adapter.clock.now += 25_000
    assert await adapter.limiter.take(keys) > 0  # -2 → 0.5: still shut
    adapter.clock.now += 40_000
    assert await adapter.limiter.take(keys) == 0  # the client that waited gets in


async def test_a_successful_login_gives_its_tokens_back(adapter: Adapter) -> None:
    keys = LIMITS.keys("a@x", "1.1.1.1")
    for _ in range(5):
        assert await adapter.limiter.take(keys) == 0
        await adapter.limiter.give_back(keys)
    assert [await adapter.limiter.take(keys) for _ in range(3)] == [0, 0, 10_000]


async def test_the_email_and_the_address_are_limited_apart(adapter: Adapter) -> None:
    take = adapter.limiter.take
    assert [await take(LIMITS.keys("a@x", "1.1.1.1")) for _ in range(2)] == [0, 0]
    assert await take(LIMITS.keys("a@x", "2.2.2.2")) == 10_000  # the e-mail is shut everywhere
    assert await take(LIMITS.keys("b@x", "1.1.1.1")) == 0  # the address's third
    assert await take(LIMITS.keys("c@x", "1.1.1.1")) == 1000  # now the address is shut too
    assert await take(LIMITS.keys("b@x", None)) == 0  # b@x had one failure of two
    # c@x's refused attempt counted on c@x too (strict), so it has one try left, not two.
    assert [await take(LIMITS.keys("c@x", "3.3.3.3")) for _ in range(2)] == [0, 10_000]


async def test_a_login_bucket_outlives_its_limiter_object(adapter: Adapter) -> None:
    """On Cloudflare an idle object is evicted; a login bucket must not be forgiven then
    (locally the process holds it throughout)."""
    keys = LIMITS.keys("a@x", "1.1.1.1")
    for _ in range(3):
        await adapter.limiter.take(keys)
    if adapter.namespace is not None:
        adapter.namespace.evict()
    assert await adapter.limiter.take(keys) > 0


# ---------------------------------------------------------------- two isolates, one namespace


async def test_two_isolates_share_the_limit(tmp_path: Path) -> None:
    """Each Worker isolate builds its own app; logins through either charge the same limiter
    objects, so together they get 5 failures per e-mail, not 5 each."""
    env = await worker_env(tmp_path, WorkerClock())
    isolates = [make_worker_app(env), make_worker_app(env)]
    statuses = []
    for n in range(8):
        transport = httpx.ASGITransport(app=isolates[n % 2])
        async with httpx.AsyncClient(transport=transport, base_url="https://h.example") as http:
            response = await http.post(
                "/api/agent/login",
                json={"email": demo.AGENT_EMAIL, "password": "wrong"},
                headers={"cf-connecting-ip": f"203.0.113.{n}"},
            )
        statuses.append(response.status_code)
    assert statuses == [401] * 5 + [429] * 3
    env.DB.close()


async def test_the_worker_limits_by_the_connecting_address(tmp_path: Path) -> None:
    """The SDK's bridge gives the app no client address: the Worker takes CF-Connecting-IP."""
    env = await worker_env(tmp_path, WorkerClock())
    app = make_worker_app(env)
    per_ip = LoginLimits(per_ip=Rate(3, 0.001, strict=True))
    app.state.services = dataclasses.replace(app.state.services, login_limits=per_ip)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://h.example") as http:

        async def login(email: str, ip: str) -> int:
            body = {"email": email, "password": "wrong"}
            headers = {"cf-connecting-ip": ip}
            return (await http.post("/api/agent/login", json=body, headers=headers)).status_code

        assert [await login(f"s{n}@x.example", "192.0.2.1") for n in range(4)] == [401] * 3 + [429]
        assert await login("other@x.example", "192.0.2.2") == 401
    env.DB.close()


# ---------------------------------------------------------------- the real local edge


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


class Unreachable:
    """A limiter object the runtime cannot reach (overloaded, or reset by a deploy)."""

    async def take(self, burst: int, per_second: float, strict: bool = False) -> int:
        raise RuntimeError("Durable Object is overloaded. Too many requests queued.")


async def test_an_unreachable_login_limiter_refuses(caplog: pytest.LogCaptureFixture) -> None:
    """Sends fail open when their limiter cannot be reached; logins fail closed: an attacker
    who overloads one key's object must not open its limit."""
    limiter = DurableLimiter(FakeNamespace(lambda name: Unreachable()))
    assert await limiter.take(LIMITS.keys("a@x", "1.1.1.1")) == UNREACHABLE_WAIT_MS
    assert "refusing" in caplog.text
    assert await limiter.take([("ip:1.1.1.1", Rate(1, 1.0))]) == 0  # a send's
