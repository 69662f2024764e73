"""REST request and response bodies of the edge's HTTP API.

Errors are always `ErrorBody` with an HTTP status that fits; the `code` values are those of
`errors`.
"""

from __future__ import annotations

import re
from math import floor
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from . import hours, limits, wire
from .frames import (
    Author,
    Citation,
    ConversationSummary,
    ErrorCode,
    Event,
    Id,
    Message,
    Millis,
    Note,
    Seq,
    Status,
    Text,
)

Token = Annotated[str, Field(min_length=1, max_length=limits.MAX_TOKEN_CHARS)]
Url = Annotated[str, Field(max_length=limits.MAX_URL_CHARS)]


def _page_url(url: str) -> str:
    """A page's address, as a browser's `location` gives it: with a scheme, and no character
    that draws nothing (`wire.unseen`: a browser percent-encodes them). So the console's *Page*
    field shows the address itself: no bidi control reverses it, no space or control cuts it."""
    if any(wire.unseen(char) for char in url) or not urlsplit(url).scheme:
        raise ValueError("is not a URL (a scheme, and no spaces, controls or invisible characters)")
    return url


def _web_page_url(url: str) -> str:
    """Only a web page has an origin to check against the site's: anything else (javascript:,
    a path) is not a page the widget runs on, refused as such before the origin check."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("is not a web page's URL (http:// or https:// and a host)")
    return url


PageUrl = Annotated[Url, AfterValidator(_page_url)]
WebPageUrl = Annotated[PageUrl, AfterValidator(_web_page_url)]
# A one-line field someone types (a name, a title, a label): `wire.LINE`, no control character
# and a visible one; a text shown as a bubble (a greeting) is held to a message's `wire.TEXT`.
Line = Annotated[str, Field(pattern=wire.LINE)]
# An e-mail address: one @, a dot in the domain, no space, control character or angle bracket.
Email = Annotated[
    str,
    Field(
        min_length=3,
        max_length=254,
        pattern=r"^[^@\s<>\x00-\x1f]+@[^@\s<>\x00-\x1f]+\.[^@\s<>\x00-\x1f]+$",
    ),
]


class Body(BaseModel):
    """Strict, like the frames: a JSON value of the wrong type is refused (`invalid`, 422)
    instead of coerced (`"yes"` is not `true`, `"1"` is not `1`), so a client's bug surfaces
    at once and the body means exactly what the OpenAPI document says. Unknown fields are
    refused too."""

    model_config = ConfigDict(extra="forbid", strict=True)


class ErrorBody(Body):
    code: ErrorCode
    message: str


# ---------------------------------------------------------------- widget


# The languages the widget has UI strings for (its `i18n` catalogues); ar and he are drawn
# right to left.
Language = Literal["en", "es", "id", "pt", "th", "ar", "he"]
Position = Literal["left", "right"]
# WCAG's least contrast for large text and controls (1.4.3, 1.4.11).
MIN_CONTRAST = 3.0


def _channel(hex_pair: str) -> float:
    value = int(hex_pair, 16) / 255
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def _contrast_with_white(color: str) -> float:
    """WCAG's contrast ratio of a #rgb or #rrggbb colour with white (1 to 21)."""
    digits = color[1:] if len(color) == 7 else "".join(char * 2 for char in color[1:])
    red, green, blue = (_channel(digits[i : i + 2]) for i in (0, 2, 4))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return 1.05 / (luminance + 0.05)


def _readable_with_white(color: str) -> str:
    """The widget draws white on the site's colour (the launcher, the visitor's own bubbles, the
    send button) and the colour on white (links, outlines, the focused box): below 3:1 either
    is unreadable (#fff made the launcher white on white and the visitor's bubbles invisible)."""
    ratio = _contrast_with_white(color)
    if ratio < MIN_CONTRAST:
        raise ValueError(
            f"is too light: white text on it has a contrast of {floor(ratio * 100) / 100}:1, below "
            "the 3:1 "
            "large text and buttons need (WCAG); pick a darker shade"
        )
    return color


# A colour goes into the widget's CSS as is: only hex, so nothing else can be smuggled in.
Color = Annotated[
    str,
    Field(pattern=r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$"),
    AfterValidator(_readable_with_white),
]
Clock = Annotated[str, Field(pattern=r"^[0-2][0-9]:[0-5][0-9]$")]
# A greeting or away message is drawn as the assistant's bubble: a message's rule. The main
# `greeting` may be "" (no greeting bubble); one given for a language may not.
Greeting = Annotated[str, Field(min_length=1, max_length=500, pattern=wire.TEXT)]
OptionalGreeting = Annotated[str, Field(max_length=500, pattern=wire.OPTIONAL_TEXT)]
Title = Annotated[Line, Field(min_length=1, max_length=80)]
AssistantName = Annotated[Line, Field(min_length=1, max_length=60)]
LauncherText = Annotated[str, Field(max_length=40, pattern=wire.OPTIONAL_LINE)]


def _avatar_url(url: str) -> str:
    """An https URL, or a path on the edge's own origin ("/..."): never http, data: or
    javascript:, nor a protocol-relative "//host" (browsers read a backslash as a slash)."""
    if "\\" in url or any(char <= " " for char in url):
        raise ValueError("must not hold spaces, control characters or backslashes")
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if not parts.scheme and not parts.netloc and url.startswith("/") and not url.startswith("//"):
        return url
    raise ValueError("must be an https:// URL or a path on the edge's origin starting with /")


def _time_zone(name: str) -> str:
    hours.zone(name)
    return name


AvatarUrl = Annotated[
    str, Field(min_length=1, max_length=limits.MAX_URL_CHARS), AfterValidator(_avatar_url)
]
TimeZone = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_time_zone)]


# How an IANA zone's name is spelt ("America/Argentina/Buenos_Aires", "Etc/GMT+7").
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*")


def _known_zone_or_none(name: object) -> object:
    """A browser's zone spelt as IANA spells them but missing from the edge's time zone
    database (one newer than it, or "Etc/Unknown") is no reason to refuse the visitor a chat:
    it is dropped, and agents see no local time. Anything else is refused as invalid, and a
    site owner's unknown zone (business hours) too: that is a typo to fix."""
    if isinstance(name, str) and _ZONE_NAME.fullmatch(name):
        try:
            hours.zone(name)
        except ValueError:
            return None
    return name


BrowserTimeZone = Annotated[TimeZone | None, BeforeValidator(_known_zone_or_none)]


class OpeningSpan(Body):
    """The team is in on `day` from `opens` until `closes` (wall clock in the site's zone)."""

    day: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    opens: Clock
    closes: Clock

    @model_validator(mode="after")
    def _ordered(self) -> OpeningSpan:
        hours.check_span(self.day, self.opens, self.closes)
        return self


class BusinessHours(Body):
    """When a human answers. Outside these hours the widget shows the away message (per
    language, else its own) and, with `collect_email`, asks for an e-mail to reply to."""

    time_zone: TimeZone
    weekly: Annotated[list[OpeningSpan], Field(max_length=70)]
    away_messages: dict[Language, Greeting] = Field(default_factory=dict)
    collect_email: bool = True


class WidgetSettings(Body):
    """A site's widget as its admins set it (`/api/sites/{id}/widget`, `helpway sites config`).

    `languages` are those the widget may speak, `default_language` first among them: a visitor
    gets the first of their browser's languages the site allows, else the default. `greeting`
    is said in any language `greetings` has no text for."""

    title: Title = "Help"
    greeting: OptionalGreeting = "Hi! How can we help?"
    greetings: dict[Language, Greeting] = Field(default_factory=dict)
    color: Color = "#2563eb"
    assistant_name: AssistantName = "Assistant"
    default_language: Language = "en"
    languages: Annotated[list[Language], Field(min_length=1, max_length=7)] = ["en"]
    position: Position = "right"
    launcher_text: LauncherText = ""
    avatar_url: AvatarUrl | None = None
    business_hours: BusinessHours | None = None

    @model_validator(mode="after")
    def _languages(self) -> WidgetSettings:
        if len(set(self.languages)) != len(self.languages):
            raise ValueError("languages: each language once")
        if self.default_language not in self.languages:
            raise ValueError("default_language must be one of languages")
        return self


class WidgetSettingsUpdate(Body):
    """A change to a site's widget: each field given replaces the stored one, the others stay
    (`business_hours: null` removes the hours: always open)."""

    title: Title | None = None
    greeting: OptionalGreeting | None = None
    greetings: dict[Language, Greeting] | None = None
    color: Color | None = None
    assistant_name: AssistantName | None = None
    default_language: Language | None = None
    languages: Annotated[list[Language], Field(min_length=1, max_length=7)] | None = None
    position: Position | None = None
    launcher_text: LauncherText | None = None
    avatar_url: AvatarUrl | None = None
    business_hours: BusinessHours | None = None

    def applied_to(self, settings: WidgetSettings) -> WidgetSettings:
        """The settings with this change made; `ValueError` if the result is inconsistent
        (a default language the site does not allow)."""
        changed = {name: getattr(self, name) for name in self.model_fields_set}
        return WidgetSettings.model_validate({**settings.model_dump(), **changed})


class WidgetConfig(Body):
    """What the widget needs to draw itself, with the business-hours decision already made:
    `open` (always true for a site without hours) and, when closed, `next_open_at` (Unix ms,
    None if the team is never in) and whether to ask for an e-mail.

    `agents_online`: whether an agent of the site had a live console saying online when this
    was answered (the widget's "we usually reply in a few minutes" against its away state;
    outside business hours `open` is false and wins)."""

    site_id: Id
    title: str
    greeting: str
    greetings: dict[Language, str] = Field(default_factory=dict)
    color: str
    assistant_name: str
    default_language: Language = "en"
    languages: list[Language] = ["en"]
    position: Position = "right"
    launcher_text: str = ""
    avatar_url: str | None = None
    open: bool = True
    next_open_at: int | None = None
    away_messages: dict[Language, str] = Field(default_factory=dict)
    collect_email: bool = False
    agents_online: bool = False


class VisitorEmail(Body):
    """An e-mail the visitor leaves for the team to reply to (outside business hours)."""

    email: Email


class VisitorPage(Body):
    """The page the visitor is on now, after a single-page app navigated (the agents' context
    panel shows it); on an origin the site allows."""

    page_url: WebPageUrl


class VisitorSessionRequest(Body):
    """Start or resume a visitor. A returning visitor sends the token it was given before.

    A signed-in user of the site is named by `user_id` with `user_hash`, the hex
    HMAC-SHA256 of the user id under the site's identity secret, computed by the site owner's
    server; a site that enforces identity verification refuses sessions without them."""

    site_id: Id
    visitor_token: Token | None = None
    page_url: PageUrl | None = None
    locale: Annotated[Line, Field(max_length=35)] | None = None
    user_id: Annotated[str, Field(min_length=1, max_length=256)] | None = None
    user_hash: Annotated[str, Field(pattern=r"^[0-9a-fA-F]{64}$")] | None = None
    # The browser's IANA time zone ("Asia/Bangkok"), so agents see the visitor's local time.
    time_zone: BrowserTimeZone = None
    # Resume a known visitor, never start one: without a visitor to resume the answer is 204
    # (no session). The widget's frame asks so when the browser refuses it storage, to learn
    # whether the edge's cookie names a visitor before anyone opens the chat.
    resume_only: bool = False


class VisitorSession(Body):
    visitor_id: Id
    visitor_token: Token
    conversation_id: Id
    config: WidgetConfig


class History(Body):
    """A page of a conversation's log after `after_seq`, oldest first; `more` if cut. A
    visitor's pages hold no agents-only entries (`frames.agents_only`)."""

    conversation_id: Id
    status: Status
    entries: list[Message | Event | Note]
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


# `GET /api/inbox?filter=`: all (the default), open (not closed: open or waiting), waiting
# (for a human), mine (assigned to the caller, not closed), unassigned (not closed), closed.
InboxFilter = Literal["all", "open", "waiting", "mine", "unassigned", "closed"]


class Inbox(Body):
    conversations: list[ConversationSummary]


class SearchHit(Body):
    """A conversation holding a message that matches, and a snippet of its newest such message
    (`seq`, sent at `created_at`), as plain text; `highlights` are the [start, end) character
    ranges of the matched terms in it."""

    conversation: ConversationSummary
    seq: Seq
    snippet: str
    created_at: Millis
    highlights: list[tuple[Annotated[int, Field(ge=0)], Annotated[int, Field(ge=0)]]] = []


class SearchResult(Body):
    """Matching conversations, newest activity first; `more`: ask again before the last one."""

    query: str
    hits: list[SearchHit]
    more: bool


class VisitorContext(Body):
    """Who an agent is talking to, as far as their browser says: the page the widget is on, its
    language and time zone, `browser` (a summary of `user_agent`, e.g. "Chrome 131 on Windows")
    and the site's user id when identity verification proved one."""

    visitor_id: Id
    name: str
    page_url: str | None = None
    locale: str | None = None
    time_zone: str | None = None
    browser: str | None = None
    user_agent: str | None = None
    user_id: str | None = None
    last_seen_at: Millis


class SuggestedReply(Body):
    """A draft for the agent to edit, from the knowledge base's answer to the visitor's latest
    question; never sent by itself. `resolution` "declined": the KB has no answer (`text` says
    so, to the agent)."""

    conversation_id: Id
    question: str
    text: str
    citations: list[Citation]
    resolution: Literal["answered", "declined"]


# A canned response's shortcut, typed as "/" + it in the composer.
Shortcut = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]


class CannedResponseIn(Body):
    """A saved reply of a site (site admins make and change them). Its text becomes a message
    the agent sends, so it is held to a message's rules (`frames.Text`): a canned reply the room
    would refuse is refused here, where the admin is told why."""

    shortcut: Shortcut
    title: Annotated[Line, Field(min_length=1, max_length=limits.MAX_TITLE_CHARS)]
    text: Text


class CannedResponse(Body):
    id: Id
    site_id: Id
    shortcut: str
    title: str
    text: str
    updated_at: Millis


class CannedResponseList(Body):
    responses: list[CannedResponse]


# ---------------------------------------------------------------- sites

# Site ids go unescaped into the snippet's attribute, URLs (`/kb/<site>/...`) and storage keys.
SiteId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,52}$")]
SiteRole = Literal["agent", "admin", "owner"]


def normalize_origin(value: str) -> str:
    """`*`, or a page origin (scheme, host, optional port; no path), normalized."""
    if value == "*":
        return value
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise ValueError(f"{value!r} is not an origin like https://shop.example") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        raise ValueError(f"{value!r} is not an origin like https://shop.example")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(f"{value!r} is not an origin like https://shop.example")
    return f"{parts.scheme}://{parts.netloc}"


Origin = Annotated[
    str, Field(min_length=1, max_length=limits.MAX_URL_CHARS), AfterValidator(normalize_origin)
]
Origins = Annotated[list[Origin], Field(max_length=50)]
SiteName = Annotated[Line, Field(min_length=1, max_length=100)]


class SiteIn(Body):
    """A new site. Without `id`, one is drawn. Any signed-in agent may make one and becomes
    its owner."""

    id: SiteId | None = None
    name: SiteName
    allowed_origins: Origins = []


class SiteUpdate(Body):
    """Change a site's name and/or allowed origins (an empty list: any origin). Site admins."""

    name: SiteName | None = None
    allowed_origins: Origins | None = None


class SiteInfo(Body):
    """A site as its agents see it, with the caller's role there (None for an API key). Times
    are Unix ms."""

    id: Id
    name: str
    allowed_origins: list[str]
    role: SiteRole | None = None
    created_at: int


class SiteList(Body):
    sites: list[SiteInfo]


class SiteDeleted(Body):
    """What deleting a site removed: its conversations (D1 rows and room storage), visitors,
    KB documents (rows and vectors); its keys, invites and memberships went with it."""

    site_id: Id
    conversations: int
    visitors: int
    kb_documents: int


# ---------------------------------------------------------------- a site's agents


class Member(Body):
    agent_id: Id
    email: str
    name: str
    role: SiteRole


class MemberList(Body):
    agents: list[Member]


class SiteTeam(Body):
    """The site's agents as any of its agents sees them: whom a conversation can be assigned
    to, by name. No e-mails or roles (those are the admins' `MemberList`)."""

    agents: list[Author]


class RoleUpdate(Body):
    """A member's new role. Admins change agents only; owners change anyone, and a site keeps
    at least one owner."""

    role: SiteRole


class InviteIn(Body):
    """Invite an e-mail to the site as an agent (admins) or an admin (owners)."""

    email: Annotated[
        str, Field(min_length=3, max_length=254, pattern=r"^[^@\s\x00-\x1f]+@[^@\s\x00-\x1f]+$")
    ]
    role: Literal["agent", "admin"] = "agent"


class InviteInfo(Body):
    """An invite as listed (never its token). Times are Unix ms."""

    id: Id
    email: str
    role: Literal["agent", "admin"]
    created_at: int
    expires_at: int
    used_at: int | None = None


class InviteCreated(Body):
    """The answer to making an invite: `url` is the one-time link (its token is in this answer
    only); give it to the invitee."""

    url: str
    token: str
    info: InviteInfo


class InviteList(Body):
    invites: list[InviteInfo]


class InviteAccept(Body):
    """Accept an invite: a new account's name and password (8+ characters), or an existing
    account's password (its name stays)."""

    token: Token
    name: Annotated[str, Field(min_length=1, max_length=100)]
    password: Annotated[str, Field(min_length=1, max_length=256)]


# ---------------------------------------------------------------- conversations


class Transcript(Body):
    """A whole conversation, for its site's agents: every log entry, oldest first. Texts are
    exactly as typed: a client shows them as text, never as HTML."""

    conversation_id: Id
    site_id: Id
    visitor_id: Id
    status: Status
    created_at: int
    entries: list[Message | Event]


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


def _document_size(content: str) -> str:
    if len(content.encode("utf-8", "surrogatepass")) > limits.MAX_DOCUMENT_BYTES:
        raise ValueError(f"at most {limits.MAX_DOCUMENT_BYTES} bytes of UTF-8 text")
    return content


_UPLOAD = "upload:"


def _kb_document_url(url: str) -> str:
    """Where a KB document is published, which search returns and answers cite: an http(s) URL,
    a path on the site's own origin ("/help/billing", as the CLI stores "/kb/SITE/..."), or an
    uploaded file's `upload:` name, cited without a link. Never javascript: or data:, nor a
    protocol-relative "//host" (browsers read a backslash as a slash)."""
    if any(char < " " or char == "\x7f" for char in url):
        raise ValueError("must not hold control characters")
    if url.startswith(_UPLOAD) and url[len(_UPLOAD) :].strip():
        return url
    if "\\" in url or " " in url:
        raise ValueError("must not hold spaces or backslashes")
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.hostname:
        return url
    if not parts.scheme and not parts.netloc and url.startswith("/") and not url.startswith("//"):
        return url
    raise ValueError(
        "must be an http(s):// URL, a path on the site starting with /, or an upload: name"
    )


class KbDocumentIn(Body):
    """One document to ingest through the admin API (the CLI reads files instead)."""

    site_id: Id
    url: Annotated[
        str,
        Field(min_length=1, max_length=limits.MAX_URL_CHARS),
        AfterValidator(_kb_document_url),
    ]
    title: Annotated[str, Field(max_length=limits.MAX_TITLE_CHARS)] = ""
    content: Annotated[
        str,
        Field(min_length=1, max_length=limits.MAX_DOCUMENT_BYTES),
        AfterValidator(_document_size),
    ]
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
    "BusinessHours",
    "CannedResponse",
    "CannedResponseIn",
    "CannedResponseList",
    "ConversationSummary",
    "ErrorBody",
    "History",
    "Inbox",
    "InboxFilter",
    "InviteAccept",
    "InviteCreated",
    "InviteIn",
    "InviteInfo",
    "InviteList",
    "KbDocumentIn",
    "KbDocumentList",
    "KbDocumentStatus",
    "KbHit",
    "KbIngestResult",
    "KbSearchResult",
    "Language",
    "LoginRequest",
    "Member",
    "MemberList",
    "OpeningSpan",
    "RoleUpdate",
    "SearchHit",
    "SearchResult",
    "SiteDeleted",
    "SiteIdentity",
    "SiteIdentityUpdate",
    "SiteIn",
    "SiteInfo",
    "SiteList",
    "SiteTeam",
    "SiteUpdate",
    "SuggestedReply",
    "Transcript",
    "VisitorContext",
    "VisitorEmail",
    "VisitorSession",
    "VisitorSessionRequest",
    "WidgetConfig",
    "WidgetSettings",
    "WidgetSettingsUpdate",
]
