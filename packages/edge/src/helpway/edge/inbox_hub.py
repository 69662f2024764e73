"""The per-site inbox hub: agents' inbox sockets subscribe, conversation changes fan out.

In process and in memory, the local twin of a per-site hub object on Cloudflare. Pushing is
best effort: the inbox is a view of D1, which the console reloads (`GET /api/inbox`) whenever its
socket reconnects, so a subscriber that fails is dropped rather than retried.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable

from helpway.shared import frames

log = logging.getLogger("helpway.edge.inbox")

Send = Callable[[frames.InboxUpdate], Awaitable[None]]
Close = Callable[[], Awaitable[None]]


class Subscription:
    def __init__(
        self, site_ids: frozenset[str], send: Send, agent_id: str | None, close: Close | None
    ) -> None:
        self.site_ids = site_ids
        self.send = send
        self.agent_id = agent_id
        self.close = close


class InboxHub:
    def __init__(self) -> None:
        self._by_site: dict[str, set[Subscription]] = {}

    def subscribe(
        self,
        site_ids: Iterable[str],
        send: Send,
        *,
        agent_id: str | None = None,
        close: Close | None = None,
    ) -> Subscription:
        """`close` ends the subscriber's socket when `disconnect` removes `agent_id`."""
        subscription = Subscription(frozenset(site_ids), send, agent_id, close)
        for site_id in subscription.site_ids:
            self._by_site.setdefault(site_id, set()).add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        for site_id in subscription.site_ids:
            subscribers = self._by_site.get(site_id)
            if subscribers is None:
                continue
            subscribers.discard(subscription)
            if not subscribers:
                del self._by_site[site_id]

    async def disconnect(self, site_id: str, agent_id: str) -> int:
        """The agent no longer answers for the site: its inbox sockets subscribed to the site
        are unsubscribed and closed (the console reconnects with its remaining sites).
        Returns how many."""
        ended = [s for s in self._by_site.get(site_id, ()) if s.agent_id == agent_id]
        for subscription in ended:
            self.unsubscribe(subscription)
            if subscription.close is not None:
                await subscription.close()
        return len(ended)

    def subscribers(self, site_id: str) -> int:
        return len(self._by_site.get(site_id, ()))

    async def publish(self, summary: frames.ConversationSummary) -> None:
        """Push `summary` to every subscriber of its site, concurrently."""
        targets = list(self._by_site.get(summary.site_id, ()))
        if not targets:
            return
        update = frames.InboxUpdate(type="inbox.update", conversation=summary)
        results = await asyncio.gather(
            *(target.send(update) for target in targets), return_exceptions=True
        )
        for target, result in zip(targets, results, strict=True):
            if isinstance(result, BaseException):
                log.info("dropping an inbox subscriber: %r", result)
                self.unsubscribe(target)
