"""REST request and response bodies of the edge's HTTP API.

Errors are always `ErrorBody` with an HTTP status that fits; the `code` values are those of
`errors`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from . import limits
from .frames import Author, ConversationSummary, ErrorCode, Event, Id, Message, Seq, Status

Token = Annotated[str, Field(min_length=1, max_length=limits.MAX_TOKEN_CHARS)]
Url = Annotated[str, Field(max_length=limits.MAX_URL_CHARS)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(Body):
    code: ErrorCode
    message: str


# ---------------------------------------------------------------- widget


class WidgetConfig(Body):
    """What the widget needs to draw itself; inlined into the loader served for a site."""

    site_id: Id
    title: str
    greeting: str
    color: str
    assistant_name: str


class VisitorSessionRequest(Body):
    """Start or resume a visitor. A returning visitor sends the token it was given before.

    A signed-in user of the site is named by `user_id` with `user_hash`, the hex
    HMAC-SHA256 of the user id under the site's identity secret, computed by the site owner's
    server; a site that enforces identity verification refuses sessions without them."""

    site_id: Id
    visitor_token: Token | None = None
    page_url: Url | None = None
    locale: Annotated[str, Field(max_length=35)] | None = None
    user_id: Annotated[str, Field(min_length=1, max_length=256)] | None = None
    user_hash: Annotated[str, Field(pattern=r"^[0-9a-fA-F]{64}$")] | None = None


class VisitorSession(Body):
    visitor_id: Id
    visitor_token: Token
    conversation_id: Id
    config: WidgetConfig


class History(Body):
    """A page of a conversation's log after `after_seq`, oldest first; `more` if cut."""

    conversation_id: Id
    status: Status
    entries: list[Message | Event]
    last_seq: Seq
    more: bool


# ---------------------------------------------------------------- agents


class LoginRequest(Body):
    email: Annotated[str, Field(min_length=3, max_length=254)]
    password: Annotated[str, Field(min_length=1, max_length=256)]


class AgentSession(Body):
    token: Token
    agent: Author
    site_ids: list[Id]


class Inbox(Body):
    conversations: list[ConversationSummary]


# ---------------------------------------------------------------- site admin


class SiteIdentityUpdate(Body):
    """Change a site's identity verification: make a new secret (the old one stops verifying
    at once) and/or require (or stop requiring) a verified user. Site admins only."""

    rotate_secret: bool = False
    required: bool | None = None


class SiteIdentity(Body):
    """A site's identity verification. `secret` is shown only in the answer to the change that
    made it; it is what the site owner's server signs user ids with."""

    site_id: Id
    required: bool
    has_secret: bool
    secret: str | None = None


ApiScope = Literal["kb:read", "kb:write", "site:admin", "visitors:export", "visitors:erase"]


class ApiKeyIn(Body):
    """A new API key of a site: what it is for and what it may do."""

    name: Annotated[str, Field(min_length=1, max_length=100)]
    scopes: Annotated[list[ApiScope], Field(min_length=1, max_length=5)]


class ApiKeyInfo(Body):
    """An API key as listed (never its secret). Times are Unix ms."""

    id: Id
    name: str
    scopes: list[ApiScope]
    created_at: int
    revoked_at: int | None = None


class ApiKeyCreated(Body):
    """The answer to making a key: `key` is its secret, shown this once."""

    key: str
    info: ApiKeyInfo


class ApiKeyList(Body):
    keys: list[ApiKeyInfo]


# ---------------------------------------------------------------- knowledge base


class KbDocumentIn(Body):
    """One document to ingest through the admin API (the CLI reads files instead)."""

    site_id: Id
    url: Annotated[str, Field(min_length=1, max_length=limits.MAX_URL_CHARS)]
    title: Annotated[str, Field(max_length=limits.MAX_TITLE_CHARS)] = ""
    content: Annotated[str, Field(min_length=1, max_length=2_000_000)]
    format: Annotated[str, Field(pattern="^(markdown|html|text)$")] = "markdown"


class KbIngestResult(Body):
    """What ingesting did: `added`, `updated`, or `unchanged` (same content: nothing embedded);
    `embedded` counts the chunks whose vectors were computed this time."""

    document_url: str
    status: Literal["added", "updated", "unchanged"]
    chunks: int
    embedded: int


class KbDocumentStatus(Body):
    """One document of a site's KB: `indexed` with its chunk count, or `failed` with why (the
    chunks of an earlier good version, if any, still answer). `updated_at` is Unix ms."""

    url: str
    title: str
    format: str
    status: Literal["indexed", "failed"]
    error: str | None
    chunks: int
    updated_at: int


class KbDocumentList(Body):
    site_id: str
    documents: list[KbDocumentStatus]


class KbHit(Body):
    url: str
    title: str
    score: float
    text: str


class KbSearchResult(Body):
    query: str
    hits: list[KbHit]


__all__ = [
    "AgentSession",
    "ApiKeyCreated",
    "ApiKeyIn",
    "ApiKeyInfo",
    "ApiKeyList",
    "ApiScope",
    "Author",
    "ConversationSummary",
    "ErrorBody",
    "History",
    "Inbox",
    "KbDocumentIn",
    "KbDocumentList",
    "KbDocumentStatus",
    "KbHit",
    "KbIngestResult",
    "KbSearchResult",
    "LoginRequest",
    "SiteIdentity",
    "SiteIdentityUpdate",
    "VisitorSession",
    "VisitorSessionRequest",
    "WidgetConfig",
]
