"""Tenancy in the store, on both adapters (local SQLite and the D1 double): the owner role
(0009 keeps every earlier role), one-time expiring invites stored hashed, and deleting a site
removes every row of it and nothing of another site."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpway.shared import frames
from helpway.store import (
    agent_sessions,
    agents,
    api_keys,
    conversations,
    data_rights,
    invites,
    kb,
    passwords,
    sites,
    visitors,
)
from helpway.store.database import Database
from helpway.store.errors import Conflict
from helpway.store.ids import hash_token
from helpway.store.migrate import MIGRATIONS_DIR, apply_migrations
from helpway.store.sqlite import SqliteDatabase

PASSWORD = "tenancy password"


async def test_0009_keeps_roles_and_admits_owners(tmp_path: Path) -> None:
    before = tmp_path / "before"
    before.mkdir()
    for path in MIGRATIONS_DIR.glob("*.sql"):
        if path.name < "0009":
            shutil.copy(path, before / path.name)
    db = SqliteDatabase(tmp_path / "d1.sqlite")
    await apply_migrations(db, before)
    await sites.create_site(db, name="A", site_id="a")
    ada = await agents.create_agent(db, email="ada@a.example", name="Ada", password=PASSWORD)
    bob = await agents.create_agent(db, email="bob@a.example", name="Bob", password=PASSWORD)
    await agents.add_agent_to_site(db, "a", ada.id, "admin")
    await agents.add_agent_to_site(db, "a", bob.id, "agent")
    assert "0009_owners_and_invites.sql" in await apply_migrations(db)
    assert await agents.site_role(db, ada.id, "a") == "admin"
    assert await agents.site_role(db, bob.id, "a") == "agent"
    await agents.add_agent_to_site(db, "a", ada.id, "owner")
    assert [(m.agent.email, m.role) for m in await agents.site_members(db, "a")] == [
        ("ada@a.example", "owner"),
        ("bob@a.example", "agent"),
    ]
    assert await agents.owner_count(db, "a") == 1
    db.close()


async def test_an_invite_is_used_once_and_stored_hashed(db: Database) -> None:
    await sites.create_site(db, name="A", site_id="a")
    invite, token = await invites.create_invite(db, "a", " New@A.example ", "admin")
    assert token.startswith("hwi_") and invite.email == "new@a.example"
    row = await db.first("SELECT * FROM agent_invites WHERE id = ?", (invite.id,))
    assert row is not None and token not in str(row) and row["token_hash"] == hash_token(token)

    with pytest.raises(passwords.WeakPassword):
        await invites.accept_invite(db, token, name="New", password="short")
    agent, used = await invites.accept_invite(db, token, name="New", password=PASSWORD)
    assert used.id == invite.id and await agents.site_role(db, agent.id, "a") == "admin"
    assert await agents.authenticate_agent(db, "new@a.example", PASSWORD) is not None
    with pytest.raises(invites.InviteUnusable):
        await invites.accept_invite(db, token, name="Again", password=PASSWORD)
    with pytest.raises(invites.InviteUnusable):
        await invites.accept_invite(db, "hwi_" + "x" * 43, name="Guess", password=PASSWORD)
    [listed] = await invites.list_invites(db, "a")
    assert listed.used_at is not None


async def test_an_expired_invite_is_dead(db: Database) -> None:
    await sites.create_site(db, name="A", site_id="a")
    _, token = await invites.create_invite(db, "a", "late@a.example", "agent", now=1_000, ttl_ms=10)
    with pytest.raises(invites.InviteUnusable):
        await invites.accept_invite(db, token, name="Late", password=PASSWORD, now=1_010)
    assert await agents.find_agent(db, "late@a.example") is None
    assert await invites.live_invite(db, token, now=1_009) is not None


async def test_an_existing_account_accepts_with_its_own_password(db: Database) -> None:
    for site_id in ("a", "b"):
        await sites.create_site(db, name=site_id, site_id=site_id)
    ada = await agents.create_agent(db, email="ada@a.example", name="Ada", password=PASSWORD)
    await agents.add_agent_to_site(db, "b", ada.id, "owner")
    _, token = await invites.create_invite(db, "a", "ada@a.example", "agent")
    with pytest.raises(Conflict):
        await invites.accept_invite(db, token, name="Mallory", password="not her password")
    agent, _ = await invites.accept_invite(db, token, name="Mallory", password=PASSWORD)
    assert agent.id == ada.id and agent.name == "Ada"
    assert await agents.site_role(db, ada.id, "a") == "agent"
    assert await agents.site_role(db, ada.id, "b") == "owner"
    # An invite never lowers a role the agent holds.
    _, again = await invites.create_invite(db, "b", "ada@a.example", "agent")
    await invites.accept_invite(db, again, name="Ada", password=PASSWORD)
    assert await agents.site_role(db, ada.id, "b") == "owner"


async def test_owners_are_not_invited(db: Database) -> None:
    await sites.create_site(db, name="A", site_id="a")
    with pytest.raises(ValueError, match="agent or admin"):
        await invites.create_invite(db, "a", "x@a.example", "owner")


async def _populate(db: Database, site_id: str) -> tuple[str, str]:
    await sites.create_site(db, name=site_id, site_id=site_id)
    agent = await agents.create_agent(
        db, email=f"agent@{site_id}.example", name="A", password=PASSWORD
    )
    await agents.add_agent_to_site(db, site_id, agent.id, "owner")
    await agent_sessions.create_agent_session(db, agent.id)
    visitor, _ = await visitors.create_visitor(db, site_id)
    conversation = await conversations.create_conversation(db, site_id, visitor.id)
    message = frames.Message(
        type="message", seq=1, id="m1", author=visitor.author(), text="hi", created_at=1
    )
    await conversations.apply_entries(db, conversation.id, [message])
    await api_keys.create_api_key(db, site_id, "ci", ["kb:read"])
    await invites.create_invite(db, site_id, f"new@{site_id}.example", "agent")
    doc = kb.KbDocument(
        id=kb.document_id(site_id, "/help/x"),
        site_id=site_id,
        url="/help/x",
        title="X",
        format="markdown",
        source=None,
        content_hash="h",
        chunk_count=0,
        updated_at=1,
    )
    await kb.save_document(db, doc, [])
    await db.run(
        "INSERT INTO canned_responses (id, site_id, shortcut, title, text, created_at, "
        "updated_at) VALUES (?, ?, 'hi', 'Hi', 'Hello!', 1, 1)",
        (f"canned-{site_id}", site_id),
    )
    return agent.id, conversation.id


async def _count(db: Database, table: str, site_id: str) -> int:
    column = "id" if table == "sites" else "site_id"
    row = await db.first(f"SELECT COUNT(*) AS n FROM {table} WHERE {column} = ?", (site_id,))
    assert row is not None
    return int(row["n"])


SITE_TABLES = (
    "sites",
    "site_agents",
    "visitors",
    "conversations",
    "api_keys",
    "agent_invites",
    "kb_documents",
    "canned_responses",
)


async def test_deleting_a_site_removes_its_rows_only(db: Database) -> None:
    agent_id, conversation_id = await _populate(db, "gone")
    await _populate(db, "kept")
    deleted = await sites.delete_site(db, "gone")
    assert deleted is not None
    assert deleted.conversation_ids == [conversation_id] and deleted.visitors == 1
    for table in SITE_TABLES:
        assert await _count(db, table, "gone") == 0, table
        assert await _count(db, table, "kept") == 1, table
    orphan = await db.first(
        "SELECT COUNT(*) AS n FROM messages WHERE conversation_id = ?", (conversation_id,)
    )
    assert orphan == {"n": 0}
    # The owner's account stays (it may answer for other sites), with no site left.
    assert await agents.get_agent(db, agent_id) is not None
    assert await agents.agent_site_ids(db, agent_id) == []
    assert await sites.delete_site(db, "gone") is None


async def test_erasing_leaves_no_word_in_the_message_search_indexes(db: Database) -> None:
    """FTS5 drops a deleted row's entries as tombstones only; the erase rewrites both indexes."""
    await sites.create_site(db, name="A", site_id="a")
    erased_id = ""
    for i in range(3):
        visitor, _ = await visitors.create_visitor(db, "a")
        conversation = await conversations.create_conversation(db, "a", visitor.id)
        text = f"my passport is qwzxunique{i}"
        message = frames.Message(
            type="message", seq=1, id="m1", author=visitor.author(), text=text, created_at=1
        )
        await conversations.apply_entries(db, conversation.id, [message])
        erased_id = visitor.id
    await data_rights.erase_visitor(db, erased_id)
    gone = [b"qwzxunique2".hex().upper(), b"ue2".hex().upper()]  # a word, a trigram
    for table in ("messages_fts_data", "messages_trigram_fts_data"):
        blocks = [row["h"] for row in await db.all(f"SELECT hex(block) AS h FROM {table}")]
        assert not any(word in (block or "") for block in blocks for word in gone), table
    # The others are still found.
    found = await db.all(
        "SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?", ('"qwzxunique1"',)
    )
    assert len(found) == 1
