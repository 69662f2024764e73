"""The agent console's store: message search (both FTS indexes), canned responses and the
visitor's browser context — on local SQLite and on the D1 double alike (the `db` fixture)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpway.shared import frames
from helpway.store import canned, conversations, data_rights, search, sites, visitors
from helpway.store.cloudflare.d1 import D1Database
from helpway.store.cloudflare.testing import FakeD1
from helpway.store.database import Database
from helpway.store.errors import Conflict
from helpway.store.migrate import MIGRATIONS_DIR, apply_migrations
from helpway.store.sqlite import SqliteDatabase


async def _conversation(db: Database, site_id: str, texts: list[str], at: int) -> str:
    visitor, _ = await visitors.create_visitor(db, site_id)
    made = await conversations.create_conversation(db, site_id, visitor.id, now=1)
    agent = frames.Author(id="a", role="agent", name="A")
    entries: list[frames.Message | frames.Event] = [
        frames.Message(
            type="message",
            seq=i + 1,
            id=f"m{i + 1}",
            author=visitor.author() if i % 2 == 0 else agent,
            text=text,
            created_at=at + i,
        )
        for i, text in enumerate(texts)
    ]
    await conversations.apply_entries(db, made.id, entries)
    return made.id


@pytest.fixture
async def two_sites(db: Database) -> tuple[str, str]:
    await sites.create_site(db, name="One", site_id="one")
    await sites.create_site(db, name="Two", site_id="two")
    return "one", "two"


async def test_search_finds_stemmed_words_with_a_snippet_of_the_newest_match(
    db: Database, two_sites: tuple[str, str]
) -> None:
    refund = await _conversation(
        db, "one", ["I was charged twice", "We refunded the first charge", "Thanks"], at=1_000
    )
    await _conversation(db, "one", ["How do I export my data?"], at=2_000)
    hits, more = await search.search_messages(db, ["one"], "charges")
    assert [hit.conversation.id for hit in hits] == [refund] and not more
    assert (hits[0].seq, hits[0].created_at) == (2, 1_001)  # the newest matching message
    assert "refunded the first charge" in hits[0].snippet
    [(start, end)] = hits[0].highlights  # the matched word, by character range
    assert hits[0].snippet[start:end] == "charge"
    # Every term must match, the last may be a word still being typed.
    assert await _found(db, ["one"], "refu") == [refund]
    assert (await search.search_messages(db, ["one"], "charged export"))[0] == []


async def test_search_reads_scripts_without_spaces_through_trigrams(
    db: Database, two_sites: tuple[str, str]
) -> None:
    thai = await _conversation(db, "one", ["ฉันลืมรหัสผ่านของฉัน"], at=1_000)  # I forgot my password
    await _conversation(db, "one", ["ขอบคุณมากครับ"], at=2_000)
    hits, _ = await search.search_messages(db, ["one"], "รหัสผ่าน")  # password
    assert [hit.conversation.id for hit in hits] == [thai]
    assert "รหัสผ่าน" in hits[0].snippet
    assert [hits[0].snippet[s:e] for s, e in hits[0].highlights] == ["รหัสผ่าน"]
    assert (await search.search_messages(db, ["one"], "รห"))[0] == []  # under a trigram


async def test_search_stays_within_the_callers_sites(
    db: Database, two_sites: tuple[str, str]
) -> None:
    mine = await _conversation(db, "one", ["my invoice is wrong"], at=1_000)
    theirs = await _conversation(db, "two", ["my invoice is late"], at=2_000)
    assert await _found(db, ["one"], "invoice") == [mine]
    assert await _found(db, ["one", "two"], "invoice") == [theirs, mine]
    assert await _found(db, [], "invoice") == []


async def test_search_pages_newest_activity_first(db: Database, two_sites: tuple[str, str]) -> None:
    made = [await _conversation(db, "one", [f"order {i} lost"], at=1_000 + i) for i in range(5)]
    first, more = await search.search_messages(db, ["one"], "lost", limit=2)
    assert [h.conversation.id for h in first] == made[:2:-1][:2] and more
    last = first[-1].conversation
    cursor = conversations.InboxCursor(updated_at=last.updated_at, id=last.id)
    rest, _ = await search.search_messages(db, ["one"], "lost", limit=10, before=cursor)
    assert [h.conversation.id for h in rest] == made[2::-1]


async def test_search_treats_fts_syntax_as_text_and_forgets_erased_messages(
    db: Database, two_sites: tuple[str, str]
) -> None:
    for typed in ('"', "NEAR(", "a OR b*", "-", "* ^ :"):
        assert isinstance((await search.search_messages(db, ["one"], typed))[0], list)
    gone = await _conversation(db, "one", ["secret kiwi"], at=1_000)
    conversation = await conversations.get_conversation(db, gone)
    assert conversation is not None
    assert len((await search.search_messages(db, ["one"], "kiwi"))[0]) == 1
    await data_rights.erase_visitor(db, conversation.visitor_id)
    assert (await search.search_messages(db, ["one"], "kiwi"))[0] == []


async def _found(db: Database, site_ids: list[str], text: str) -> list[str]:
    return [hit.conversation.id for hit in (await search.search_messages(db, site_ids, text))[0]]


async def test_canned_responses_per_site_with_unique_shortcuts(
    db: Database, two_sites: tuple[str, str]
) -> None:
    refund = await canned.create_canned(db, "one", "refund", "Refunds", "We refund in 5 days.")
    await canned.create_canned(db, "one", "hello", "Greeting", "Hi! How can I help?")
    await canned.create_canned(db, "two", "refund", "Theirs", "Another site's words.")
    assert [c.shortcut for c in await canned.list_canned(db, "one")] == ["hello", "refund"]
    with pytest.raises(Conflict):
        await canned.create_canned(db, "one", "refund", "Again", "Twice")
    with pytest.raises(Conflict):
        await canned.update_canned(db, "one", refund.id, "hello", "Refunds", "x")

    changed = await canned.update_canned(db, "one", refund.id, "refunds", "Refunds", "In 3 days.")
    assert changed is not None and (changed.shortcut, changed.text) == ("refunds", "In 3 days.")
    assert await canned.update_canned(db, "two", refund.id, "x", "x", "x") is None
    assert not await canned.delete_canned(db, "two", refund.id)  # not that site's
    assert await canned.delete_canned(db, "one", refund.id)
    assert [c.shortcut for c in await canned.list_canned(db, "one")] == ["hello"]
    assert [c.title for c in await canned.list_canned(db, "two")] == ["Theirs"]


async def test_visitor_keeps_time_zone_and_user_agent(
    db: Database, two_sites: tuple[str, str]
) -> None:
    visitor, _ = await visitors.create_visitor(
        db, "one", time_zone="Asia/Bangkok", user_agent="Mozilla/5.0 Firefox/128.0", now=5
    )
    await visitors.touch_visitor(db, visitor.id, time_zone="Europe/Paris", now=9)
    again = await visitors.get_visitor(db, visitor.id)
    assert again is not None
    assert (again.time_zone, again.user_agent) == ("Europe/Paris", "Mozilla/5.0 Firefox/128.0")
    exported = await data_rights.export_visitor(db, visitor.id)
    assert exported is not None and exported["visitor"]["time_zone"] == "Europe/Paris"


@pytest.mark.parametrize("adapter", ["sqlite", "d1"])
async def test_messages_stored_before_the_search_migration_are_found(
    adapter: str, tmp_path: Path
) -> None:
    """0008 indexes the messages already there (its FTS 'rebuild'), not only new ones."""
    before = tmp_path / "before"
    before.mkdir()
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        if path.name < "0008":
            (before / path.name).write_text(path.read_text())
    binding = FakeD1(tmp_path / "d1.sqlite")
    local = SqliteDatabase(tmp_path / "local.sqlite")
    older: Database = local if adapter == "sqlite" else D1Database(binding)
    try:
        await apply_migrations(older, before)
        # Rows as the code before 0008 wrote them (it knew no time zone).
        await older.batch(
            [
                ("INSERT INTO sites (id, name, created_at) VALUES ('one', 'One', 1)", ()),
                (
                    "INSERT INTO visitors (id, site_id, token_hash, name, created_at, "
                    "last_seen_at) VALUES ('v', 'one', 'h', 'V', 1, 1)",
                    (),
                ),
                (
                    "INSERT INTO conversations (id, site_id, visitor_id, last_seq, last_text, "
                    "last_author_role, created_at, updated_at)"
                    " VALUES ('c', 'one', 'v', 1, 'old bananas', 'visitor', 1, 2)",
                    (),
                ),
            ]
        )
        # The log row as stored then (today's writes need later columns).
        await older.run(
            "INSERT INTO messages (conversation_id, seq, id, kind, author_id, author_role, "
            "author_name, text, created_at) VALUES ('c', 1, 'm1', 'message', 'v', 'visitor', "
            "'V', 'old bananas', 2)"
        )
        assert "0008_agent_console.sql" in await apply_migrations(older)
        assert await _found(older, ["one"], "banana") == ["c"]
    finally:
        local.close()
        binding.close()
