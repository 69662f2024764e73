"""The Worker's Durable Objects on CPython, over binding doubles, driven as the runtime drives
them (upgrade accepted, one call per socket message, the alarm, the hubs' and the rate
limiters' RPCs). The Worker's HTTP app runs the shared HTTP suite (test_edge_http.py, `api`);
the entry module's shells are executed in test_cf_edge_entry.py."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from helpway.edge.cloudflare.conversation_object import ConversationObject
from helpway.edge.cloudflare.inbox_object import InboxObject
from helpway.edge.cloudflare.routing import (
    ConversationSocket,
    InboxSocket,
    inbox_object_name,
    target,
)
from helpway.edge.cloudflare.testing import FakeEnv, FakeNamespace
from helpway.edge.local import demo
from helpway.edge.origins import http_origin, page_origin
from helpway.rooms.cloudflare.testing import (
    FakeDurableObjectState,
    FakeJsException,
    FakeWebSocket,
)
from helpway.rooms.ratelimit import DEFAULT_SEND_LIMITS, Rate, SendLimits
from helpway.shared import limits
from helpway.store import agent_sessions, agents, canned, sites
from helpway.store.cloudflare.d1 import D1Database


@dataclass
class World:
    """One deployment: D1, Vectorize, Workers AI, the sites' inbox hubs, the rate limiters,
    and a conversation object per conversation id, all over doubles sharing one clock."""

    folder: Path
    env: FakeEnv
    http: httpx.AsyncClient
    clock: Any
    rooms: dict[str, tuple[FakeDurableObjectState, ConversationObject]]
    send_limits: SendLimits = DEFAULT_SEND_LIMITS

    def room(self, conversation_id: str) -> ConversationObject:
        if conversation_id not in self.rooms:
            ctx = self.env.ROOMS.state(conversation_id)  # the state the Worker's RPCs reach
            self.rooms[conversation_id] = (ctx, self._object(ctx))
        return self.rooms[conversation_id][1]

    def wake(self, conversation_id: str) -> ConversationObject:
        """The conversation's object after hibernation: a new instance, the same state."""
        ctx, _ = self.rooms[conversation_id]
        self.rooms[conversation_id] = (ctx, self._object(ctx))
        return self.rooms[conversation_id][1]

    def _object(self, ctx: FakeDurableObjectState) -> ConversationObject:
        return ConversationObject(ctx, self.env, clock=self.clock, send_limits=self.send_limits)

    def hub(self, site_id: str = "demo") -> InboxObject:
        name = inbox_object_name(site_id)
        self.env.INBOX.getByName(name)  # made on first use, as the runtime does
        hub: InboxObject = self.env.INBOX.objects[name]
        return hub

    async def inbox(self, token: str, site_id: str = "demo") -> FakeWebSocket:
        """An inbox socket of `site_id`'s hub, joined with `token`."""
        ws = FakeWebSocket()
        self.hub(site_id).accept(ws, site_id)
        await self.hub(site_id).message(ws, join(token))
        return ws

    async def alarm(self, conversation_id: str) -> None:
        ctx, room = self.rooms[conversation_id]
        self.clock.now = max(self.clock.now, ctx.storage.take_alarm())
        await room.alarm()

    async def visitor(self, token: str | None = None, site_id: str = "demo") -> dict[str, Any]:
        body = {"site_id": site_id, **({"visitor_token": token} if token else {})}
        response = await self.http.post("/api/visitor/session", json=body)
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def agent(self) -> dict[str, Any]:
        login = {"email": demo.AGENT_EMAIL, "password": demo.AGENT_PASSWORD}
        response = await self.http.post("/api/agent/login", json=login)
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def connect(
        self, conversation_id: str, token: str, last_seq: int = 0, ip: str = "198.51.100.7"
    ) -> FakeWebSocket:
        ws = FakeWebSocket()
        room = self.room(conversation_id)
        room.accept(ws, conversation_id, ip)
        await room.message(ws, join(token, last_seq))
        return ws


def join(token: str, last_seq: int = 0, v: int = limits.PROTOCOL_VERSION) -> str:
    return json.dumps({"type": "join", "v": v, "token": token, "last_seq": last_seq})


def send(client_id: str, text: str) -> str:
    return json.dumps({"type": "message.send", "client_id": client_id, "text": text})


def of_type(ws: FakeWebSocket, kind: str) -> list[dict[str, Any]]:
    return [f for f in ws.frames() if f["type"] == kind]


@pytest.fixture
def world(worker_client: Any) -> World:
    """The Worker of conftest.py's `worker_client`, with its conversation objects at hand."""
    c = worker_client
    return World(c.folder, c.env, c.http, c.clock, {})


# ---------------------------------------------------------------- routing


def test_sockets_go_to_objects_and_the_rest_to_the_app() -> None:
    assert target("GET", "/ws/conversations/abc_D-1", "websocket") == ConversationSocket("abc_D-1")
    assert target("GET", "/ws/inbox", "WebSocket", "site_id=demo") == InboxSocket("demo")
    assert target("GET", "/ws/inbox", "websocket") == InboxSocket(None)  # refused: no site
    assert target("GET", "/ws/inbox", "websocket", "site_id=a&site_id=b") == InboxSocket(None)
    assert target("GET", "/ws/inbox", "websocket", "site_id=../x") == InboxSocket(None)
    assert target("GET", "/ws/conversations/abc", None) == "http"  # not an upgrade
    assert target("GET", "/ws/conversations/../x", "websocket") == "http"
    assert target("GET", "/ws/conversations/" + "x" * 65, "websocket") == "http"
    assert target("POST", "/api/visitor/session", None) == "http"


# ---------------------------------------------------------------- the conversation object


async def test_a_conversation_on_its_object_reaches_d1_and_the_inbox(world: World) -> None:
    agent = await world.agent()
    inbox_ws = await world.inbox(agent["token"])

    visitor = await world.visitor()
    conversation = visitor["conversation_id"]
    ws = await world.connect(conversation, visitor["visitor_token"])
    welcome = ws.frames()[0]
    assert (welcome["type"], welcome["conversation_id"]) == ("welcome", conversation)

    await world.room(conversation).message(ws, send("c1", "How do I reset my password?"))
    for _ in range(100):  # the assistant answers in a task of the object
        if len(of_type(ws, "message")) == 2:
            break
        await asyncio.sleep(0.005)
    question, answer = of_type(ws, "message")
    assert of_type(ws, "ack")[0]["seq"] == question["seq"] == 1
    assert answer["author"]["role"] == "assistant"
    assert answer["citations"][0]["url"] == "/help/password-reset#reset-your-password"
    deltas = of_type(ws, "assistant.delta")
    assert "".join(d["text"] for d in deltas) == answer["text"]

    await world.alarm(conversation)  # the outbox drains to D1, then to the inbox hub
    history = await world.http.get(
        f"/api/conversations/{conversation}/history",
        headers={"authorization": f"Bearer {visitor['visitor_token']}"},
    )
    assert [e["seq"] for e in history.json()["entries"]] == [1, 2]
    updates = of_type(inbox_ws, "inbox.update")
    assert updates[-1]["conversation"]["id"] == conversation
    assert updates[-1]["conversation"]["last_seq"] == 2


async def test_the_consoles_aids_work_over_d1(world: World) -> None:
    """Search, the visitor's context, the suggested reply and canned responses, on the Worker's
    app over D1 (the FTS5 indexes of 0008 included)."""
    session = await world.http.post(
        "/api/visitor/session",
        json={"site_id": "demo", "page_url": "https://helpway.example/p", "time_zone": "UTC"},
        headers={"user-agent": "Mozilla/5.0 (Windows NT 10.0) Chrome/131.0.0.0 Safari/537.36"},
    )
    visitor = session.json()
    conversation = visitor["conversation_id"]
    ws = await world.connect(conversation, visitor["visitor_token"])
    await world.room(conversation).message(ws, send("c1", "How do I reset my password?"))
    for _ in range(100):  # the assistant answers in a task of the object
        if len(of_type(ws, "message")) == 2:
            break
        await asyncio.sleep(0.005)
    await world.alarm(conversation)
    bearer = {"authorization": f"Bearer {(await world.agent())['token']}"}

    found = await world.http.get("/api/search", params={"q": "reset"}, headers=bearer)
    assert [hit["conversation"]["id"] for hit in found.json()["hits"]] == [conversation]
    context = await world.http.get(f"/api/conversations/{conversation}/visitor", headers=bearer)
    assert (context.json()["browser"], context.json()["time_zone"]) == (
        "Chrome 131 on Windows",
        "UTC",
    )
    suggested = await world.http.post(
        f"/api/conversations/{conversation}/suggested-reply", headers=bearer
    )
    assert suggested.json()["resolution"] == "answered"
    assert suggested.json()["citations"][0]["url"] == "/help/password-reset#reset-your-password"
    await canned.create_canned(
        D1Database(world.env.DB), "demo", "hi", "Greeting", "Hello! How can I help?"
    )
    listed = await world.http.get("/api/sites/demo/canned", headers=bearer)
    seeded = [shortcut for shortcut, _, _ in demo.CANNED]  # the demo's own, and ours
    assert sorted(r["shortcut"] for r in listed.json()["responses"]) == sorted([*seeded, "hi"])


async def test_the_door_refuses_like_the_local_edge(world: World) -> None:
    visitor = await world.visitor()
    conversation = visitor["conversation_id"]
    room = world.room(conversation)

    ws = FakeWebSocket()
    room.accept(ws, conversation, None)
    await room.message(ws, "{not json")
    await room.message(ws, send("c1", "too early"))
    await room.message(ws, b'{"type": "ping"}')
    assert [(f["code"], f.get("client_id")) for f in ws.frames()] == [
        ("bad_frame", None),
        ("not_joined", "c1"),
        ("not_joined", None),
    ]
    assert ws.close_code is None  # refusals keep the socket

    old = FakeWebSocket()
    room.accept(old, conversation, None)
    await room.message(old, join(visitor["visitor_token"], v=99))
    assert (old.frames()[-1]["code"], old.close_code) == ("unsupported_version", 4400)

    for token, conversation_id in (
        ("not-a-token", conversation),
        (visitor["visitor_token"], "nope"),
    ):
        stranger = FakeWebSocket()
        world.room(conversation_id).accept(stranger, conversation_id, None)
        await world.room(conversation_id).message(stranger, join(token))
        assert (stranger.frames()[-1]["code"], stranger.close_code) == ("unauthorized", 4401)

    await room.message(ws, join(visitor["visitor_token"]))
    await room.message(ws, join(visitor["visitor_token"]))
    assert [f["type"] for f in ws.frames()[3:]] == ["welcome", "error"]
    assert ws.frames()[-1]["code"] == "already_joined"


async def test_a_join_and_the_frames_after_it_are_handled_in_order(world: World) -> None:
    """The runtime delivers the next message while a join waits on D1: it must still wait."""
    visitor = await world.visitor()
    conversation = visitor["conversation_id"]
    room = world.room(conversation)
    ws = FakeWebSocket()
    room.accept(ws, conversation, None)
    await asyncio.gather(
        room.message(ws, join(visitor["visitor_token"])),
        room.message(ws, send("c1", "right after the join")),
    )
    assert [f["type"] for f in ws.frames()][:3] == ["welcome", "ack", "message"]


async def test_a_woken_object_keeps_its_sockets_and_agents_join_in(world: World) -> None:
    visitor = await world.visitor()
    agent = await world.agent()
    conversation = visitor["conversation_id"]
    visitor_ws = await world.connect(conversation, visitor["visitor_token"])
    await world.room(conversation).message(visitor_ws, json.dumps({"type": "handoff.request"}))
    agent_ws = await world.connect(conversation, agent["token"], last_seq=0)
    assert [e["name"] for e in of_type(agent_ws, "event")] == ["handoff.requested"]

    room = world.wake(conversation)  # hibernated between two messages
    await room.message(agent_ws, send("a1", "Hi, I'm Dana."))
    names = [f.get("name", f["type"]) for f in visitor_ws.frames() if f["type"] != "ack"]
    assert names == ["welcome", "handoff.requested", "agent.joined", "message"]
    assert of_type(agent_ws, "message")[-1]["author"]["role"] == "agent"


async def test_the_inbox_socket_sees_only_its_sites_and_answers_ping(world: World) -> None:
    agent = await world.agent()
    hub = world.hub()
    ws = FakeWebSocket()
    hub.accept(ws, "demo")
    await hub.message(ws, json.dumps({"type": "ping"}))
    await hub.message(ws, join(agent["token"]))
    await hub.message(ws, json.dumps({"type": "ping"}))
    await hub.message(ws, join(agent["token"]))
    await hub.message(ws, send("c1", "hello?"))
    assert [f.get("code", f["type"]) for f in ws.frames()] == [
        "not_joined",
        "presence",  # the site's, once joined
        "pong",
        "already_joined",
        "invalid",
    ]
    summary = {
        "id": "c-other",
        "site_id": "other-site",
        "status": "open",
        "visitor": {"id": "v", "role": "visitor", "name": "V"},
        "last_seq": 1,
        "last_text": "hi",
        "last_author_role": "visitor",
        "updated_at": 5,
    }
    await hub.publish(json.dumps(summary))
    assert of_type(ws, "inbox.update") == []
    await hub.publish(json.dumps({**summary, "site_id": "demo"}))
    assert of_type(ws, "inbox.update")[0]["conversation"]["site_id"] == "demo"

    refused = FakeWebSocket()
    hub.accept(refused, "demo")
    await hub.message(refused, join("not-a-token"))
    assert refused.close_code == 4401


async def test_the_inbox_closes_silent_sockets(world: World) -> None:
    agent = await world.agent()
    ctx = FakeDurableObjectState()
    hub = InboxObject(ctx, world.env, clock=world.clock, idle_timeout_ms=90_000)
    quiet, chatty = FakeWebSocket(), FakeWebSocket()
    for ws in (quiet, chatty):
        hub.accept(ws, "demo")
        await hub.message(ws, join(agent["token"]))
    world.clock.now += 60_000
    await hub.message(chatty, json.dumps({"type": "ping"}))
    world.clock.now = ctx.storage.take_alarm()
    await hub.alarm()
    assert (quiet.close_code, chatty.close_code) == (4408, None)
    assert ctx.storage.alarm == world.clock.now + 60_000


async def test_a_session_token_for_another_site_cannot_join(world: World) -> None:
    visitor = await world.visitor()
    db = D1Database(world.env.DB)
    outsider = await agents.create_agent(
        db, email="o@x.example", name="Out", password="outsider-pw"
    )
    token = await agent_sessions.create_agent_session(db, outsider.id)
    ws = FakeWebSocket()
    world.room(visitor["conversation_id"]).accept(ws, visitor["conversation_id"], None)
    await world.room(visitor["conversation_id"]).message(ws, join(token))
    assert (ws.frames()[-1]["code"], ws.close_code) == ("unauthorized", 4401)


# ---------------------------------------------------------------- per-site inbox hubs


async def test_each_site_has_its_hub_and_an_agent_hears_only_its_sites(world: World) -> None:
    db = D1Database(world.env.DB)
    await sites.create_site(db, name="Other shop", site_id="other")
    other_agent = await agents.create_agent(
        db, email="b@other.example", name="Bo", password="other-agent-pw"
    )
    await agents.add_agent_to_site(db, "other", other_agent.id)
    other_token = await agent_sessions.create_agent_session(db, other_agent.id)
    demo_agent = await world.agent()

    demo_inbox = await world.inbox(demo_agent["token"], "demo")
    other_inbox = await world.inbox(other_token, "other")
    trespasser = await world.inbox(other_token, "demo")  # not an agent of demo
    assert (trespasser.frames()[-1]["code"], trespasser.close_code) == ("unauthorized", 4401)

    for site_id in ("demo", "other"):
        visitor = await world.visitor(site_id=site_id)
        ws = await world.connect(visitor["conversation_id"], visitor["visitor_token"])
        await world.room(visitor["conversation_id"]).message(ws, send("c1", f"hi from {site_id}"))
        await world.alarm(visitor["conversation_id"])  # publishes to the site's hub only

    heard = {
        name: {u["conversation"]["site_id"] for u in of_type(ws, "inbox.update")}
        for name, ws in (("demo", demo_inbox), ("other", other_inbox))
    }
    assert heard == {"demo": {"demo"}, "other": {"other"}}
    assert set(world.env.INBOX.objects) == {"site:demo", "site:other"}


async def test_the_visitor_session_says_whether_the_sites_agents_are_online(
    world: World,
) -> None:
    """The Worker's app asks the site's hub object (an RPC) when it answers a visitor."""
    agent = await world.agent()
    assert (await world.visitor())["config"]["agents_online"] is False
    ws = await world.inbox(agent["token"])
    assert (await world.visitor())["config"]["agents_online"] is False  # away until said
    await world.hub().message(ws, json.dumps({"type": "presence.set", "status": "online"}))
    assert (await world.visitor())["config"]["agents_online"] is True
    ws.close(1001, "")
    await world.hub().closed(ws)
    assert (await world.visitor())["config"]["agents_online"] is False


async def test_an_agent_of_many_sites_keeps_a_small_attachment(world: World) -> None:
    db = D1Database(world.env.DB)
    agent = await agents.create_agent(db, email="m@many.example", name="M", password="many-pw-1")
    for n in range(200):
        site_id = f"site-{n:03d}-" + "x" * 40  # long ids: 200 of them exceed 2 KiB together
        await sites.create_site(db, name=site_id, site_id=site_id)
        await agents.add_agent_to_site(db, site_id, agent.id)
    token = await agent_sessions.create_agent_session(db, agent.id)
    ws = await world.inbox(token, site_id)
    await world.hub(site_id).message(ws, json.dumps({"type": "ping"}))
    assert [f["type"] for f in ws.frames()] == ["presence", "pong"]
    assert len(str(ws.deserializeAttachment()).encode()) < 256


# ---------------------------------------------------------------- send limits across rooms


async def test_the_limiter_object_takes_gives_back_and_refills(world: World) -> None:
    """Through the binding, as a conversation object calls it: 3 at once, then 2 a second."""
    bucket = world.env.LIMITER.getByName("ip:203.0.113.9")
    assert [await bucket.take(3, 2.0) for _ in range(4)] == [0, 0, 0, 500]
    world.clock.now += 200
    assert await bucket.take(3, 2.0) == 300  # refusals take nothing
    await bucket.give_back(3, 2.0)
    assert await bucket.take(3, 2.0) == 0
    world.clock.now += 60_000
    assert [await bucket.take(3, 2.0) for _ in range(4)] == [0, 0, 0, 500]  # full, not more


async def test_a_visitor_over_the_limit_gets_rate_limited_and_keeps_the_socket(
    world: World,
) -> None:
    world.send_limits = SendLimits(per_visitor=Rate(3, 1.0), per_ip=Rate(100, 100.0))
    visitor = await world.visitor()
    conversation = visitor["conversation_id"]
    room = world.room(conversation)
    ws = await world.connect(conversation, visitor["visitor_token"])
    for n in range(1, 5):
        await room.message(ws, send(f"c{n}", f"message {n}"))
    refusal = of_type(ws, "error")
    assert [(e["code"], e["client_id"]) for e in refusal] == [("rate_limited", "c4")]
    assert "retry in 1.0s" in refusal[0]["message"]
    assert ws.close_code is None
    await room.message(ws, send("c1", "message 1"))  # a resend of a stored message is free
    assert [a["client_id"] for a in of_type(ws, "ack")] == ["c1", "c2", "c3", "c1"]

    world.clock.now += 1000
    await room.message(ws, send("c4", "message 4"))
    assert of_type(ws, "ack")[-1]["client_id"] == "c4"

    agent = await world.agent()
    agent_ws = await world.connect(conversation, agent["token"])
    for n in range(5):  # staff are not charged
        await room.message(agent_ws, send(f"a{n}", "on it"))
    assert len(of_type(agent_ws, "ack")) == 5 and of_type(agent_ws, "error") == []


async def test_an_address_is_charged_across_conversations(world: World) -> None:
    world.send_limits = SendLimits(per_visitor=Rate(3, 1.0), per_ip=Rate(4, 1.0))
    first, second = await world.visitor(), await world.visitor()
    sockets = []
    for visitor in (first, second):
        sockets.append(await world.connect(visitor["conversation_id"], visitor["visitor_token"]))
    for n in range(3):
        await world.room(first["conversation_id"]).message(sockets[0], send(f"c{n}", "hi"))
    second_room = world.room(second["conversation_id"])
    await second_room.message(sockets[1], send("d1", "hi"))
    await second_room.message(sockets[1], send("d2", "hi"))  # the address's fifth
    assert [e["client_id"] for e in of_type(sockets[1], "error")] == ["d2"]
    # The refused send took nothing from the visitor's own bucket: two tokens are left.
    own = world.env.LIMITER.getByName(f"visitor:{second['visitor_id']}")
    assert [await own.take(3, 1.0) for _ in range(3)] == [0, 0, 1000]

    elsewhere = await world.visitor()
    ws = await world.connect(elsewhere["conversation_id"], elsewhere["visitor_token"], ip="::1")
    await world.room(elsewhere["conversation_id"]).message(ws, send("e1", "hi"))
    assert of_type(ws, "ack")[0]["client_id"] == "e1"


class UnreachableLimiter:
    """A limiter object the runtime cannot reach (overloaded, or reset by a deploy)."""

    async def take(self, burst: int, per_second: float, strict: bool = False) -> int:
        raise FakeJsException("Durable Object is overloaded. Too many requests queued.")


async def test_an_unreachable_limiter_fails_open_with_a_warning(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.env.LIMITER = FakeNamespace(lambda name: UnreachableLimiter())
    world.send_limits = SendLimits(per_visitor=Rate(1, 0.001), per_ip=Rate(1, 0.001))
    visitor = await world.visitor()
    conversation = visitor["conversation_id"]
    ws = await world.connect(conversation, visitor["visitor_token"])
    for n in range(3):
        await world.room(conversation).message(ws, send(f"c{n}", "hello"))
    assert len(of_type(ws, "ack")) == 3 and of_type(ws, "error") == []
    assert "rate limiter visitor:" in caplog.text and "admitting the message" in caplog.text


# ---------------------------------------------------------------- origins, access, erasure


async def _member(world: World, site_id: str, email: str, role: agents.SiteRole) -> tuple[str, str]:
    """An agent of the site with `role`: its id and a session token."""
    db = D1Database(world.env.DB)
    agent = await agents.create_agent(db, email=email, name=email, password="member password")
    await agents.add_agent_to_site(db, site_id, agent.id, role)
    return agent.id, await agent_sessions.create_agent_session(db, agent.id)


def test_the_worker_checks_the_page_origin_not_its_own() -> None:
    own = http_origin("https://helpway.example/ws/conversations/abc")
    assert own == "https://helpway.example"
    assert page_origin("https://helpway.example", own) is None  # the widget frame
    assert page_origin(None, own) is None
    assert page_origin("https://evil.example", own) == "https://evil.example"


async def test_a_visitor_upgrade_from_a_foreign_origin_is_refused(world: World) -> None:
    db = D1Database(world.env.DB)
    await sites.create_site(
        db, name="Shop", site_id="shop", allowed_origins=["https://shop.example"]
    )
    started = await world.http.post(
        "/api/visitor/session", json={"site_id": "shop"}, headers={"origin": "https://shop.example"}
    )
    visitor = started.json()
    cid, token = visitor["conversation_id"], visitor["visitor_token"]
    room = world.room(cid)
    for origin, welcome in [
        ("https://evil.example", False),
        ("https://shop.example", True),
        (None, True),  # no Origin, or the edge's own (the frame): `page_origin` gives None
    ]:
        ws = FakeWebSocket()
        room.accept(ws, cid, "198.51.100.7", origin)
        await room.message(ws, join(token))
        if welcome:
            assert ws.frames()[0]["type"] == "welcome", origin
        else:
            assert (ws.frames()[-1]["code"], ws.close_code) == ("unauthorized", 4401)
            assert "origin" in ws.frames()[-1]["message"]
    # The attachment keeps the origin across hibernation: a woken object still refuses it.
    late = FakeWebSocket()
    world.room(cid).accept(late, cid, None, "https://evil.example")
    await world.wake(cid).message(late, join(token))
    assert late.close_code == 4401


async def test_export_and_erase_reach_the_conversation_object(world: World) -> None:
    _, token = await _member(world, "demo", "admin@demo.example", "admin")
    bearer = {"authorization": f"Bearer {token}"}
    visitor = await world.visitor()
    cid = visitor["conversation_id"]
    ws = await world.connect(cid, visitor["visitor_token"])
    await world.room(cid).message(ws, send("c1", "my passport is X123"))
    ctx, _ = world.rooms[cid]
    assert ctx.storage.alarm is not None  # the outbox has not reached D1: no alarm ran yet
    path = f"/api/sites/demo/visitors/{visitor['visitor_id']}"

    exported = (await world.http.get(path + "/export", headers=bearer)).json()
    [conversation] = exported["conversations"]
    assert conversation["entries"] == []  # nothing in D1 yet...
    texts = [e.get("text") for e in conversation["room_entries"]]
    assert "my passport is X123" in texts  # ...but the room's own log is exported

    erased = await world.http.delete(path, headers=bearer)
    assert erased.status_code == 200 and erased.json()["conversation_ids"] == [cid]
    assert (ws.frames()[-1]["code"], ws.close_code) == ("not_found", 4401)
    tables = ctx.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table'").toArray()
    assert tables == [] and ctx.storage.alarm is None


async def test_removing_a_member_closes_their_sockets_on_the_objects(world: World) -> None:
    _, owner = await _member(world, "demo", "owner@demo.example", "owner")
    dana_id, dana = await _member(world, "demo", "dana@demo.example", "agent")
    visitor = await world.visitor()
    cid = visitor["conversation_id"]
    await world.connect(cid, visitor["visitor_token"])
    in_room = await world.connect(cid, dana)
    in_inbox = await world.inbox(dana)
    removed = await world.http.delete(
        f"/api/sites/demo/agents/{dana_id}", headers={"authorization": f"Bearer {owner}"}
    )
    assert removed.status_code == 204, removed.text
    for ws in (in_room, in_inbox):
        assert (ws.frames()[-1]["code"], ws.close_code) == ("unauthorized", 4401)


async def test_deleting_a_site_erases_its_rooms_and_vectors(world: World) -> None:
    _, owner = await _member(world, "demo", "founder@demo.example", "agent")
    bearer = {"authorization": f"Bearer {owner}"}
    made = await world.http.post("/api/sites", json={"id": "doomed", "name": "D"}, headers=bearer)
    assert made.status_code == 200 and made.json()["role"] == "owner"
    doc = {"site_id": "doomed", "url": "/help/a", "content": "# A\n\nAbout the doomed shop."}
    assert (await world.http.post("/api/kb/documents", json=doc, headers=bearer)).status_code == 200
    vectors = world.env.VECTORIZE._vectors
    assert any(v.namespace == "doomed" for v in vectors.values())
    visitor = await world.visitor(site_id="doomed")
    cid = visitor["conversation_id"]
    ws = await world.connect(cid, visitor["visitor_token"])
    await world.room(cid).message(ws, send("c1", "hello"))

    demo_admin = await world.agent()  # an agent of demo only
    refused = await world.http.delete(
        "/api/sites/doomed", headers={"authorization": f"Bearer {demo_admin['token']}"}
    )
    assert refused.status_code == 403
    deleted = await world.http.delete("/api/sites/doomed", headers=bearer)
    assert deleted.json() == {
        "site_id": "doomed",
        "conversations": 1,
        "visitors": 1,
        "kb_documents": 1,
    }
    assert ws.close_code == 4401
    ctx, _ = world.rooms[cid]
    assert ctx.storage.sql.exec("SELECT name FROM sqlite_master").toArray() == []
    assert not any(v.namespace == "doomed" for v in vectors.values())


# ---------------------------------------------------------------- agents' actions on the object


async def _taken_over(
    world: World,
) -> tuple[dict[str, Any], FakeWebSocket, dict[str, Any], FakeWebSocket, FakeWebSocket]:
    """Where an agent's action on the object starts: the demo agent, her inbox socket open,
    took over a conversation and the visitor wrote in it ("Hello?"). Returns (her login, her
    inbox socket, the visitor session, the visitor's socket, her socket)."""
    dana = await world.agent()
    hub = await world.inbox(dana["token"])
    visitor = await world.visitor()
    conversation = visitor["conversation_id"]
    room = world.room(conversation)
    v = await world.connect(conversation, visitor["visitor_token"])
    d = await world.connect(conversation, dana["token"])
    await room.message(d, json.dumps({"type": "takeover"}))
    await room.message(v, send("v1", "Hello?"))
    return dana, hub, visitor, v, d


async def test_agents_actions_on_the_object_reach_d1_and_never_a_visitor(world: World) -> None:
    db = D1Database(world.env.DB)
    bob = await agents.create_agent(db, email="bob@demo.example", name="Bob", password="bob-pw-12")
    await agents.add_agent_to_site(db, "demo", bob.id)
    stranger = await agents.create_agent(
        db, email="eve@other.example", name="Eve", password="eve-pw-12"
    )
    dana, hub, visitor, v, d = await _taken_over(world)
    conversation = visitor["conversation_id"]
    room = world.room(conversation)
    await room.message(d, json.dumps({"type": "note.send", "client_id": "n1", "text": "VIP"}))
    await room.message(d, json.dumps({"type": "assign", "agent_id": stranger.id}))
    await room.message(d, json.dumps({"type": "assign", "agent_id": bob.id}))
    await room.message(v, json.dumps({"type": "assign", "agent_id": None}))
    await room.message(d, json.dumps({"type": "close"}))
    assert [e["code"] for e in of_type(d, "error")] == ["not_found"]  # another site's agent
    # The console's "Assign to…" list over D1: the site's agents by name, never another site's.
    team = await world.http.get(
        "/api/sites/demo/team", headers={"authorization": f"Bearer {dana['token']}"}
    )
    named = [(a["id"], a["name"]) for a in team.json()["agents"]]
    assert (bob.id, "Bob") in named and dana["agent"]["id"] in dict(named)
    assert stranger.id not in dict(named) and "bob@demo.example" not in team.text
    assert [e["code"] for e in of_type(v, "error")] == ["forbidden"]
    assert [n["text"] for n in of_type(d, "note")] == ["VIP"]
    assert [e["name"] for e in of_type(v, "event")] == ["agent.joined", "closed"]
    assert of_type(v, "note") == []
    await world.alarm(conversation)
    row = of_type(hub, "inbox.update")[-1]["conversation"]
    assert (row["assignee"]["id"], row["assignee"]["name"], row["status"]) == (
        bob.id,
        "Bob",
        "closed",
    )
    # The REST history and a visitor's catch-up after a wake-up skip the agents-only entries.
    history = await world.http.get(
        f"/api/conversations/{conversation}/history",
        headers={"authorization": f"Bearer {visitor['visitor_token']}"},
    )
    assert [e["type"] for e in history.json()["entries"]] == ["event", "message", "event"]
    world.wake(conversation)
    again = await world.connect(conversation, visitor["visitor_token"])
    assert [f["type"] for f in again.frames()[1:]] == ["event", "message", "event"]
    agent_view = await world.connect(conversation, dana["token"])
    assert [f["type"] for f in agent_view.frames()[1:]] == [
        "event",
        "message",
        "note",
        "event",
        "event",
    ]
    token = await agent_sessions.create_agent_session(db, bob.id)
    mine = await world.http.get(
        "/api/inbox", params={"filter": "closed"}, headers={"authorization": f"Bearer {token}"}
    )
    assert [r["id"] for r in mine.json()["conversations"]] == [conversation]


async def test_a_rating_on_the_object_reaches_d1_the_inbox_and_the_export(world: World) -> None:
    _, admin = await _member(world, "demo", "csat-admin@demo.example", "admin")
    dana, hub, visitor, v, d = await _taken_over(world)
    cid = visitor["conversation_id"]
    room = world.room(cid)
    await room.message(d, json.dumps({"type": "close"}))
    rate = {"type": "rating.send", "client_id": "r1", "score": 5, "comment": "Great <b>help</b>"}
    await room.message(v, json.dumps({**rate, "score": 0}))
    await room.message(v, json.dumps({**rate, "comment": "\u001b[2J\u0007 a\u0000"}))
    await room.message(v, json.dumps(rate))
    await room.message(v, json.dumps({**rate, "client_id": "r2", "score": 1}))
    assert [(e["code"], e["client_id"]) for e in of_type(v, "error")] == [
        ("invalid", "r1"),
        ("invalid", "r1"),
        ("conflict", "r2"),
    ]
    assert "control characters" in of_type(v, "error")[1]["message"]
    [rated] = [e for e in of_type(d, "event") if e["name"] == "rated"]
    assert rated["rating"] == {"score": 5, "comment": "Great <b>help</b>"}
    assert of_type(v, "ack")[-1]["seq"] == rated["seq"]

    await world.alarm(cid)  # the outbox drains to D1, then to the site's hub
    row = of_type(hub, "inbox.update")[-1]["conversation"]
    assert (row["id"], row["rating"], row["status"]) == (cid, 5, "closed")
    bearer = {"authorization": f"Bearer {dana['token']}"}
    history = await world.http.get(f"/api/conversations/{cid}/history", headers=bearer)
    assert history.json()["entries"][-1] == rated
    listed = await world.http.get("/api/inbox", params={"filter": "closed"}, headers=bearer)
    assert [r["rating"] for r in listed.json()["conversations"] if r["id"] == cid] == [5]
    # A woken object still knows the rating: the same one is acked again, another refused.
    world.wake(cid)
    again = await world.connect(cid, visitor["visitor_token"])
    await world.room(cid).message(again, json.dumps(rate))
    await world.room(cid).message(again, json.dumps({**rate, "client_id": "r3"}))
    assert [a["seq"] for a in of_type(again, "ack")] == [rated["seq"]]
    assert [e["code"] for e in of_type(again, "error")] == ["conflict"]

    # The visitor's data: exported with the rating, then erased with it.
    path = f"/api/sites/demo/visitors/{visitor['visitor_id']}"
    admin_bearer = {"authorization": f"Bearer {admin}"}
    exported = (await world.http.get(path + "/export", headers=admin_bearer)).json()
    [conversation] = exported["conversations"]
    assert conversation["rating"] == 5
    [entry] = [e for e in conversation["entries"] if e.get("event_name") == "rated"]
    assert (entry["rating"], entry["rating_comment"]) == (5, "Great <b>help</b>")
    erased = await world.http.delete(path, headers=admin_bearer)
    assert erased.status_code == 200
    db = D1Database(world.env.DB)
    assert await db.all("SELECT 1 FROM messages WHERE rating IS NOT NULL") == []
    assert await db.all("SELECT 1 FROM conversations WHERE id = ?", (cid,)) == []
    ctx, _ = world.rooms[cid]  # the room's own log, the rating in it, is gone too
    assert (
        ctx.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table'").toArray() == []
    )


async def test_a_text_with_a_control_character_is_refused_on_the_object_too(
    world: World,
) -> None:
    """The same text policy as the local room (`wire.TEXT`): refused with `invalid` naming the
    send, the socket stays, what was acked stays."""
    visitor = await world.visitor()
    conversation = visitor["conversation_id"]
    room = world.room(conversation)
    ws = await world.connect(conversation, visitor["visitor_token"])
    await room.message(ws, send("kept", "first"))
    await room.message(ws, send("nul", "a\x00b"))
    await room.message(ws, send("after", "still here"))
    refusal = of_type(ws, "error")
    assert [(e["code"], e["client_id"]) for e in refusal] == [("invalid", "nul")]
    assert "control characters" in refusal[0]["message"]
    assert ws.close_code is None
    assert [a["client_id"] for a in of_type(ws, "ack")] == ["kept", "after"]
