"""The per-site inbox hub: agents' inbox sockets subscribe, conversation changes fan out.

In process and in memory, the local twin of a per-site hub object on Cloudflare. Pushing is
best effort: the inbox is a view of D1, which the console reloads (`GET /api/inbox`) whenever its
socket reconnects, so a subscriber that fails is dropped rather than retried.

It also keeps each site's presence (`presence`): every subscription of an agent is one of their
consoles; its `presence.set` and heartbeats go to `heard`, and every subscriber of the site gets
the site's `presence` list whenever it changes. A socket that goes silent is closed by its
channel after the idle timeout, the presence TTL, which ends its subscription; presence computed
at any moment already leaves out a socket heard from longer ago than that.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Iterable

from helpway.shared import frames, limits

from .presence import AgentPresence, Presence, Status

log = logging.getLogger("helpway.edge.inbox")

Send = Callable[[frames.InboxUpdate | frames.SitePresence], Awaitable[None]]
Close = Callable[[], Awaitable[None]]
_ids = itertools.count()


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def presence_frame(site_id: str, present: list[AgentPresence]) -> frames.SitePresence:
    agents = [
        frames.PresentAgent(id=p.agent_id, name=p.name[: limits.MAX_NAME_CHARS], status=p.status)
        for p in present[: limits.MAX_PRESENT_AGENTS]
    ]
    return frames.SitePresence(type="presence", site_id=site_id, agents=agents)


class Subscription:
    def __init__(
        self,
        site_ids: frozenset[str],
        send: Send,
        agent_id: str | None,
        name: str,
        close: Close | None,
    ) -> None:
        self.id = f"s{next(_ids)}"
        self.site_ids = site_ids
        self.send = send
        self.agent_id = agent_id
        self.name = name
        self.close = close


class InboxHub:
    def __init__(self, *, clock: Callable[[], int] = now_ms, ttl_ms: int = 0) -> None:
        """`ttl_ms`: how long a console counts without being heard from, the inbox socket's
        idle timeout (`limits.IDLE_TIMEOUT_S` unless the runtime sets a shorter one)."""
        self._by_site: dict[str, set[Subscription]] = {}
        self._clock = clock
        self._ttl_ms = ttl_ms or limits.IDLE_TIMEOUT_S * 1000
        self._presence: dict[str, Presence] = {}

    async def subscribe(
        self,
        site_ids: Iterable[str],
        send: Send,
        *,
        agent_id: str | None = None,
        name: str = "",
        close: Close | None = None,
    ) -> Subscription:
        """`close` ends the subscriber's socket when `disconnect` removes `agent_id`. An
        agent's subscription is one of their consoles: it joins each site's presence (away
        until its `presence.set`) and is sent each site's presence list."""
        subscription = Subscription(frozenset(site_ids), send, agent_id, name, close)
        now = self._clock()
        for site_id in subscription.site_ids:
            self._by_site.setdefault(site_id, set()).add(subscription)
            if agent_id is not None:
                self._site_presence(site_id).join(subscription.id, agent_id, name, now)
        await self._push_presence(subscription.site_ids, newcomer=subscription)
        return subscription

    async def unsubscribe(self, subscription: Subscription) -> None:
        self._forget(subscription)
        await self._push_presence(subscription.site_ids)

    async def heard(self, subscription: Subscription, status: Status | None = None) -> None:
        """A frame arrived from the subscriber (`status` if it was a `presence.set`)."""
        now = self._clock()
        for site_id in subscription.site_ids:
            site = self._site_presence(site_id)
            if status is None:
                site.heard(subscription.id, now)
            else:
                site.set(subscription.id, status, now)
        await self._push_presence(subscription.site_ids)

    async def anyone_online(self, site_id: str) -> bool:
        """Whether an agent of the site is available now (the widget's "we usually reply")."""
        site = self._presence.get(site_id)
        return site is not None and site.anyone_online(self._clock())

    def _site_presence(self, site_id: str) -> Presence:
        if site_id not in self._presence:
            self._presence[site_id] = Presence(self._ttl_ms, published=[])
        return self._presence[site_id]

    def _forget(self, subscription: Subscription) -> None:
        for site_id in subscription.site_ids:
            subscribers = self._by_site.get(site_id)
            if subscribers is None:
                continue
            subscribers.discard(subscription)
            site = self._presence.get(site_id)
            if site is not None:
                site.leave(subscription.id)
            if not subscribers:
                del self._by_site[site_id]

    async def _push_presence(
        self, site_ids: Iterable[str], newcomer: Subscription | None = None
    ) -> None:
        """Send each site's presence where it changed to all its subscribers, and to a
        `newcomer` in any case (its first look)."""
        now = self._clock()
        for site_id in site_ids:
            site = self._presence.get(site_id)
            if site is None:
                continue
            changed = site.update(now)
            if changed is not None or newcomer is not None:
                frame = presence_frame(site_id, site.agents(now))
                if changed is not None:
                    targets = list(self._by_site.get(site_id, ()))
                else:
                    targets = [newcomer] if newcomer is not None else []
                await self._fan_out(targets, frame)
            self._drop_if_empty(site_id, site)

    def _drop_if_empty(self, site_id: str, site: Presence) -> None:
        """Forget a site's presence once nobody is subscribed. Checked against `site` as looked
        up before the fan-out awaited: meanwhile another unsubscribe may have dropped it (and a
        newcomer made the site a fresh one, which is not ours to drop)."""
        mine = self._presence.get(site_id) is site
        if mine and not site.sockets and site_id not in self._by_site:
            del self._presence[site_id]

    async def disconnect(self, site_id: str, agent_id: str) -> int:
        """The agent no longer answers for the site: its inbox sockets subscribed to the site
        are unsubscribed and closed (the console reconnects with its remaining sites).
        Returns how many."""
        ended = [s for s in self._by_site.get(site_id, ()) if s.agent_id == agent_id]
        for subscription in ended:
            await self.unsubscribe(subscription)
            if subscription.close is not None:
                await subscription.close()
        return len(ended)

    def subscribers(self, site_id: str) -> int:
        return len(self._by_site.get(site_id, ()))

    async def publish(self, summary: frames.ConversationSummary) -> None:
        """Push `summary` to every subscriber of its site, concurrently."""
        targets = list(self._by_site.get(summary.site_id, ()))
        await self._fan_out(targets, frames.InboxUpdate(type="inbox.update", conversation=summary))

    async def _fan_out(
        self, targets: list[Subscription], frame: frames.InboxUpdate | frames.SitePresence
    ) -> None:
        if not targets:
            return
        results = await asyncio.gather(
            *(target.send(frame) for target in targets), return_exceptions=True
        )
        failed = [t for t, r in zip(targets, results, strict=True) if isinstance(r, BaseException)]
        for target in failed:
            log.info("dropping an inbox subscriber")
            await self.unsubscribe(target)
