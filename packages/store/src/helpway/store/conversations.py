"""Conversations: who talks on which site, and the summary the agents' inbox lists.

The room (a Durable Object, or the local host) owns a conversation's log; D1 holds a copy that
the room's outbox publishes into with `apply_entries`. That copy is what the inbox and the REST
history read, so applying must be idempotent and order-insensitive: an outbox retries.

Closed-conversation policy (see `helpway.rooms.room`): a visitor has one current conversation,
their newest, whatever its status. A closed one stays current — the widget shows it closed
after a reload — and the visitor's next message reopens it in the room.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from helpway.shared import frames
from helpway.shared.rest import InboxFilter

from .database import Database, Row, Statement
from .errors import NotFound
from .ids import new_id, now_ms
from .messages import Entry, upsert_statements

# Conversations per inbox page, besides those waiting for a human (see `inbox`).
INBOX_LIMIT = 100
WAITING_LIMIT = 1000


@dataclass(frozen=True)
class Conversation:
    id: str
    site_id: str
    visitor_id: str
    status: frames.Status
    last_seq: int
    created_at: int
    updated_at: int
    assignee_id: str | None = None

    @classmethod
    def from_row(cls, row: Row) -> Conversation:
        return cls(
            id=row["id"],
            site_id=row["site_id"],
            visitor_id=row["visitor_id"],
            status=row["status"],
            last_seq=row["last_seq"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            assignee_id=row["assignee_id"],
        )


async def create_conversation(
    db: Database, site_id: str, visitor_id: str, *, now: int | None = None
) -> Conversation:
    now = now_ms() if now is None else now
    conversation = Conversation(
        id=new_id(),
        site_id=site_id,
        visitor_id=visitor_id,
        status="open",
        last_seq=0,
        created_at=now,
        updated_at=now,
    )
    await db.run(
        "INSERT INTO conversations (id, site_id, visitor_id, status, last_seq, created_at, "
        "updated_at) VALUES (?, ?, ?, 'open', 0, ?, ?)",
        (conversation.id, site_id, visitor_id, now, now),
    )
    return conversation


async def current_or_new_conversation(
    db: Database, site_id: str, visitor_id: str, *, now: int | None = None
) -> Conversation:
    """The visitor's current conversation, made if it has none. One statement decides, so
    callers racing each other (two tabs, a double click, each D1 call a round trip apart) all
    get the same conversation; the unique index of live conversations per visitor (migration
    0012) backs it for any other writer."""
    now = now_ms() if now is None else now
    await db.run(
        "INSERT OR IGNORE INTO conversations (id, site_id, visitor_id, status, last_seq, "
        "created_at, updated_at) SELECT ?, ?, ?, 'open', 0, ?, ? "
        "WHERE NOT EXISTS (SELECT 1 FROM conversations WHERE visitor_id = ?)",
        (new_id(), site_id, visitor_id, now, now, visitor_id),
    )
    current = await current_conversation_of(db, visitor_id)
    if current is None:  # the visitor was erased meanwhile
        raise NotFound(f"visitor {visitor_id!r}")
    return current


async def get_conversation(db: Database, conversation_id: str) -> Conversation | None:
    row = await db.first("SELECT * FROM conversations WHERE id = ?", (conversation_id,))
    return None if row is None else Conversation.from_row(row)


async def current_conversation_of(db: Database, visitor_id: str) -> Conversation | None:
    """The visitor's current conversation: their newest, closed or not (the policy above)."""
    row = await db.first(
        "SELECT * FROM conversations WHERE visitor_id = ? "
        "ORDER BY created_at DESC, id DESC LIMIT 1",
        (visitor_id,),
    )
    return None if row is None else Conversation.from_row(row)


@dataclass(frozen=True)
class InboxCursor:
    """Where an inbox page ends: the activity time and id of its last row."""

    updated_at: int
    id: str


_SUMMARY_SELECT = (
    "SELECT c.id, c.site_id, c.status, c.last_seq, c.last_text, c.last_author_role, "
    "c.updated_at, v.id AS visitor_id, v.name AS visitor_name, v.email AS visitor_email, "
    "c.assignee_id, a.name AS assignee_name, c.rating "
    "FROM conversations AS c JOIN visitors AS v ON v.id = c.visitor_id "
    "LEFT JOIN agents AS a ON a.id = c.assignee_id "
)
_INBOX_WHERE = (
    "WHERE c.site_id IN (SELECT value FROM json_each(?)) AND c.last_author_role IS NOT NULL "
)
# What each inbox filter adds to the query; `?` is the asking agent's id.
_FILTERS: dict[InboxFilter, str] = {
    "all": "",
    "open": "AND c.status != 'closed' ",
    "waiting": "AND c.status = 'waiting_human' ",
    "mine": "AND c.assignee_id = ? AND c.status != 'closed' ",
    "unassigned": "AND c.assignee_id IS NULL AND c.status != 'closed' ",
    "closed": "AND c.status = 'closed' ",
}
_NEWEST_FIRST = "ORDER BY c.updated_at DESC, c.id DESC LIMIT ?"


def _summary(row: Row) -> frames.ConversationSummary:
    assignee = None
    if row["assignee_id"] is not None:
        name = row["assignee_name"] or ""
        assignee = frames.Author(id=row["assignee_id"], role="agent", name=name)
    return frames.ConversationSummary(
        id=row["id"],
        site_id=row["site_id"],
        visitor=frames.Author(id=row["visitor_id"], role="visitor", name=row["visitor_name"]),
        status=row["status"],
        last_seq=row["last_seq"],
        last_text=row["last_text"],
        last_author_role=row["last_author_role"],
        updated_at=row["updated_at"],
        visitor_email=row["visitor_email"],
        assignee=assignee,
        rating=row["rating"],
    )


async def inbox(
    db: Database,
    site_ids: Iterable[str],
    *,
    limit: int = INBOX_LIMIT,
    before: InboxCursor | None = None,
    filter: InboxFilter = "all",
    agent_id: str = "",
) -> list[frames.ConversationSummary]:
    """Conversations of these sites holding at least one message, for the agents' inbox.

    `filter` narrows both lists below (`mine`: assigned to `agent_id`); paging works the same
    for every filter, so the `waiting` filter is one page and `closed` pages like the others.

    The first page (no `before`) lists every conversation waiting for a human first, then the
    `limit` most recently active others, so no amount of traffic pushes a visitor who asked for a
    person out of sight. Each list is newest activity first. Later pages (`before`: the last
    other row of the page before) hold the next `limit` others. `WAITING_LIMIT` only guards the
    response size against a flood; it is not a page size.

    The site list travels as one JSON parameter, so it is not bound by D1's 100-parameter cap."""
    sites = json.dumps(list(site_ids))
    where = _INBOX_WHERE + _FILTERS[filter]
    scope: tuple[object, ...] = (sites, agent_id) if filter == "mine" else (sites,)
    waiting: list[Row] = []
    cursor = ""
    after: tuple[object, ...] = ()
    if before is None:
        waiting = await db.all(
            _SUMMARY_SELECT + where + "AND c.status = 'waiting_human' " + _NEWEST_FIRST,
            (*scope, WAITING_LIMIT),
        )
    else:
        cursor, after = "AND (c.updated_at, c.id) < (?, ?) ", (before.updated_at, before.id)
    others = await db.all(
        _SUMMARY_SELECT + where + "AND c.status != 'waiting_human' " + cursor + _NEWEST_FIRST,
        (*scope, *after, limit),
    )
    return [_summary(row) for row in (*waiting, *others)]


async def conversation_summary(
    db: Database, conversation_id: str
) -> frames.ConversationSummary | None:
    """The inbox row of one conversation; None until it holds a message."""
    row = await db.first(
        _SUMMARY_SELECT + "WHERE c.id = ? AND c.last_author_role IS NOT NULL", (conversation_id,)
    )
    return None if row is None else _summary(row)


async def summaries(
    db: Database, conversation_ids: Sequence[str]
) -> dict[str, frames.ConversationSummary]:
    """The inbox rows of these conversations, by id (those without a message are absent). The
    ids travel as one JSON parameter, so any number fits D1's parameter cap."""
    rows = await db.all(
        _SUMMARY_SELECT + "WHERE c.id IN (SELECT value FROM json_each(?)) "
        "AND c.last_author_role IS NOT NULL",
        (json.dumps(list(conversation_ids)),),
    )
    return {row["id"]: _summary(row) for row in rows}


# Recomputed from the stored log rather than from the entries at hand, so applying batches
# twice, or out of order, always lands on the summary of the newest stored entries.
_REFRESH_SUMMARY = """
UPDATE conversations SET
    last_seq = COALESCE((SELECT MAX(seq) FROM messages WHERE conversation_id = ?1), last_seq),
    updated_at = MAX(updated_at, COALESCE(
        (SELECT MAX(created_at) FROM messages WHERE conversation_id = ?1), updated_at)),
    status = COALESCE((SELECT status FROM messages WHERE conversation_id = ?1 AND kind = 'event'
        ORDER BY seq DESC LIMIT 1), status),
    last_text = COALESCE((SELECT text FROM messages WHERE conversation_id = ?1
        AND kind = 'message' AND internal = 0 ORDER BY seq DESC LIMIT 1), last_text),
    last_author_role = COALESCE((SELECT author_role FROM messages WHERE conversation_id = ?1
        AND kind = 'message' AND internal = 0 ORDER BY seq DESC LIMIT 1), last_author_role),
    assignee_id = (SELECT assignee_id FROM messages WHERE conversation_id = ?1 AND kind = 'event'
        AND event_name IN ('assigned', 'unassigned') ORDER BY seq DESC LIMIT 1),
    rating = (SELECT rating FROM messages WHERE conversation_id = ?1 AND kind = 'event'
        AND event_name = 'rated' ORDER BY seq DESC LIMIT 1)
WHERE id = ?1
"""


async def apply_entries(
    db: Database, conversation_id: str, entries: Sequence[Entry]
) -> frames.ConversationSummary | None:
    """Copy committed log entries into D1 and refresh the conversation's summary, atomically.

    Idempotent: an entry whose seq is already stored is skipped. Returns the refreshed inbox
    row (None while the conversation holds no message). Raises `NotFound` for an unknown
    conversation, so an outbox keeps the entries and retries instead of dropping them."""
    if await get_conversation(db, conversation_id) is None:
        raise NotFound(f"conversation {conversation_id!r}")
    if entries:
        await db.batch(apply_statements(conversation_id, entries))
    return await conversation_summary(db, conversation_id)


def apply_statements(conversation_id: str, entries: Sequence[Entry]) -> list[Statement]:
    """What `apply_entries` runs for one conversation, for a caller that puts several
    conversations' entries in one `batch` (one transaction, so one disk sync, for them all)."""
    return [*upsert_statements(conversation_id, entries), (_REFRESH_SUMMARY, (conversation_id,))]


async def existing_ids(db: Database, conversation_ids: Sequence[str]) -> set[str]:
    """Which of these conversations exist, in one query (the ids travel as one JSON
    parameter)."""
    rows = await db.all(
        "SELECT id FROM conversations WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps(list(conversation_ids)),),
    )
    return {row["id"] for row in rows}
