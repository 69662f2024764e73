"""Who is asking: bearer tokens (visitor tokens, agent sessions) resolved to participants.

Every route and socket that touches a conversation goes through `participant_for`, so the rule
"a visitor reaches only their own conversation, an agent only their sites' conversations" is
written once.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import HTTPConnection

from helpway.shared import errors, frames
from helpway.store import agent_sessions, agents, api_keys, conversations, sites, visitors
from helpway.store.agents import Agent
from helpway.store.api_keys import ApiKey
from helpway.store.conversations import Conversation
from helpway.store.database import Database

from .errors import ApiError
from .origins import http_origin, origin_allowed, page_origin


@dataclass(frozen=True)
class Participant:
    """Someone allowed into one conversation: a visitor of it or an agent of its site."""

    author: frames.Author
    conversation: Conversation


@dataclass(frozen=True)
class AgentIdentity:
    agent: Agent
    site_ids: tuple[str, ...]


def bearer_token(connection: HTTPConnection) -> str:
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(errors.UNAUTHORIZED, "missing bearer token")
    return token.strip()


@dataclass(frozen=True)
class Caller:
    """Who calls an admin route: an agent (by session) or a site's API key."""

    agent: AgentIdentity | None = None
    key: ApiKey | None = None


# Scopes an agent holds on each of its sites by role (owners hold an admin's); API keys hold the
# scopes they were made with.
AGENT_SCOPES: frozenset[str] = frozenset({"kb:read", "kb:write"})
ADMIN_SCOPES: frozenset[str] = frozenset(api_keys.SCOPES)


async def caller_for(db: Database, token: str) -> Caller:
    """An API key or an agent session; anything else is `unauthorized`."""
    if api_keys.is_api_key(token):
        key = await api_keys.resolve_api_key(db, token)
        if key is None:
            raise ApiError(errors.UNAUTHORIZED, "unknown or revoked API key")
        return Caller(key=key)
    return Caller(agent=await agent_for(db, token))


async def require_scope(db: Database, caller: Caller, site_id: str, scope: api_keys.Scope) -> None:
    """Refuse (`forbidden`) unless the caller may do `scope` on the site: a key of that site
    made with the scope, or an agent of the site whose role grants it (admins: every scope)."""
    if caller.key is not None:
        if caller.key.site_id == site_id and scope in caller.key.scopes:
            return
        raise ApiError(errors.FORBIDDEN, f"this API key may not {scope} on this site")
    assert caller.agent is not None
    role = await agents.site_role(db, caller.agent.agent.id, site_id)
    granted = AGENT_SCOPES if role == "agent" else ADMIN_SCOPES if role is not None else set()
    if scope not in granted:
        raise ApiError(errors.FORBIDDEN, f"not allowed to {scope} on this site")


async def caller_rank(db: Database, caller: Caller, site_id: str) -> int:
    """The caller's standing on the site as an `agents.ROLE_RANK` (-1: none). An API key with
    `site:admin` of the site stands as an admin: it never manages admins or owners, nor
    deletes the site."""
    if caller.key is not None:
        admin = caller.key.site_id == site_id and "site:admin" in caller.key.scopes
        return agents.ROLE_RANK["admin"] if admin else -1
    assert caller.agent is not None
    role = await agents.site_role(db, caller.agent.agent.id, site_id)
    return -1 if role is None else agents.ROLE_RANK[role]


async def agent_for(db: Database, token: str) -> AgentIdentity:
    agent = await agent_sessions.resolve_agent_session(db, token)
    if agent is None:
        raise ApiError(errors.UNAUTHORIZED, "unknown or expired agent session")
    return AgentIdentity(agent, tuple(await agents.agent_site_ids(db, agent.id)))


async def check_visitor_origin(connection: HTTPConnection, db: Database, site_id: str) -> None:
    """Refuse a visitor's request or socket made from a page origin the site does not allow
    (the session checked it when it started; this keeps a token copied onto another page
    useless)."""
    own = http_origin(str(connection.url))
    await check_page_origin(db, site_id, page_origin(connection.headers.get("origin"), own))


async def check_page_origin(db: Database, site_id: str, origin: str | None) -> None:
    """`check_visitor_origin` for an origin `origins.page_origin` already picked (a Durable
    Object keeps it in its socket's attachment)."""
    site = await sites.get_site(db, site_id)
    if site is None or not origin_allowed(origin, site.allowed_origins):
        raise ApiError(errors.FORBIDDEN, "this page's origin may not use the site's widget")


async def _identity_required(db: Database, site_id: str) -> bool:
    site = await sites.get_site(db, site_id)
    return site is None or site.identity_required


async def assignee_for(db: Database, agent_id: str | None, site_id: str) -> frames.Author | None:
    """The agent an `assign` frame names, who must be an agent of the conversation's site
    (else `not_found`: another site's agent ids are not disclosed); None unassigns."""
    if agent_id is None:
        return None
    agent = await agents.get_agent(db, agent_id)
    if agent is None or await agents.site_role(db, agent_id, site_id) is None:
        raise ApiError(errors.NOT_FOUND, "no such agent on this site")
    return agent.author()


async def participant_for(db: Database, token: str, conversation_id: str) -> Participant:
    """Resolve `token` for `conversation_id`. The token is checked first, so only a holder of
    a valid token learns whether a conversation id exists (`not_found` vs `forbidden`)."""
    visitor = await visitors.resolve_visitor(db, token)
    agent = None if visitor is not None else await agent_sessions.resolve_agent_session(db, token)
    if visitor is None and agent is None:
        raise ApiError(errors.UNAUTHORIZED, "unknown or expired token")
    conversation = await conversations.get_conversation(db, conversation_id)
    if conversation is None:
        raise ApiError(errors.NOT_FOUND, "no such conversation")
    if visitor is not None:
        if conversation.visitor_id != visitor.id:
            raise ApiError(errors.FORBIDDEN, "not your conversation")
        if visitor.user_id is None and await _identity_required(db, conversation.site_id):
            # A visitor from before the site turned enforcement on, or never verified.
            raise ApiError(errors.FORBIDDEN, "this site requires a verified user")
        await visitors.keep_alive(db, visitor)
        return Participant(visitor.author(), conversation)
    assert agent is not None
    if conversation.site_id not in await agents.agent_site_ids(db, agent.id):
        raise ApiError(errors.FORBIDDEN, "not an agent of this conversation's site")
    return Participant(agent.author(), conversation)


async def agent_participant(db: Database, token: str, conversation_id: str) -> Participant:
    """`participant_for`, for routes only agents may use (a visitor of the conversation gets
    `forbidden`): what the console shows beside a conversation."""
    participant = await participant_for(db, token, conversation_id)
    if participant.author.role != "agent":
        raise ApiError(errors.FORBIDDEN, "for the site's agents only")
    return participant
