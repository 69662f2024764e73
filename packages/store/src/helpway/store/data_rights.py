"""A visitor's data rights in D1: export everything stored about them as JSON, and erase it.

Erasing removes the visitor, their conversations and every log entry of those conversations in
one batch, so nothing half-erased is ever visible. The message search indexes (0008) drop deleted
rows only as tombstones, leaving the words in older segments until a merge: the batch ends by
optimizing both (a rewrite of the index, which an erase — rare — can afford), so no word of the
visitor's stays in them. The caller erases what lives outside D1 —
each conversation's room storage (log and outbox) — using the conversation ids returned.
"""

from __future__ import annotations

import json
from typing import Any

from .database import Database, Statement

# Rewrite the message search indexes without the entries of deleted rows (see above).
PURGE_MESSAGE_INDEXES: list[Statement] = [
    ("INSERT INTO messages_fts (messages_fts) VALUES ('optimize')", ()),
    ("INSERT INTO messages_trigram_fts (messages_trigram_fts) VALUES ('optimize')", ()),
]
_VISITOR_COLUMNS = (
    "id, site_id, name, locale, page_url, user_id, time_zone, user_agent, email, email_at, "
    "created_at, last_seen_at"
)
# `internal` marks what agents wrote for each other (notes, assignments): an export says so
# rather than passing a note off as a message the visitor was sent. A `rated` event carries the
# visitor's own score and comment.
_MESSAGE_COLUMNS = (
    "seq, id, kind, author_id, author_role, author_name, text, client_id, citations, answer_id, "
    "resolution, event_name, status, created_at, internal, assignee_id, assignee_name, rating, "
    "rating_comment"
)


async def export_visitor(db: Database, visitor_id: str) -> dict[str, Any] | None:
    """Everything D1 holds about the visitor (never their token's hash); None if unknown."""
    visitor = await db.first(f"SELECT {_VISITOR_COLUMNS} FROM visitors WHERE id = ?", (visitor_id,))
    if visitor is None:
        return None
    conversations = []
    for row in await db.all(
        "SELECT id, status, rating, created_at, updated_at FROM conversations WHERE visitor_id = ? "
        "ORDER BY created_at, id",
        (visitor_id,),
    ):
        log = await db.all(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? ORDER BY seq",
            (row["id"],),
        )
        entries = [
            {
                key: json.loads(value) if key == "citations" and value else value
                for key, value in entry.items()
                if value is not None
            }
            for entry in log
        ]
        conversations.append({**row, "entries": entries})
    return {"visitor": dict(visitor), "conversations": conversations}


async def erase_visitor(db: Database, visitor_id: str) -> list[str] | None:
    """Delete the visitor and everything of theirs; returns their conversation ids (to erase
    their room storage too), or None if the visitor is unknown."""
    if await db.first("SELECT 1 FROM visitors WHERE id = ?", (visitor_id,)) is None:
        return None
    rows = await db.all("SELECT id FROM conversations WHERE visitor_id = ?", (visitor_id,))
    mine = "SELECT id FROM conversations WHERE visitor_id = ?"
    await db.batch(
        [
            (f"DELETE FROM messages WHERE conversation_id IN ({mine})", (visitor_id,)),
            ("DELETE FROM conversations WHERE visitor_id = ?", (visitor_id,)),
            ("DELETE FROM visitors WHERE id = ?", (visitor_id,)),
            *PURGE_MESSAGE_INDEXES,
        ]
    )
    return [row["id"] for row in rows]
