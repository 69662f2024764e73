"""The `Database` port's contract, on both adapters (`db` is parametrised in conftest), and what
the D1 double holds the D1 adapter to: D1's result shapes, limits and refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpway.store import kb, sites
from helpway.store.cloudflare.d1 import D1Database
from helpway.store.cloudflare.testing import FakeD1, FakeJsException, JsObject
from helpway.store.database import Database


async def test_rows_are_plain_dicts_with_none_for_null(db: Database) -> None:
    await sites.create_site(db, name="Demo", site_id="demo", now=7)
    rows = await db.all("SELECT id, created_at, NULL AS missing FROM sites")
    assert rows == [{"id": "demo", "created_at": 7, "missing": None}]
    assert type(rows[0]) is dict
    first = await db.first("SELECT id FROM sites WHERE id = ?", ("demo",))
    assert first == {"id": "demo"}
    assert type(first) is dict
    assert await db.first("SELECT id FROM sites WHERE id = ?", ("nope",)) is None
    assert await db.all("SELECT id FROM sites WHERE id = ?", ("nope",)) == []


async def test_run_counts_changed_rows(db: Database) -> None:
    for site_id in ("a", "b", "c"):
        await sites.create_site(db, name=site_id, site_id=site_id)
    assert await db.run("UPDATE sites SET name = 'x' WHERE id IN ('a', 'b')") == 2
    assert await db.run("DELETE FROM sites WHERE id = 'nope'") == 0


async def test_batch_is_all_or_nothing(db: Database) -> None:
    await sites.create_site(db, name="Demo", site_id="demo")
    with pytest.raises(Exception, match="UNIQUE"):
        await db.batch(
            [
                ("UPDATE sites SET name = ? WHERE id = ?", ("Renamed", "demo")),
                ("INSERT INTO sites (id, name, created_at) VALUES (?, ?, ?)", ("demo", "Dup", 1)),
            ]
        )
    assert await db.first("SELECT name FROM sites WHERE id = 'demo'") == {"name": "Demo"}
    await db.batch([])  # nothing to do is not an error


async def test_more_ids_than_d1_binds_in_one_statement(db: Database) -> None:
    """`get_chunks` must split long id lists: D1 binds at most 100 parameters a statement."""
    await sites.create_site(db, name="Demo", site_id="demo")
    document = kb.KbDocument(
        id=kb.document_id("demo", "/help/a"),
        site_id="demo",
        url="/help/a",
        title="A",
        format="markdown",
        source=None,
        content_hash="h",
        chunk_count=150,
        updated_at=1,
    )
    chunks = [
        kb.KbChunk(
            id=f"chunk-{i}",
            document_id=document.id,
            site_id="demo",
            ordinal=i,
            url=f"/help/a#s{i}",
            title="A",
            heading=f"S{i}",
            heading_path=f"A > S{i}",
            lang="en",
            text=f"section {i}",
            content_hash=f"c{i}",
        )
        for i in range(150)
    ]
    await kb.save_document(db, document, chunks)
    found = await kb.get_chunks(db, "demo", [c.id for c in chunks])
    assert sorted(found) == sorted(c.id for c in chunks)


# ---------------------------------------------------------------- the D1 double's rules


@pytest.fixture
def fake(tmp_path: Path) -> FakeD1:
    return FakeD1(tmp_path / "d1.sqlite")


async def test_the_binding_speaks_js_shapes(fake: FakeD1) -> None:
    result = await fake.prepare("SELECT 1.0 AS one, 2.5 AS half, 'x' AS s, NULL AS n").all()
    assert isinstance(result, JsObject)
    assert result.success is True
    [row] = result.results
    # A JS number: an integral double converts to int.
    assert row == {"one": 1, "half": 2.5, "s": "x", "n": None}
    assert type(row["one"]) is int
    written = await fake.prepare("CREATE TABLE t (x)").run()
    assert set(written.meta) >= {"changes", "last_row_id", "changed_db", "rows_written"}
    assert await fake.prepare("SELECT 7 AS x").first("x") == 7


async def test_the_binding_refuses_what_d1_refuses(fake: FakeD1) -> None:
    adapter = D1Database(fake)
    await adapter.run("CREATE TABLE t (x)")
    with pytest.raises(FakeJsException, match="use batch"):
        await adapter.run("BEGIN")
    with pytest.raises(FakeJsException, match="PRAGMA"):
        await adapter.run("PRAGMA journal_mode=WAL")
    with pytest.raises(FakeJsException, match="too many SQL variables"):
        await adapter.all(f"SELECT * FROM t WHERE x IN ({','.join('?' * 101)})", list(range(101)))
    with pytest.raises(FakeJsException, match="bigint"):
        await adapter.run("INSERT INTO t VALUES (?)", (2**60,))
    with pytest.raises(FakeJsException, match="D1_TYPE_ERROR"):
        await adapter.run("INSERT INTO t VALUES (?)", ({"a": 1},))
    with pytest.raises(TypeError, match="RPC"):
        fake.prepare("INSERT INTO t VALUES (?)").bind((1, 2))
    assert await adapter.all("SELECT x FROM t") == []
