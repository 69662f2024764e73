"""The D1 copy of each room's log: message, note and event rows, read back as wire frames.

Rows only agents may see (`frames.agents_only`: notes, assignment events) are marked
`internal`; a visitor's history page never reads them. A `rated` event's row holds the
visitor's score and comment (0011) and the client id of the rating it came from.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TypeAlias

from helpway.shared import frames, limits, rest

from .database import Database, Row, Statement

Entry: TypeAlias = frames.Message | frames.Event | frames.Note

_COLUMNS = (
    "conversation_id, seq, id, kind, author_id, author_role, author_name, text, client_id, "
    "citations, answer_id, resolution, event_name, status, created_at, internal, assignee_id, "
    "assignee_name, rating, rating_comment"
)


def upsert_statements(conversation_id: str, entries: Sequence[Entry]) -> list[Statement]:
    """Insert statements for log entries that do nothing for a seq already stored.

    A committed entry never changes, so the first write wins and replays are harmless."""
    placeholders = ", ".join("?" * len(_COLUMNS.split(", ")))
    sql = (
        f"INSERT INTO messages ({_COLUMNS}) VALUES ({placeholders}) "
        "ON CONFLICT (conversation_id, seq) DO NOTHING"
    )
    statements: list[Statement] = []
    for entry in entries:
        statements.append((sql, _row_values(conversation_id, entry)))
        if isinstance(entry, frames.Event) and entry.answer_id is not None:
            statements.append((_HANDED_OFF, (conversation_id, entry.answer_id)))
    return statements


# The answer a handoff names ended handed off (a replayed event sets it again: harmless).
_HANDED_OFF = (
    "UPDATE messages SET resolution = 'handed_off' "
    "WHERE conversation_id = ? AND answer_id = ? AND kind = 'message'"
)


def _row_values(conversation_id: str, entry: Entry) -> tuple[object, ...]:
    internal = 1 if frames.agents_only(entry) else 0
    return (*_entry_values(conversation_id, entry), internal, *_assignee(entry), *_rating(entry))


def _assignee(entry: Entry) -> tuple[str | None, str | None]:
    if isinstance(entry, frames.Event) and entry.assignee is not None:
        return entry.assignee.id, entry.assignee.name
    return None, None


def _rating(entry: Entry) -> tuple[int | None, str | None]:
    if isinstance(entry, frames.Event) and entry.rating is not None:
        return entry.rating.score, entry.rating.comment or None
    return None, None


def _entry_values(conversation_id: str, entry: Entry) -> tuple[object, ...]:
    author = entry.author
    if isinstance(entry, frames.Note):
        return (
            conversation_id,
            entry.seq,
            entry.id,
            "message",
            author.id,
            author.role,
            author.name,
            entry.text,
            entry.client_id,
            None,
            None,
            None,
            None,
            None,
            entry.created_at,
        )
    if isinstance(entry, frames.Message):
        citations = (
            json.dumps([c.model_dump() for c in entry.citations]) if entry.citations else None
        )
        return (
            conversation_id,
            entry.seq,
            entry.id,
            "message",
            author.id,
            author.role,
            author.name,
            entry.text,
            entry.client_id,
            citations,
            entry.answer_id,
            entry.resolution,
            None,
            None,
            entry.created_at,
        )
    return (
        conversation_id,
        entry.seq,
        entry.id,
        "event",
        author.id,
        author.role,
        author.name,
        None,
        entry.client_id,
        None,
        entry.answer_id,
        None,
        entry.name,
        entry.status,
        entry.created_at,
    )


def entry_from_row(row: Row) -> Entry:
    author = frames.Author(id=row["author_id"], role=row["author_role"], name=row["author_name"])
    if row["kind"] == "event":
        assignee = None
        if row["assignee_id"] is not None:
            assignee = frames.Author(
                id=row["assignee_id"], role="agent", name=row["assignee_name"] or ""
            )
        rating = None
        if row["rating"] is not None:
            rating = frames.Rating(score=row["rating"], comment=row["rating_comment"] or "")
        return frames.Event(
            type="event",
            seq=row["seq"],
            id=row["id"],
            name=row["event_name"],
            author=author,
            status=row["status"],
            created_at=row["created_at"],
            assignee=assignee,
            answer_id=row["answer_id"],
            client_id=row["client_id"],
            rating=rating,
        )
    if row["internal"]:
        return frames.Note(
            type="note",
            seq=row["seq"],
            id=row["id"],
            client_id=row["client_id"],
            author=author,
            text=row["text"],
            created_at=row["created_at"],
        )
    return frames.Message(
        type="message",
        seq=row["seq"],
        id=row["id"],
        client_id=row["client_id"],
        author=author,
        text=row["text"],
        created_at=row["created_at"],
        citations=[frames.Citation(**c) for c in json.loads(row["citations"] or "[]")],
        answer_id=row["answer_id"],
        resolution=row["resolution"],
    )


async def history_page(
    db: Database,
    conversation_id: str,
    after_seq: int = 0,
    limit: int = limits.HISTORY_PAGE,
    *,
    agents_only: bool = False,
) -> rest.History | None:
    """Entries with seq > `after_seq`, oldest first, at most `limit`; None for an unknown
    conversation. Agents-only entries are read only with `agents_only` (an agent asks), so a
    visitor's page skips them and its seqs have gaps. `last_seq` is the conversation's head (as
    in `welcome`); when `more` is set, ask again after the last entry returned."""
    conversation = await db.first(
        "SELECT status, last_seq FROM conversations WHERE id = ?", (conversation_id,)
    )
    if conversation is None:
        return None
    visible = "" if agents_only else "AND internal = 0 "
    rows = await db.all(
        "SELECT * FROM messages WHERE conversation_id = ? AND seq > ? "
        + visible
        + "ORDER BY seq LIMIT ?",
        (conversation_id, after_seq, limit + 1),
    )
    return rest.History(
        conversation_id=conversation_id,
        status=conversation["status"],
        entries=[entry_from_row(row) for row in rows[:limit]],
        last_seq=conversation["last_seq"],
        more=len(rows) > limit,
    )


async def latest_text(db: Database, conversation_id: str, role: frames.Role) -> str | None:
    """The text of the newest message by someone of `role` (e.g. the visitor's latest
    question), or None if they have said nothing yet."""
    row = await db.first(
        "SELECT text FROM messages WHERE conversation_id = ? AND kind = 'message' "
        "AND author_role = ? ORDER BY seq DESC LIMIT 1",
        (conversation_id, role),
    )
    return None if row is None else str(row["text"])
