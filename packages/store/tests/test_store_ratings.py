"""The visitor's CSAT rating in D1 (0011), on SQLite and the D1 adapter: the `rated` event's row
reads back as it was sent, the inbox row carries the score, a visitor's export has it and an
erase leaves nothing of it."""

from __future__ import annotations

from helpway.shared import frames
from helpway.store import conversations, data_rights, messages, sites, visitors
from helpway.store.database import Database

AGENT = frames.Author(id="a1", role="agent", name="Ada")


async def _rated_chat(db: Database, comment: str) -> tuple[str, visitors.Visitor, frames.Event]:
    await sites.create_site(db, name="Shop", site_id="shop")
    visitor, _ = await visitors.create_visitor(db, "shop")
    conversation = await conversations.create_conversation(db, "shop", visitor.id)
    rated = frames.Event(
        type="event",
        seq=3,
        id=f"{conversation.id}.3",
        name="rated",
        author=visitor.author(),
        status="closed",
        created_at=30,
        client_id="r1",
        rating=frames.Rating(score=4, comment=comment),
    )
    entries: list[messages.Entry] = [
        frames.Message(
            type="message", seq=1, id="m1", author=visitor.author(), text="hi", created_at=10
        ),
        frames.Event(
            type="event",
            seq=2,
            id="e2",
            name="closed",
            author=AGENT,
            status="closed",
            created_at=20,
        ),
        rated,
    ]
    await conversations.apply_entries(db, conversation.id, entries)
    return conversation.id, visitor, rated


async def test_a_rating_reads_back_in_the_history_and_the_inbox(db: Database) -> None:
    conversation_id, _visitor, rated = await _rated_chat(db, "Quick <b>and</b> kind")
    page = await messages.history_page(db, conversation_id)
    assert page is not None and page.status == "closed"
    assert page.entries[-1] == rated  # the comment exactly as typed, markup and all
    summary = await conversations.conversation_summary(db, conversation_id)
    assert summary is not None and summary.rating == 4 and summary.status == "closed"
    [row] = await conversations.inbox(db, ["shop"], filter="closed")
    assert row.rating == 4
    # Applied again (an outbox retry): still one rating.
    await conversations.apply_entries(db, conversation_id, [rated])
    count = await db.first("SELECT COUNT(*) AS n FROM messages WHERE rating IS NOT NULL")
    assert count is not None and count["n"] == 1


async def test_an_unrated_conversation_has_no_rating(db: Database) -> None:
    await sites.create_site(db, name="Shop", site_id="shop")
    visitor, _ = await visitors.create_visitor(db, "shop")
    conversation = await conversations.create_conversation(db, "shop", visitor.id)
    message = frames.Message(
        type="message", seq=1, id="m1", author=visitor.author(), text="hi", created_at=10
    )
    summary = await conversations.apply_entries(db, conversation.id, [message])
    assert summary is not None and summary.rating is None


async def test_a_rating_without_a_comment_reads_back_with_an_empty_one(db: Database) -> None:
    conversation_id, _visitor, rated = await _rated_chat(db, "")
    page = await messages.history_page(db, conversation_id)
    assert page is not None and page.entries[-1] == rated
    assert rated.rating is not None and rated.rating.comment == ""


async def test_the_export_has_the_rating_and_the_erase_removes_it(db: Database) -> None:
    conversation_id, visitor, _rated = await _rated_chat(db, "Helpful, thanks")
    exported = await data_rights.export_visitor(db, visitor.id)
    assert exported is not None
    [conversation] = exported["conversations"]
    assert conversation["rating"] == 4
    [entry] = [e for e in conversation["entries"] if e.get("event_name") == "rated"]
    assert (entry["rating"], entry["rating_comment"]) == (4, "Helpful, thanks")

    assert await data_rights.erase_visitor(db, visitor.id) == [conversation_id]
    left = await db.all(
        "SELECT 1 FROM messages WHERE rating IS NOT NULL OR rating_comment IS NOT NULL"
    )
    assert left == []
    assert await db.all("SELECT 1 FROM conversations WHERE rating IS NOT NULL") == []
