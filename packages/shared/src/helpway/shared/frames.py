"""WebSocket frames: what a client may send to a conversation room, and what the room sends back.

Every frame is a JSON object with a `type` field. The protocol version travels once, in `join`
and `welcome`: a socket speaks one version for its whole life.

These models are the source of truth. `spec_export` turns them into `wire_spec`, which the
MicroPython codec in the browser validates against; `tests/test_wire_corpus.py` proves both
validators agree on the same corpus of valid and invalid frames.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from . import errors, limits, wire

# Text a person typed: at least one character that draws something (not blank, not only
# zero-width or bidi controls) and no control character but tab and newline (`wire.TEXT`),
# measured in code points. Only what a client sends is held to it: the log's entries (server
# frames) keep the plain length limits, so whatever a room stored before stays readable.
Text = Annotated[str, Field(min_length=1, max_length=limits.MAX_TEXT_CHARS, pattern=wire.TEXT)]
ClientId = Annotated[str, Field(min_length=1, max_length=limits.MAX_CLIENT_ID_CHARS)]
Id = Annotated[str, Field(min_length=1, max_length=limits.MAX_ID_CHARS)]
Seq = Annotated[int, Field(ge=0, le=limits.MAX_SEQ)]
Millis = Annotated[int, Field(ge=0)]
Role = Literal["visitor", "agent", "assistant", "system"]
Status = Literal["open", "waiting_human", "closed"]
# How an assistant answer ended: the room logs `answered` or `declined`; D1 records
# `handed_off` once a human is called in right after it (see `Event.answer_id`).
Resolution = Literal["answered", "declined", "handed_off"]
EventName = Literal[
    "handoff.requested", "agent.joined", "closed", "reopened", "assigned", "unassigned", "rated"
]
Score = Annotated[int, Field(ge=limits.RATING_MIN, le=limits.RATING_MAX)]
Comment = Annotated[str, Field(max_length=limits.MAX_RATING_COMMENT_CHARS)]
# The comment a visitor sends with a rating: none (""), or held to `Text`'s rule (a stored
# rating's `Comment` keeps the plain limit, like the log's entries).
SentComment = Annotated[
    str, Field(max_length=limits.MAX_RATING_COMMENT_CHARS, pattern=wire.OPTIONAL_TEXT)
]
ErrorCode = Literal[
    "bad_frame",
    "too_large",
    "invalid",
    "unsupported_version",
    "unauthorized",
    "forbidden",
    "not_found",
    "not_joined",
    "already_joined",
    "rate_limited",
    "room_full",
    "conversation_closed",
    "conflict",
    "internal",
]
assert set(ErrorCode.__args__) == set(errors.ALL)  # type: ignore[attr-defined]


class Frame(BaseModel):
    """Base of every frame: unknown fields are refused, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


# ---------------------------------------------------------------- client → room


class Join(Frame):
    """First frame on a socket: who I am (a token from the REST API) and what I already have."""

    type: Literal["join"]
    v: Annotated[int, Field(ge=1)]
    token: Annotated[str, Field(min_length=1, max_length=limits.MAX_TOKEN_CHARS)]
    last_seq: Seq = 0


class SendMessage(Frame):
    """A message typed by a visitor or agent; `client_id` makes resends idempotent."""

    type: Literal["message.send"]
    client_id: ClientId
    text: Text


class SetTyping(Frame):
    type: Literal["typing"]
    active: bool


class RequestHuman(Frame):
    """The visitor asks for a person: the assistant stops answering and agents are notified."""

    type: Literal["handoff.request"]


class Ping(Frame):
    type: Literal["ping"]


class SendRating(Frame):
    """The visitor rates the closed conversation (CSAT): a score from 1 to 5 and an optional
    comment ("" for none). Logged as event `rated`; the conversation stays closed. One rating
    per conversation: the first stands, another is refused with `conflict` (a resend with the
    same `client_id` gets the first ack again), as is a rating of a conversation that is not
    closed. Agents get `forbidden`."""

    type: Literal["rating.send"]
    client_id: ClientId
    score: Score
    comment: SentComment = ""


# ---- agents' actions (a visitor sending one gets `forbidden`)


class SendNote(Frame):
    """An internal note: logged like a message (deduped by `client_id`), shown to agents only,
    never sent to a visitor by any path (live, catch-up or REST history)."""

    type: Literal["note.send"]
    client_id: ClientId
    text: Text


class TakeOver(Frame):
    """The agent takes the conversation from the assistant: event `agent.joined`, the assistant
    stops answering. Refused with `conversation_closed` in a closed conversation."""

    type: Literal["takeover"]


class Close(Frame):
    """Close the conversation (event `closed`); closing a closed one logs nothing."""

    type: Literal["close"]


class Reopen(Frame):
    """Reopen a closed conversation (event `reopened`, kept by the agent: the assistant stays
    off); reopening an open one logs nothing."""

    type: Literal["reopen"]


class Assign(Frame):
    """Assign the conversation to an agent of its site (`agent_id`), or unassign it (null):
    event `assigned` / `unassigned`, agents only. An agent id that is not an agent of the site
    gets `not_found`; assigning the current assignee again logs nothing."""

    type: Literal["assign"]
    agent_id: Id | None


# The frames a room understands, one list for both sockets: the inbox socket takes them too
# (and refuses them as not for the inbox), so a frame added here is known on both.
RoomClientFrames = (
    Join
    | SendMessage
    | SetTyping
    | RequestHuman
    | Ping
    | SendRating
    | SendNote
    | TakeOver
    | Close
    | Reopen
    | Assign
)
ClientFrame = Annotated[RoomClientFrames, Field(discriminator="type")]
client_frame_adapter: TypeAdapter[ClientFrame] = TypeAdapter(ClientFrame)

PresenceStatus = Literal["online", "away"]


class SetPresence(Frame):
    """On an agent's inbox socket: the agent's chosen availability, said by every console of
    theirs (the agent is online while any live one says online)."""

    type: Literal["presence.set"]
    status: PresenceStatus


# What an inbox socket may be sent: a room's frames, and `presence.set`, which only the inbox
# takes; rooms never see it.
InboxClientFrame = Annotated[RoomClientFrames | SetPresence, Field(discriminator="type")]
inbox_client_frame_adapter: TypeAdapter[InboxClientFrame] = TypeAdapter(InboxClientFrame)


def client_id_of(frame: Frame) -> str | None:
    """The client id of a send (a message, a note or a rating): what a refusal of it names."""
    return frame.client_id if isinstance(frame, SendMessage | SendNote | SendRating) else None


# ---------------------------------------------------------------- room → client


class Author(Frame):
    id: Id
    role: Role
    name: Annotated[str, Field(max_length=limits.MAX_NAME_CHARS)]


class Citation(Frame):
    """A KB section an answer used; `url` ends with the section's `#anchor`."""

    url: Annotated[str, Field(min_length=1, max_length=limits.MAX_URL_CHARS)]
    title: Annotated[str, Field(max_length=limits.MAX_TITLE_CHARS)]


class Rating(Frame):
    """What a visitor said of a closed conversation: `score` 1..5, `comment` ("" for none),
    shown as text."""

    score: Score
    comment: Comment = ""


class Welcome(Frame):
    """Reply to `join`. `last_seq` is the room's head: the catch-up that follows ends there."""

    type: Literal["welcome"]
    v: Annotated[int, Field(ge=1)]
    conversation_id: Id
    you: Author
    status: Status
    last_seq: Seq


class Message(Frame):
    """One entry of the conversation log. Rendered once per `id`, ordered by `seq`."""

    type: Literal["message"]
    seq: Seq
    id: Id
    client_id: ClientId | None = None
    author: Author
    text: Annotated[str, Field(min_length=1, max_length=limits.MAX_TEXT_CHARS)]
    created_at: Millis
    citations: Annotated[list[Citation], Field(max_length=limits.MAX_CITATIONS)] = []
    # Set on assistant answers: the stream this message completes, and how it ended.
    answer_id: Id | None = None
    resolution: Resolution | None = None


class Event(Frame):
    """A status change, logged in the same sequence as messages so resume replays it too.
    `assigned` and `unassigned` name the `assignee` (None once unassigned) and, like notes, are
    for agents only: a visitor never receives them. `handoff.requested` and `agent.joined` name
    the assistant's `answer_id` when they follow its answer before the visitor wrote again: that
    answer was handed off to a human. `rated` carries the visitor's `rating` and the
    `client_id` of the `rating.send` that made it."""

    type: Literal["event"]
    seq: Seq
    id: Id
    name: EventName
    author: Author
    status: Status
    created_at: Millis
    assignee: Author | None = None
    answer_id: Id | None = None
    client_id: ClientId | None = None
    rating: Rating | None = None


class Note(Frame):
    """An internal note of an agent, in the log's sequence; sent to agents only. A visitor's
    view of the log therefore has gaps in `seq`, which is why clients order by seq and never
    expect it to be dense."""

    type: Literal["note"]
    seq: Seq
    id: Id
    client_id: ClientId | None = None
    author: Author
    text: Annotated[str, Field(min_length=1, max_length=limits.MAX_TEXT_CHARS)]
    created_at: Millis


# Events only agents receive, like notes: the team's own bookkeeping.
AGENT_ONLY_EVENTS = ("assigned", "unassigned")


def agents_only(entry: Message | Event | Note) -> bool:
    """Whether a log entry is for agents only (a note, an assignment): the one rule every path
    to a visitor (the room's live frames and catch-up, the REST history) applies."""
    if isinstance(entry, Note):
        return True
    return isinstance(entry, Event) and entry.name in AGENT_ONLY_EVENTS


class Ack(Frame):
    """The room stored the message sent with `client_id` as `seq`; sent to the sender only."""

    type: Literal["ack"]
    client_id: ClientId
    seq: Seq
    id: Id


class Typing(Frame):
    type: Literal["typing"]
    author: Author
    active: bool


class AssistantDelta(Frame):
    """A piece of an answer being streamed; the final `message` with the same `answer_id`
    replaces the pieces."""

    type: Literal["assistant.delta"]
    answer_id: Id
    text: Annotated[str, Field(min_length=1, max_length=limits.MAX_TEXT_CHARS)]


class AssistantState(Frame):
    """Whether the assistant is working on an answer right now (the console's "AI is
    answering…"): sent to agents when it starts and stops, and to an agent joining meanwhile."""

    type: Literal["assistant.state"]
    answering: bool


class Error(Frame):
    """A refusal. The socket stays open unless the code is `unauthorized` or
    `unsupported_version`; `client_id` names the refused send, if any."""

    type: Literal["error"]
    code: ErrorCode
    message: Annotated[str, Field(max_length=500)]
    client_id: ClientId | None = None


class Pong(Frame):
    type: Literal["pong"]


class ConversationSummary(Frame):
    """One row of an agent's inbox."""

    id: Id
    site_id: Id
    visitor: Author
    status: Status
    last_seq: Seq
    last_text: Annotated[str, Field(max_length=limits.MAX_TEXT_CHARS)]
    last_author_role: Role
    updated_at: Millis
    # The e-mail the visitor left for a reply (outside the site's business hours), if any.
    visitor_email: Annotated[str, Field(max_length=254)] | None = None
    assignee: Author | None = None
    # The visitor's satisfaction score (event `rated`), if they rated the conversation.
    rating: Score | None = None


class InboxUpdate(Frame):
    """Pushed on an agent's inbox socket (joined with an agent token) when a conversation of
    one of the agent's sites changes."""

    type: Literal["inbox.update"]
    conversation: ConversationSummary


class PresentAgent(Frame):
    id: Id
    name: Annotated[str, Field(max_length=limits.MAX_NAME_CHARS)]
    status: PresenceStatus


class SitePresence(Frame):
    """Pushed on inbox sockets whenever a site's presence changes, and once after `join`: the
    whole list of the site's agents with a live console (the first `MAX_PRESENT_AGENTS` by
    name); an agent not in it is away."""

    type: Literal["presence"]
    site_id: Id
    agents: Annotated[list[PresentAgent], Field(max_length=limits.MAX_PRESENT_AGENTS)]


ServerFrame = Annotated[
    Welcome
    | Message
    | Event
    | Note
    | Ack
    | Typing
    | AssistantDelta
    | AssistantState
    | Error
    | Pong
    | InboxUpdate
    | SitePresence,
    Field(discriminator="type"),
]
server_frame_adapter: TypeAdapter[ServerFrame] = TypeAdapter(ServerFrame)
