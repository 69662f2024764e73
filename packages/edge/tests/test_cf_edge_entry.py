"""The Worker's main module, `cloudflare/entry/worker.py`, executed on CPython.

It imports the runtime (`js`, `workers`), so here it runs under small fakes of the part of the
Python Workers SDK (`workers-runtime-sdk` 1.9.5) it uses, built below from the SDK's
documented surface: `WorkerEntrypoint` and `DurableObject` (constructed with `ctx, env`),
`Response(body, status=, headers=, web_socket=)` and `Response.from_json(data, status)`,
`asgi.fetch(app, request, env)` (a stand-in bridge that runs the ASGI app with httpx), and
`js.WebSocketPair.new().object_values()`. The bindings are the doubles of the other packages
(`cloudflare/testing.py`), the Durable Object namespaces hold the entry's own classes, and the
runtime's calls are made as workerd makes them: positionally, with JS-shaped arguments.
`pyodide` is not faked: the entry does not import it (test_cf_edge_bundle.py keeps it so).
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import sys
import types
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from helpway.edge.cloudflare import app as cloudflare_app
from helpway.edge.cloudflare.app import cloudflare_knowledge
from helpway.edge.cloudflare.settings import CloudflareSettings
from helpway.edge.cloudflare.testing import FakeEnv, FakeNamespace
from helpway.edge.local import demo
from helpway.knowledge.cloudflare.testing import FakeVectorize, FakeWorkersAI, quote_first_passage
from helpway.knowledge.cloudflare.workers_ai import EMBEDDING_DIMS
from helpway.rooms.cloudflare.host import socket_of
from helpway.rooms.cloudflare.testing import FakeDurableObjectState, FakeWebSocket
from helpway.shared import limits
from helpway.store.cloudflare.d1 import D1Database
from helpway.store.cloudflare.testing import FakeD1
from helpway.store.migrate import apply_migrations

ENTRY = Path(__file__).resolve().parents[1] / "src/helpway/edge/cloudflare/entry/worker.py"


# ---------------------------------------------------------------- the fake runtime modules


class FakeResponse:
    """`workers.Response`: the body types the SDK accepts (str, bytes, None), a status the JS
    `Response` constructor accepts (200-599, or 101 with a `webSocket`)."""

    def __init__(
        self,
        body: str | bytes | None = None,
        status: int | None = None,
        status_text: str = "",
        headers: dict[str, str] | None = None,
        web_socket: Any = None,
    ) -> None:
        if body is not None and not isinstance(body, str | bytes):
            raise TypeError(f"Unsupported type in Response: {type(body).__name__}")
        self.status = status or 200
        if not (200 <= self.status <= 599 or (self.status == 101 and web_socket is not None)):
            raise ValueError(f"RangeError: invalid status {self.status}")
        self.body = body.encode() if isinstance(body, str) else (body or b"")
        self.headers = {k.lower(): v for k, v in (headers or {}).items()}
        self.web_socket = web_socket

    @staticmethod
    def from_json(data: Any, status: int = 200, status_text: str = "") -> FakeResponse:
        return FakeResponse(
            json.dumps(data), status, status_text, {"content-type": "application/json"}
        )

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FakeRequest:
    """What a handler's `request` offers the entry: `url`, `method`, `headers.get(name)`."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def __post_init__(self) -> None:
        self.headers = {k.lower(): v for k, v in self.headers.items()}


class FakeArrayBuffer:
    """A binary WebSocket message as the handler gets it: an ArrayBuffer proxy."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def to_bytes(self) -> bytes:
        return self._data


@dataclass
class Runtime:
    """The fake modules, and what passed through them."""

    modules: dict[str, types.ModuleType]
    bridged: list[tuple[Any, FakeRequest, Any]] = field(default_factory=list)
    pairs: list[tuple[FakeWebSocket, FakeWebSocket]] = field(default_factory=list)


def fake_runtime() -> Runtime:
    runtime = Runtime({})

    class WebSocketPair:
        @staticmethod
        def new() -> Any:
            pair = (FakeWebSocket(), FakeWebSocket())
            runtime.pairs.append(pair)
            return types.SimpleNamespace(object_values=lambda: pair)

    class WorkerEntrypoint:
        def __init__(self, ctx: Any, env: Any) -> None:
            self.ctx = ctx
            self.env = env

    class DurableObject:
        def __init__(self, ctx: Any, env: Any) -> None:
            self.ctx = ctx
            self.env = env

    async def bridge_fetch(
        app: Any, request: FakeRequest, env: Any, ctx: Any = None, *, options: Any = None
    ) -> FakeResponse:
        runtime.bridged.append((app, request, env))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport) as http:
            answer = await http.request(
                request.method, request.url, headers=request.headers, content=request.body
            )
        return FakeResponse(answer.content, answer.status_code, headers=dict(answer.headers))

    js = types.ModuleType("js")
    js.WebSocketPair = WebSocketPair  # type: ignore[attr-defined]
    asgi = types.ModuleType("workers.asgi")
    asgi.fetch = bridge_fetch  # type: ignore[attr-defined]
    workers = types.ModuleType("workers")
    workers.__path__ = []  # a package, as the SDK's is
    for name, value in (
        ("WorkerEntrypoint", WorkerEntrypoint),
        ("DurableObject", DurableObject),
        ("Response", FakeResponse),
        ("asgi", asgi),
    ):
        setattr(workers, name, value)
    runtime.modules = {"js": js, "workers": workers, "workers.asgi": asgi}
    return runtime


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    made = fake_runtime()
    for name, module in made.modules.items():
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setattr(cloudflare_app, "_app", None)  # a new isolate
    yield made


def load_entry() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("helpway_worker_main", ENTRY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------- a deployment


@dataclass
class Deployment:
    entry: types.ModuleType
    runtime: Runtime
    env: FakeEnv
    states: dict[str, FakeDurableObjectState]

    async def fetch(self, request: FakeRequest) -> FakeResponse:
        """A request reaching the Worker: a new `Default` per request, as the runtime makes."""
        response: FakeResponse = await self.entry.Default(None, self.env).fetch(request)
        return response

    async def post(self, path: str, body: dict[str, Any]) -> FakeResponse:
        request = FakeRequest(
            "POST", BASE + path, {"content-type": "application/json"}, json.dumps(body).encode()
        )
        return await self.fetch(request)

    def room(self, conversation_id: str) -> Any:
        return self.env.ROOMS.objects[conversation_id]


BASE = "https://helpway.example"


def upgrade(path: str, ip: str = "198.51.100.7") -> FakeRequest:
    return FakeRequest("GET", BASE + path, {"Upgrade": "websocket", "CF-Connecting-IP": ip})


def join(token: str) -> str:
    return json.dumps({"type": "join", "v": limits.PROTOCOL_VERSION, "token": token})


def send(client_id: str, text: str) -> str:
    return json.dumps({"type": "message.send", "client_id": client_id, "text": text})


@pytest.fixture
async def deployment(runtime: Runtime, tmp_path: Path) -> AsyncIterator[Deployment]:
    d1 = FakeD1(tmp_path / "d1.sqlite")
    await apply_migrations(D1Database(d1))
    env = FakeEnv(
        d1,
        FakeWorkersAI(EMBEDDING_DIMS, reply=quote_first_passage),
        FakeVectorize(EMBEDDING_DIMS),
        HELPWAY_ANSWER_MIN_SIMILARITY="0.3",
    )
    entry = load_entry()
    states: dict[str, FakeDurableObjectState] = {}

    def durable(cls: type) -> Callable[[str], Any]:
        def make(name: str) -> Any:
            states[name] = FakeDurableObjectState(tmp_path / f"{len(states)}.sqlite")
            return cls(states[name], env)

        return make

    env.ROOMS = FakeNamespace(durable(entry.ConversationRoom))
    env.INBOX = FakeNamespace(durable(entry.InboxHub))
    env.LIMITER = FakeNamespace(durable(entry.RateLimiter))
    db = D1Database(d1)
    await demo.seed(db, cloudflare_knowledge(db, env, CloudflareSettings.from_env(env)))
    yield Deployment(entry, runtime, env, states)
    d1.close()


# ---------------------------------------------------------------- the handlers' signatures

# How workerd calls each handler of a Durable Object class, positionally (the JS names).
DURABLE_CALLS: dict[str, tuple[Any, ...]] = {
    "fetch": (FakeRequest("GET", BASE + "/"),),
    "webSocketMessage": (FakeWebSocket(), "text"),
    "webSocketClose": (FakeWebSocket(), 1000, "bye", True),
    "webSocketError": (FakeWebSocket(), RuntimeError("reset")),
    "alarm": ({"retryCount": 0, "isRetry": False},),
}


def test_the_entry_exports_the_sdks_classes_with_its_handler_signatures(
    runtime: Runtime,
) -> None:
    entry = load_entry()
    workers = runtime.modules["workers"]
    assert issubclass(entry.Default, workers.WorkerEntrypoint)  # type: ignore[attr-defined]
    assert inspect.iscoroutinefunction(entry.Default.fetch)
    inspect.signature(entry.Default.fetch).bind(None, DURABLE_CALLS["fetch"][0])
    for cls in (entry.ConversationRoom, entry.InboxHub):
        assert issubclass(cls, workers.DurableObject)  # type: ignore[attr-defined]
        for name, args in DURABLE_CALLS.items():
            handler = getattr(cls, name)
            assert inspect.iscoroutinefunction(handler), (cls, name)
            inspect.signature(handler).bind(None, *args)  # raises if workerd's call cannot bind
        inspect.signature(cls.alarm).bind(None)  # older runtimes call alarm() bare
    assert issubclass(entry.RateLimiter, workers.DurableObject)  # type: ignore[attr-defined]
    for name in ("take", "give_back"):  # RPC methods: every call is awaited by the caller
        assert inspect.iscoroutinefunction(getattr(entry.RateLimiter, name))
    assert inspect.iscoroutinefunction(entry.InboxHub.publish)


# ---------------------------------------------------------------- Default.fetch


async def test_http_goes_through_the_bridge_to_one_app_per_isolate(
    deployment: Deployment,
) -> None:
    session = await deployment.post("/api/visitor/session", {"site_id": "demo"})
    assert session.status == 200, session.body
    again = await deployment.post(
        "/api/visitor/session",
        {"site_id": "demo", "visitor_token": session.json()["visitor_token"]},
    )
    assert again.json()["conversation_id"] == session.json()["conversation_id"]
    missing = await deployment.fetch(FakeRequest("GET", BASE + "/api/nope"))
    assert (missing.status, missing.json()["code"]) == (404, "not_found")

    apps = {id(app) for app, _, _ in deployment.runtime.bridged}
    assert len(apps) == 1  # built on the first request, kept for the next ones
    assert all(env is deployment.env for _, _, env in deployment.runtime.bridged)
    # A socket path without the upgrade is plain HTTP, answered by the app.
    plain = await deployment.fetch(FakeRequest("GET", BASE + "/ws/conversations/abc"))
    assert plain.status == 404 and len(deployment.runtime.bridged) == 4
    assert deployment.env.ROOMS.objects == {}


async def test_a_conversation_upgrade_reaches_its_object_and_its_socket_is_served(
    deployment: Deployment,
) -> None:
    visitor = (await deployment.post("/api/visitor/session", {"site_id": "demo"})).json()
    conversation = visitor["conversation_id"]
    bridged = len(deployment.runtime.bridged)
    response = await deployment.fetch(upgrade(f"/ws/conversations/{conversation}", "203.0.113.5"))
    assert response.status == 101
    client, server = deployment.runtime.pairs[-1]
    assert response.web_socket is client  # the client end goes back, the server end stays
    assert list(deployment.env.ROOMS.objects) == [conversation]
    state = deployment.states[conversation]
    assert state.getWebSockets() == [server]
    accepted = socket_of(server)
    assert accepted is not None
    assert (accepted.conversation_id, accepted.ip) == (conversation, "203.0.113.5")
    assert len(deployment.runtime.bridged) == bridged  # the app never saw the upgrade

    room = deployment.room(conversation)
    await room.webSocketMessage(server, join(visitor["visitor_token"]))
    await room.webSocketMessage(server, FakeArrayBuffer(send("c1", "binary hello").encode()))
    kinds = [f["type"] for f in server.frames()]
    assert kinds[:3] == ["welcome", "ack", "message"]
    assert server.frames()[2]["text"] == "binary hello"

    # The outbox reaches D1 on the object's alarm, as the runtime fires it.
    state.storage.take_alarm()
    await room.alarm({"retryCount": 0, "isRetry": False})
    history = await deployment.fetch(
        FakeRequest(
            "GET",
            f"{BASE}/api/conversations/{conversation}/history",
            {"authorization": f"Bearer {visitor['visitor_token']}"},
        )
    )
    texts = [e["text"] for e in history.json()["entries"] if e["type"] == "message"]
    assert texts[0] == "binary hello"  # the assistant's answer may follow

    await room.webSocketClose(server, 1001, "gone", False)
    left = socket_of(server)
    assert left is not None and not left.joined


async def test_a_socket_error_leaves_the_room_like_a_close(deployment: Deployment) -> None:
    visitor = (await deployment.post("/api/visitor/session", {"site_id": "demo"})).json()
    conversation = visitor["conversation_id"]
    await deployment.fetch(upgrade(f"/ws/conversations/{conversation}"))
    _, server = deployment.runtime.pairs[-1]
    room = deployment.room(conversation)
    await room.webSocketMessage(server, join(visitor["visitor_token"]))
    joined = socket_of(server)
    assert joined is not None and joined.joined
    await room.webSocketError(server, RuntimeError("connection reset"))
    left = socket_of(server)
    assert left is not None and not left.joined


async def test_an_object_answers_only_the_upgrades_it_serves(deployment: Deployment) -> None:
    """The objects check the request themselves: a stub's fetch can come from anywhere."""
    room = deployment.entry.ConversationRoom(FakeDurableObjectState(), deployment.env)
    for request in (
        FakeRequest("GET", BASE + "/ws/conversations/abc"),  # no upgrade
        upgrade("/ws/inbox?site_id=demo"),  # an inbox upgrade at a conversation object
    ):
        refused = await room.fetch(request)
        assert (refused.status, refused.json()["code"]) == (426, "bad_frame")
    hub = deployment.entry.InboxHub(FakeDurableObjectState(), deployment.env)
    for request in (upgrade("/ws/conversations/abc"), upgrade("/ws/inbox")):
        refused = await hub.fetch(request)
        assert (refused.status, refused.json()["code"]) == (426, "bad_frame")
    assert deployment.runtime.pairs == []  # nothing accepted


async def test_an_inbox_upgrade_reaches_its_sites_hub_and_hears_the_rooms_alarm(
    deployment: Deployment,
) -> None:
    login = await deployment.post(
        "/api/agent/login", {"email": demo.AGENT_EMAIL, "password": demo.AGENT_PASSWORD}
    )
    token = login.json()["token"]
    refused = await deployment.fetch(upgrade("/ws/inbox"))
    assert (refused.status, refused.json()["code"]) == (400, "invalid")
    assert deployment.env.INBOX.objects == {}

    response = await deployment.fetch(upgrade("/ws/inbox?site_id=demo"))
    assert response.status == 101
    client, inbox_ws = deployment.runtime.pairs[-1]
    assert response.web_socket is client
    assert list(deployment.env.INBOX.objects) == ["site:demo"]
    hub = deployment.env.INBOX.objects["site:demo"]
    await hub.webSocketMessage(inbox_ws, json.dumps({"type": "join", "v": 1, "token": token}))
    await hub.webSocketMessage(inbox_ws, FakeArrayBuffer(b'{"type": "ping"}'))
    assert [f["type"] for f in inbox_ws.frames()] == ["presence", "pong"]

    visitor = (await deployment.post("/api/visitor/session", {"site_id": "demo"})).json()
    conversation = visitor["conversation_id"]
    await deployment.fetch(upgrade(f"/ws/conversations/{conversation}"))
    _, visitor_ws = deployment.runtime.pairs[-1]
    room = deployment.room(conversation)
    await room.webSocketMessage(visitor_ws, join(visitor["visitor_token"]))
    await room.webSocketMessage(visitor_ws, send("c1", "anyone there?"))
    deployment.states[conversation].storage.take_alarm()
    await room.alarm({"retryCount": 0, "isRetry": False})  # D1, then the hub's publish RPC
    updates = [f for f in inbox_ws.frames() if f["type"] == "inbox.update"]
    assert updates[-1]["conversation"]["id"] == conversation

    # Closes and errors drop the socket's message queue (the runtime stops listing it).
    assert len(hub.hub._turns) == 1
    await hub.webSocketClose(inbox_ws, 1000, "", True)
    assert hub.hub._turns == {}
    await hub.webSocketMessage(inbox_ws, json.dumps({"type": "ping"}))
    await hub.webSocketError(inbox_ws, RuntimeError("reset"))
    assert hub.hub._turns == {}


async def test_the_rate_limiter_object_is_reached_over_rpc(deployment: Deployment) -> None:
    bucket = deployment.env.LIMITER.getByName("ip:203.0.113.9")
    assert [await bucket.take(2, 1.0) for _ in range(3)][:2] == [0, 0]
    assert await bucket.take(2, 1.0) > 0  # empty: a wait in milliseconds
    await bucket.give_back(2, 1.0)
    assert await bucket.take(2, 1.0) == 0


async def test_a_login_limit_object_keeps_its_bucket_in_storage(deployment: Deployment) -> None:
    """A strict (login) bucket is read back by a new instance on the object's state, as after
    the runtime evicted an idle object; a send bucket is forgotten (a full one)."""
    for name in ("login-email:a@x.example", "ip:203.0.113.10"):
        bucket = deployment.env.LIMITER.getByName(name)
        strict = name.startswith("login")
        assert await bucket.take(1, 0.001, strict) == 0
        assert await bucket.take(1, 0.001, strict) > 0
    for name in ("login-email:a@x.example", "ip:203.0.113.10"):
        woken = deployment.entry.RateLimiter(deployment.states[name], deployment.env)
        strict = name.startswith("login")
        assert (await woken.take(1, 0.001, strict) > 0) == strict
