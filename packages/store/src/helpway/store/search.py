"""Search over conversation messages for the agents' console (the FTS5 indexes of
`0008_agent_console.sql`).

An agent types words and wants the conversations that say them, so every term must match (AND)
and the last one may be the start of a word still being typed. The query goes to one index:
text holding a script written without spaces (Thai, Chinese, ...) to the trigram index, where a
quoted term matches as a substring; anything else to the word index, Porter-stemmed, so
"refunds" finds "refund". Every term is quoted: agent text never becomes FTS syntax.

Results are conversations, newest activity first like the inbox, each with a snippet of its
newest matching message and where in it the matched terms are (character ranges, so a client
can mark them without ever parsing the snippet as markup), paged with the inbox's cursor.
The site filter applies after the match: the indexes span every site, and a conversation of a
site the caller does not serve is never returned.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from helpway.shared import frames

from .conversations import InboxCursor, summaries
from .database import Database

SEARCH_LIMIT = 50
MAX_TERMS = 16
# Trigram terms shorter than three characters match nothing: they are dropped.
_TRIGRAM = 3
_SNIPPET_TOKENS = 12
# What FTS5 puts around a matched term in a snippet; taken out again by `_marked`.
_OPEN, _CLOSE = "\x02", "\x03"
_NO_SPACE_SCRIPTS = re.compile(
    "[\u0e00-\u0e7f\u0e80-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]"
)
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class SearchHit:
    """A conversation that matches, with its newest matching message."""

    conversation: frames.ConversationSummary
    seq: int
    snippet: str
    created_at: int
    highlights: tuple[tuple[int, int], ...] = ()  # [start, end) of each matched term


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def match_query(text: str) -> tuple[str, str] | None:
    """(FTS table, MATCH expression) for what an agent typed; None when nothing is searchable."""
    if _NO_SPACE_SCRIPTS.search(text):
        terms = [t for t in text.split() if len(t) >= _TRIGRAM][:MAX_TERMS]
        if not terms:
            return None
        return "messages_trigram_fts", " ".join(_quote(t) for t in terms)
    words = _WORD.findall(text.lower())[:MAX_TERMS]
    if not words:
        return None
    quoted = [_quote(w) for w in words]
    quoted[-1] += "*"  # the word being typed
    return "messages_fts", " ".join(quoted)


async def search_messages(
    db: Database,
    site_ids: Iterable[str],
    text: str,
    *,
    limit: int = SEARCH_LIMIT,
    before: InboxCursor | None = None,
) -> tuple[list[SearchHit], bool]:
    """Conversations of these sites with a message matching `text`, and whether more follow
    (ask again `before` the last one)."""
    query = match_query(text)
    sites = list(site_ids)
    if query is None or not sites:
        return [], False
    table, match = query
    cursor = ""
    after: tuple[object, ...] = ()
    if before is not None:
        cursor, after = "AND (c.updated_at, c.id) < (?, ?) ", (before.updated_at, before.id)
    # The newest matching message per conversation: SQLite takes the bare `rowid` from the row
    # holding MAX(seq).
    rows = await db.all(
        "SELECT c.id AS id, hit.seq AS seq, hit.message_rowid AS message_rowid "
        f"FROM (SELECT m.conversation_id, MAX(m.seq) AS seq, m.rowid AS message_rowid "
        f"FROM {table} JOIN messages AS m ON m.rowid = {table}.rowid "
        f"WHERE {table} MATCH ? GROUP BY m.conversation_id) AS hit "
        "JOIN conversations AS c ON c.id = hit.conversation_id "
        "WHERE c.site_id IN (SELECT value FROM json_each(?)) "
        + cursor
        + "ORDER BY c.updated_at DESC, c.id DESC LIMIT ?",
        (match, json.dumps(sites), *after, limit + 1),
    )
    page = rows[:limit]
    found = await summaries(db, [row["id"] for row in page])
    snippets = await _snippets(db, table, match, [row["message_rowid"] for row in page])
    hits = []
    for row in page:
        summary = found.get(row["id"])
        marked, created_at = snippets.get(row["message_rowid"], ("", 0))
        if summary is not None:  # erased between the two reads
            snippet, highlights = _marked(marked)
            hits.append(SearchHit(summary, row["seq"], snippet, created_at, highlights))
    return hits, len(rows) > limit


async def _snippets(
    db: Database, table: str, match: str, rowids: list[int]
) -> dict[int, tuple[str, int]]:
    """Message rowid -> (snippet around the match, when the message was sent), for one page:
    snippets cost a read of the text, so only the rows shown get one."""
    if not rowids:
        return {}
    rows = await db.all(
        f"SELECT {table}.rowid AS rowid, m.created_at AS created_at, "
        f"snippet({table}, 0, ?, ?, '…', {_SNIPPET_TOKENS}) AS snippet "
        f"FROM {table} JOIN messages AS m ON m.rowid = {table}.rowid "
        f"WHERE {table} MATCH ? AND {table}.rowid IN (SELECT value FROM json_each(?))",
        (_OPEN, _CLOSE, match, json.dumps(rowids)),
    )
    return {row["rowid"]: (row["snippet"], row["created_at"]) for row in rows}


def _marked(snippet: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The snippet without FTS5's marks, and the ranges they enclosed. A message holding the
    mark characters itself (control characters no one types) loses them from its snippet, and
    a range may be off; an unpaired mark encloses nothing."""
    text: list[str] = []
    ranges: list[tuple[int, int]] = []
    start: int | None = None
    for char in snippet:
        if char == _OPEN:
            start = len(text)
        elif char == _CLOSE:
            if start is not None and start < len(text):
                ranges.append((start, len(text)))
            start = None
        else:
            text.append(char)
    return "".join(text), tuple(ranges)
