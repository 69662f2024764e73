"""Which part of the Worker answers a request, decided from its method, path and headers.

WebSocket upgrades go to Durable Objects, which hold sockets across hibernation (the SDK's ASGI
bridge would keep them in the Worker, where they cannot hibernate); everything else is HTTP for
the Starlette app. Static assets never get here: `[assets]` serves them before the Worker runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

# Conversation ids are URL-safe tokens; anything else cannot name a room, so no object is made.
_CONVERSATION = re.compile(r"/ws/conversations/([A-Za-z0-9_-]{1,64})")
INBOX_PATH = "/ws/inbox"
# The one inbox hub object (see `inbox_object`).
INBOX_OBJECT = "inbox"


@dataclass(frozen=True)
class ConversationSocket:
    conversation_id: str


Target = ConversationSocket | Literal["inbox", "http"]


def target(method: str, path: str, upgrade: str | None) -> Target:
    if method == "GET" and (upgrade or "").lower() == "websocket":
        if path == INBOX_PATH:
            return "inbox"
        found = _CONVERSATION.fullmatch(path)
        if found is not None:
            return ConversationSocket(found.group(1))
    return "http"
