"""The ports the app is built from, assembled once by a composition root.

The HTTP and WebSocket handlers reach them through `services(connection)`; only the composition
root (`local.runtime` here, a Worker entry on Cloudflare) decides which adapters fill them.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import HTTPConnection

from helpway.knowledge.knowledge_base import KnowledgeBase
from helpway.rooms.host import LocalRoomHost
from helpway.store.database import Database

from .inbox_hub import InboxHub


@dataclass(frozen=True)
class Services:
    db: Database
    rooms: LocalRoomHost
    knowledge: KnowledgeBase
    inbox: InboxHub


def services(connection: HTTPConnection) -> Services:
    found: Services = connection.app.state.services
    return found
