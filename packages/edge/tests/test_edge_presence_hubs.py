"""Presence through both inbox hubs — the local `InboxHub` and the Worker's per-site hub object
(over the binding doubles) — by one set of tests: consoles join, say online or away, beat,
close or die; every console of the site is told the site's presence when it changes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from helpway.edge.cloudflare.inbox_object import InboxObject
from helpway.edge.inbox_hub import InboxHub, Subscription
from helpway.rooms.cloudflare.testing import FakeDurableObjectState, FakeWebSocket
from helpway.shared import frames, limits
from helpway.store import agent_sessions, agents, sites
from helpway.store.cloudflare.d1 import D1Database

from .conftest import WorkerClock, worker_env

TTL = 90_000
SITE = "demo"
PEOPLE = {"dana": "Dana", "eli": "Eli"}


class LocalHubs:
    """The local hub, its consoles as subscriptions collecting what they are sent."""

    def __init__(self) -> None:
        self.clock = WorkerClock()
        self.hub = InboxHub(clock=self.clock, ttl_ms=TTL)
        self.ids = {key: f"agent-{key}" for key in PEOPLE}
        self._got: dict[Subscription, list[dict[str, Any]]] = {}

    async def console(self, who: str) -> Subscription:
        got: list[dict[str, Any]] = []

        async def send(frame: frames.InboxUpdate | frames.SitePresence) -> None:
            got.append(json.loads(frame.model_dump_json()))

        subscription = await self.hub.subscribe(
            [SITE], send, agent_id=self.ids[who], name=PEOPLE[who]
        )
        self._got[subscription] = got
        return subscription

    async def say(self, console: Subscription, frame: dict[str, Any]) -> None:
        status = frame.get("status") if frame["type"] == "presence.set" else None
        await self.hub.heard(console, status)

    async def close(self, console: Subscription) -> None:
        await self.hub.unsubscribe(console)

    async def remove(self, who: str) -> None:
        await self.hub.disconnect(SITE, self.ids[who])

    async def tick(self) -> None:
        """Locally the inbox socket's channel cuts a silent socket (see the socket tests);
        the hub itself only stops counting it."""

    async def anyone_online(self) -> bool:
        return await self.hub.anyone_online(SITE)

    def received(self, console: Subscription) -> list[dict[str, Any]]:
        return [f for f in self._got[console] if f["type"] == "presence"]


class CloudflareHubs:
    """The site's hub object over a seeded D1, its consoles as hibernatable sockets."""

    def __init__(self, env: Any, clock: WorkerClock, ids: dict[str, str], tokens: dict[str, str]):
        self.clock = clock
        self.ctx = FakeDurableObjectState()
        self.env = env
        self.hub = InboxObject(self.ctx, env, clock=clock, idle_timeout_ms=TTL)
        self.ids = ids
        self._tokens = tokens

    async def console(self, who: str) -> FakeWebSocket:
        ws = FakeWebSocket()
        self.hub.accept(ws, SITE)
        join = {"type": "join", "v": limits.PROTOCOL_VERSION, "token": self._tokens[who]}
        await self.hub.message(ws, json.dumps(join))
        return ws

    async def say(self, console: FakeWebSocket, frame: dict[str, Any]) -> None:
        await self.hub.message(console, json.dumps(frame))

    async def close(self, console: FakeWebSocket) -> None:
        console.close(1001, "")  # the runtime then reports the close
        await self.hub.closed(console)

    async def remove(self, who: str) -> None:
        await self.hub.disconnect(self.ids[who])

    async def tick(self) -> None:
        """The alarm due by the clock, as the runtime fires it, on a woken object (no memory
        but the sockets' attachments)."""
        alarm = self.ctx.storage.alarm
        if alarm is not None and alarm <= self.clock.now:
            self.ctx.storage.take_alarm()
            self.hub = InboxObject(self.ctx, self.env, clock=self.clock, idle_timeout_ms=TTL)
            await self.hub.alarm()

    async def anyone_online(self) -> bool:
        return await self.hub.anyone_online()

    def received(self, console: FakeWebSocket) -> list[dict[str, Any]]:
        return [f for f in console.frames() if f["type"] == "presence"]


@pytest.fixture(params=["local", "cloudflare"])
async def hubs(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    if request.param == "local":
        yield LocalHubs()
        return
    clock = WorkerClock()
    env = await worker_env(tmp_path, clock)
    db = D1Database(env.DB)
    ids, tokens = {}, {}
    for key, name in PEOPLE.items():
        agent = await agents.create_agent(
            db, email=f"{key}@presence.example", name=name, password=f"{key}-password"
        )
        await agents.add_agent_to_site(db, SITE, agent.id)
        ids[key] = agent.id
        tokens[key] = await agent_sessions.create_agent_session(db, agent.id)
    assert await sites.get_site(db, SITE) is not None
    yield CloudflareHubs(env, clock, ids, tokens)
    env.DB.close()


def listed(hubs: Any, frame: dict[str, Any]) -> dict[str, str]:
    assert frame["site_id"] == SITE
    names = {v: k for k, v in hubs.ids.items()}
    return {names[a["id"]]: a["status"] for a in frame["agents"] if a["id"] in names}


def last(hubs: Any, console: Any) -> dict[str, str]:
    return listed(hubs, hubs.received(console)[-1])


async def test_one_agent_two_tabs_online_while_either_says_so(hubs: Any) -> None:
    tab1 = await hubs.console("dana")
    assert last(hubs, tab1) == {"dana": "away"}  # away until the console says otherwise
    await hubs.say(tab1, {"type": "presence.set", "status": "online"})
    tab2 = await hubs.console("dana")
    assert last(hubs, tab2) == {"dana": "online"}  # a newcomer's first look
    await hubs.say(tab2, {"type": "presence.set", "status": "online"})
    assert await hubs.anyone_online()
    pushed = len(hubs.received(tab2))
    await hubs.close(tab1)
    assert await hubs.anyone_online()
    assert len(hubs.received(tab2)) == pushed  # nothing changed for the site: nothing sent
    await hubs.say(tab2, {"type": "presence.set", "status": "away"})
    assert last(hubs, tab2) == {"dana": "away"} and not await hubs.anyone_online()
    await hubs.say(tab2, {"type": "presence.set", "status": "online"})
    await hubs.close(tab2)
    assert not await hubs.anyone_online()


async def test_every_console_of_the_site_sees_the_others_change(hubs: Any) -> None:
    dana, eli = await hubs.console("dana"), await hubs.console("eli")
    await hubs.say(dana, {"type": "presence.set", "status": "online"})
    assert last(hubs, eli) == {"dana": "online", "eli": "away"}
    await hubs.say(eli, {"type": "presence.set", "status": "online"})
    await hubs.close(dana)
    assert last(hubs, eli) == {"eli": "online"}
    before = len(hubs.received(eli))
    await hubs.say(eli, {"type": "ping"})  # a heartbeat is no change
    assert len(hubs.received(eli)) == before


async def test_a_console_that_dies_silently_stops_counting_within_the_ttl(hubs: Any) -> None:
    dead, alive = await hubs.console("dana"), await hubs.console("eli")
    await hubs.say(dead, {"type": "presence.set", "status": "online"})
    await hubs.say(alive, {"type": "presence.set", "status": "away"})
    assert await hubs.anyone_online()
    hubs.clock.now += TTL // 2
    await hubs.say(alive, {"type": "ping"})
    hubs.clock.now += TTL // 2  # the dead tab's last word is TTL old: no close came
    assert not await hubs.anyone_online()
    await hubs.tick()
    hubs.clock.now += 1
    await hubs.say(alive, {"type": "ping"})
    assert last(hubs, alive) == {"eli": "away"}


async def test_an_agent_removed_from_the_site_leaves_its_presence(hubs: Any) -> None:
    dana, eli = await hubs.console("dana"), await hubs.console("eli")
    await hubs.say(dana, {"type": "presence.set", "status": "online"})
    await hubs.remove("dana")
    assert last(hubs, eli) == {"eli": "away"}
    assert not await hubs.anyone_online()


async def test_consoles_of_a_site_closing_at_once_leave_the_hub_consistent() -> None:
    """Two unsubscribes interleaved at the presence fan-out: the first waits on a slow console
    while the second, its last one, leaves and drops the site. The first then went on to drop
    it again (`KeyError: 'demo'`, and the rest of its loop skipped)."""
    hub = InboxHub(ttl_ms=TTL)
    entered, release = asyncio.Event(), asyncio.Event()

    async def slow(frame: frames.InboxUpdate | frames.SitePresence) -> None:
        if release.is_set():
            return
        entered.set()
        await release.wait()

    async def fast(frame: frames.InboxUpdate | frames.SitePresence) -> None:
        return None

    slow_console = await hub.subscribe([SITE], fast, agent_id="agent-dana", name="Dana")
    leaving = await hub.subscribe([SITE], fast, agent_id="agent-eli", name="Eli")
    slow_console.send = slow  # from here on, this console's peer reads slowly
    first = asyncio.create_task(hub.unsubscribe(leaving))
    await entered.wait()  # the first unsubscribe is fanning Eli's leaving out to Dana
    await hub.unsubscribe(slow_console)  # Dana's console closes too: the site is empty
    release.set()
    await first  # raised KeyError before the fix
    assert hub.subscribers(SITE) == 0 and not await hub.anyone_online(SITE)
    got: list[dict[str, Any]] = []

    async def record(frame: frames.InboxUpdate | frames.SitePresence) -> None:
        got.append(json.loads(frame.model_dump_json()))

    await hub.subscribe([SITE], record, agent_id="agent-eli", name="Eli")
    assert [[a["name"] for a in f["agents"]] for f in got] == [["Eli"]]
