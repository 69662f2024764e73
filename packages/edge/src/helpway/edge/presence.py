"""Agents' availability on a site, decided from their live inbox sockets and a clock.

Sans-IO: the local inbox hub and the per-site hub Durable Object feed it what their sockets
say and when, and ask what the site's presence is at a moment. Nothing is stored but sockets:
an agent is `online` while any of their sockets (any tab, any device) says online and has
been heard within `ttl_ms`; an agent whose sockets all say away is `away`; an agent with no
live socket is not present at all, which consoles and the widget treat as away. A socket
that dies without a close event therefore stops counting once its heartbeat is `ttl_ms` old,
whether or not anyone has closed it yet: no ghost presence.

A socket starts `away` until it says otherwise, so a console whose agent chose away never
flashes online between its `join` and its `presence.set`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Status = Literal["online", "away"]
ONLINE: Status = "online"
AWAY: Status = "away"


@dataclass(frozen=True)
class SocketPresence:
    """What one inbox socket says: whose it is, their choice, when it was last heard from."""

    agent_id: str
    name: str
    status: Status
    seen: int


@dataclass(frozen=True)
class AgentPresence:
    agent_id: str
    name: str
    status: Status


def is_live(socket: SocketPresence, now: int, ttl_ms: int) -> bool:
    return now < socket.seen + ttl_ms


def agents(sockets: dict[str, SocketPresence], now: int, ttl_ms: int) -> list[AgentPresence]:
    """The site's present agents at `now`, by name then id (the order consoles draw)."""
    status: dict[str, Status] = {}
    names: dict[str, str] = {}
    for socket in sockets.values():
        if not is_live(socket, now, ttl_ms):
            continue
        names[socket.agent_id] = socket.name
        if socket.status == ONLINE or socket.agent_id not in status:
            status[socket.agent_id] = socket.status
    present = [AgentPresence(a, names[a], s) for a, s in status.items()]
    return sorted(present, key=lambda p: (p.name, p.agent_id))


def anyone_online(sockets: dict[str, SocketPresence], now: int, ttl_ms: int) -> bool:
    return any(s.status == ONLINE and is_live(s, now, ttl_ms) for s in sockets.values())


def expired(sockets: dict[str, SocketPresence], now: int, ttl_ms: int) -> list[str]:
    """The sockets whose heartbeat is too old to count: their hub should close them."""
    return [sid for sid, socket in sockets.items() if not is_live(socket, now, ttl_ms)]


def next_expiry(sockets: dict[str, SocketPresence], ttl_ms: int) -> int | None:
    """When the next live socket stops counting unless it is heard from (an alarm's time)."""
    return min((s.seen + ttl_ms for s in sockets.values()), default=None)


class Presence:
    """A site's sockets, changed as the hub hears of them, and the presence last pushed to
    its consoles: `update` says what to push, only when it changed. `published=None` (a hub
    object just woken from hibernation has no memory of it) makes the next `update` push."""

    def __init__(self, ttl_ms: int, published: list[AgentPresence] | None = None) -> None:
        self.ttl_ms = ttl_ms
        self.sockets: dict[str, SocketPresence] = {}
        self.published = published

    def agents(self, now: int) -> list[AgentPresence]:
        return agents(self.sockets, now, self.ttl_ms)

    def anyone_online(self, now: int) -> bool:
        return anyone_online(self.sockets, now, self.ttl_ms)

    def join(self, socket_id: str, agent_id: str, name: str, now: int) -> None:
        self.sockets[socket_id] = SocketPresence(agent_id, name, AWAY, now)

    def set(self, socket_id: str, status: Status, now: int) -> None:
        socket = self.sockets.get(socket_id)
        if socket is not None:
            self.sockets[socket_id] = SocketPresence(socket.agent_id, socket.name, status, now)

    def heard(self, socket_id: str, now: int) -> None:
        """A frame (a ping, say) arrived on the socket: it is alive as of `now`."""
        socket = self.sockets.get(socket_id)
        if socket is not None:
            self.sockets[socket_id] = SocketPresence(
                socket.agent_id, socket.name, socket.status, now
            )

    def leave(self, socket_id: str) -> None:
        self.sockets.pop(socket_id, None)

    def expire(self, now: int) -> list[str]:
        """Forget the sockets too old to count and return them (their hub closes them)."""
        gone = expired(self.sockets, now, self.ttl_ms)
        for socket_id in gone:
            del self.sockets[socket_id]
        return gone

    def next_expiry(self) -> int | None:
        return next_expiry(self.sockets, self.ttl_ms)

    def update(self, now: int) -> list[AgentPresence] | None:
        """The site's presence at `now` if it differs from the last one returned, else None."""
        current = self.agents(now)
        if current == self.published:
            return None
        self.published = current
        return current
