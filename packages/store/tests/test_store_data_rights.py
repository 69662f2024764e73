"""GDPR export and erase of one visitor in D1: the export holds their profile and every log
entry of their conversations; the erase removes exactly those rows and nobody else's."""

from __future__ import annotations

from helpway.shared import frames
from helpway.store import conversations, data_rights, sites, visitors
from helpway.store.database import Database


async def _chat(db: Database, visitor: visitors.Visitor, text: str) -> str:
    conversation = await conversations.create_conversation(db, "shop", visitor.id)
    await conversations.apply_entries(
        db,
        conversation.id,
        [
            frames.Message(
                type="message", seq=1, id="m1", author=visitor.author(), text=text, created_at=5
            ),
            frames.Message(
                type="message",
                seq=2,
                id="m2",
                author=frames.Author(id="bot", role="assistant", name="Assistant"),
                text="See the guide",
                citations=[frames.Citation(url="/help/a", title="A")],
                answer_id="a1",
                resolution="answered",
                created_at=6,
            ),
        ],
    )
    return conversation.id


async def test_export_then_erase_one_visitor(db: Database) -> None:
    await sites.create_site(db, name="Shop", site_id="shop")
    alice, token = await visitors.create_visitor(db, "shop", user_id="alice", page_url="/p")
    bob, _ = await visitors.create_visitor(db, "shop")
    alice_chat = await _chat(db, alice, "my address is 1 Main St")
    bob_chat = await _chat(db, bob, "bob's words")

    exported = await data_rights.export_visitor(db, alice.id)
    assert exported is not None
    assert exported["visitor"]["id"] == alice.id and exported["visitor"]["user_id"] == "alice"
    assert "token_hash" not in exported["visitor"]
    [conversation] = exported["conversations"]
    assert conversation["id"] == alice_chat
    assert [e["text"] for e in conversation["entries"]] == [
        "my address is 1 Main St",
        "See the guide",
    ]
    assert conversation["entries"][1]["citations"] == [{"url": "/help/a", "title": "A"}]

    assert await data_rights.erase_visitor(db, alice.id) == [alice_chat]
    assert await visitors.resolve_visitor(db, token) is None
    assert await conversations.get_conversation(db, alice_chat) is None
    left = await db.all("SELECT conversation_id FROM messages")
    assert {row["conversation_id"] for row in left} == {bob_chat}
    assert await data_rights.export_visitor(db, alice.id) is None
    assert await data_rights.erase_visitor(db, alice.id) is None
    assert await data_rights.export_visitor(db, bob.id) is not None
