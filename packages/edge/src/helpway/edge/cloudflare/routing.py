"""Which part of the Worker answers a request, decided from its method, URL and headers.

WebSocket upgrades go to Durable Objects, which hold sockets across hibernation (the SDK's ASGI
bridge would keep them in the Worker, where they cannot hibernate); everything else is HTTP for
the Starlette app. Static assets never get here: `[assets]` serves them before the Worker runs.

An inbox socket names its site (`/ws/inbox?site_id=X`): each site has its own inbox hub object
(see `inbox_object`), and the Worker must pick the object before the socket's first frame.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qs

# Conversation ids are URL-safe tokens; anything else cannot name a room, so no object is made.
_CONVERSATION = re.compile(r"/ws/conversations/([A-Za-z0-9_-]{1,64})")
# Site ids as `helpway sites add` accepts them.
_SITE_ID = re.compile(r"[A-Za-z0-9_-]{1,52}")
INBOX_PATH = "/ws/inbox"


@dataclass(frozen=True)
class ConversationSocket:
    conversation_id: str


@dataclass(frozen=True)
class InboxSocket:
    site_id: str | None  # None: no valid `site_id` in the query (the Worker refuses it)


Target = ConversationSocket | InboxSocket | Literal["http"]


def target(method: str, path: str, upgrade: str | None, query: str = "") -> Target:
    if method == "GET" and (upgrade or "").lower() == "websocket":
        if path == INBOX_PATH:
            given = parse_qs(query).get("site_id", [])
            valid = len(given) == 1 and _SITE_ID.fullmatch(given[0]) is not None
            return InboxSocket(given[0] if valid else None)
        found = _CONVERSATION.fullmatch(path)
        if found is not None:
            return ConversationSocket(found.group(1))
    return "http"


def inbox_object_name(site_id: str) -> str:
    """The name of a site's inbox hub object in the `INBOX` namespace."""
    return f"site:{site_id}"
