from __future__ import annotations

import asyncio
import functools
import sys
import threading

import pytest

from helpway.store import agent_sessions, agents, passwords, sites
from helpway.store.errors import Conflict
from helpway.store.ids import hash_token
from helpway.store.sqlite import SqliteDatabase


async def test_site_create_get_list_and_config(db: SqliteDatabase) -> None:
    demo = await sites.create_site(
        db, name="Demo", site_id="demo", allowed_origins=["http://127.0.0.1:8787"], now=1
    )
    other = await sites.create_site(db, name="Other", now=2)
    assert len(other.id) >= 16
    assert await sites.get_site(db, "demo") == demo
    assert await sites.get_site(db, "missing") is None
    assert [s.id for s in await sites.list_sites(db)] == ["demo", other.id]
    served = demo.widget_config().model_dump()
    assert {k: served[k] for k in ("site_id", "title", "greeting", "color", "assistant_name")} == {
        "site_id": "demo",
        "title": "Help",
        "greeting": "Hi! How can we help?",
        "color": "#2563eb",
        "assistant_name": "Assistant",
    }
    assert served["open"] is True and served["languages"] == ["en"]  # no hours: always open

    config = sites.SiteConfig(
        title="Acme help", greeting="Hello", color="#000", assistant_name="Ada"
    )
    updated = await sites.update_site(db, "demo", config=config, allowed_origins=["https://a.b"])
    assert updated is not None
    assert updated.config == config
    assert updated.allowed_origins == ("https://a.b",)
    assert await sites.update_site(db, "missing", config=config) is None

    with pytest.raises(Conflict):
        await sites.create_site(db, name="Again", site_id="demo")


async def test_site_config_tolerates_unknown_and_missing_keys(db: SqliteDatabase) -> None:
    await db.run(
        "INSERT INTO sites (id, name, config, created_at) VALUES ('x', 'X', ?, 0)",
        ('{"title": "T", "future_key": 1}',),
    )
    site = await sites.get_site(db, "x")
    assert site is not None
    assert site.config == sites.SiteConfig(title="T")
    assert site.allowed_origins == ()


async def test_agent_password_is_hashed_and_verified(db: SqliteDatabase) -> None:
    agent = await agents.create_agent(
        db, email=" Ada@Example.com ", name="Ada", password="s3cret-pass"
    )
    assert agent.email == "ada@example.com"
    row = await db.first("SELECT password_hash FROM agents WHERE id = ?", (agent.id,))
    assert row is not None
    assert "s3cret-pass" not in row["password_hash"]
    assert row["password_hash"].startswith("$argon2id$")

    assert await agents.authenticate_agent(db, "ADA@example.com", "s3cret-pass") == agent
    assert await agents.authenticate_agent(db, "ada@example.com", "wrong") is None
    assert await agents.authenticate_agent(db, "nobody@example.com", "s3cret-pass") is None
    assert await agents.get_agent(db, agent.id) == agent
    assert agent.author().role == "agent"

    with pytest.raises(Conflict):
        await agents.create_agent(db, email="ada@example.com", name="Other", password="x" * 8)
    with pytest.raises(passwords.WeakPassword):
        await agents.create_agent(db, email="bob@example.com", name="Bob", password="1234567")
    assert await agents.find_agent(db, "bob@example.com") is None
    assert await agents.find_agent(db, " ADA@example.com") == agent


async def test_argon2_runs_off_the_event_loop_thread(
    db: SqliteDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hashing blocks for tens of milliseconds: on the loop it would stall every socket."""
    from argon2 import PasswordHasher

    loop_thread = threading.get_ident()
    calls: list[tuple[str, int]] = []
    real_hash, real_verify = PasswordHasher.hash, PasswordHasher.verify

    def hash_(self: PasswordHasher, password: str) -> str:
        calls.append(("hash", threading.get_ident()))
        return real_hash(self, password)

    def verify(self: PasswordHasher, password_hash: str, password: str) -> bool:
        calls.append(("verify", threading.get_ident()))
        return real_verify(self, password_hash, password)

    monkeypatch.setattr(PasswordHasher, "hash", hash_)
    monkeypatch.setattr(PasswordHasher, "verify", verify)

    agent = await agents.create_agent(db, email="a@b.c", name="A", password="long enough")
    logins = await asyncio.gather(
        agents.authenticate_agent(db, "a@b.c", "long enough"),
        *(agents.authenticate_agent(db, "a@b.c", f"wrong {i}") for i in range(4)),
        agents.authenticate_agent(db, "nobody@b.c", "long enough"),
    )
    assert logins == [agent, None, None, None, None, None]
    assert {kind for kind, _ in calls} == {"hash", "verify"}
    assert len([kind for kind, _ in calls if kind == "verify"]) == 6
    assert loop_thread not in {thread for _, thread in calls}


async def test_on_pyodide_argon2_runs_inline_because_threads_cannot_start(
    db: SqliteDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Python Worker (Pyodide, `sys.platform == 'emscripten'`) cannot start a thread; its
    argon2 is Pyodide's argon2-cffi-bindings build. Logins there hash on the calling task."""

    def no_threads(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(sys, "platform", "emscripten")
    monkeypatch.setattr(threading.Thread, "start", no_threads)
    monkeypatch.setattr(passwords, "_pool", functools.cache(passwords._pool.__wrapped__))

    agent = await agents.create_agent(db, email="p@b.c", name="P", password="long enough")
    assert await agents.authenticate_agent(db, "p@b.c", "long enough") == agent
    assert await agents.authenticate_agent(db, "p@b.c", "wrong one") is None
    assert await agents.authenticate_agent(db, "nobody@b.c", "long enough") is None


async def test_outdated_password_hash_is_upgraded_on_login(db: SqliteDatabase) -> None:
    from argon2 import PasswordHasher

    agent = await agents.create_agent(db, email="a@b.c", name="A", password="password1")
    old = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("password1")
    await db.run("UPDATE agents SET password_hash = ? WHERE id = ?", (old, agent.id))
    assert await agents.authenticate_agent(db, "a@b.c", "password1") == agent
    row = await db.first("SELECT password_hash FROM agents WHERE id = ?", (agent.id,))
    assert row is not None
    assert row["password_hash"] != old
    assert await agents.authenticate_agent(db, "a@b.c", "password1") == agent


async def test_agent_sites(db: SqliteDatabase) -> None:
    for site_id in ("s1", "s2", "s3"):
        await sites.create_site(db, name=site_id, site_id=site_id)
    agent = await agents.create_agent(db, email="a@b.c", name="A", password="password1")
    await agents.add_agent_to_site(db, "s2", agent.id)
    await agents.add_agent_to_site(db, "s1", agent.id)
    await agents.add_agent_to_site(db, "s1", agent.id, role="admin")
    assert await agents.agent_site_ids(db, agent.id) == ["s1", "s2"]
    roles = await db.all("SELECT site_id, role FROM site_agents ORDER BY site_id")
    assert roles == [{"site_id": "s1", "role": "admin"}, {"site_id": "s2", "role": "agent"}]


async def test_agent_sessions_store_hash_expire_and_revoke(db: SqliteDatabase) -> None:
    agent = await agents.create_agent(db, email="a@b.c", name="A", password="password1")
    token = await agent_sessions.create_agent_session(db, agent.id, ttl_ms=1000, now=10_000)
    assert len(token) >= 43
    stored = await db.all("SELECT token_hash, expires_at FROM agent_sessions")
    assert stored == [{"token_hash": hash_token(token), "expires_at": 11_000}]

    assert await agent_sessions.resolve_agent_session(db, token, now=10_999) == agent
    assert await agent_sessions.resolve_agent_session(db, token, now=11_000) is None
    assert await agent_sessions.resolve_agent_session(db, "not-a-token", now=10_000) is None

    second = await agent_sessions.create_agent_session(db, agent.id, now=20_000)
    # Creating a session sweeps the agent's expired ones.
    assert [r["token_hash"] for r in await db.all("SELECT token_hash FROM agent_sessions")] == [
        hash_token(second)
    ]
    assert await agent_sessions.revoke_agent_session(db, second) is True
    assert await agent_sessions.revoke_agent_session(db, second) is False
    assert await agent_sessions.resolve_agent_session(db, second, now=20_001) is None
