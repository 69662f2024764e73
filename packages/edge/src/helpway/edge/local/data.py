"""Open the local data folder: D1's stand-in (migrated), and the knowledge base on it.

Shared by `helpway dev` and the CLI, so both always see the same data.
"""

from __future__ import annotations

from helpway.knowledge.knowledge_base import KnowledgeBase
from helpway.store.migrate import apply_migrations
from helpway.store.sqlite import SqliteDatabase

from .settings import Settings


async def open_database(settings: Settings) -> SqliteDatabase:
    db = SqliteDatabase(settings.database_path)
    await apply_migrations(db)
    return db


def open_knowledge(db: SqliteDatabase, settings: Settings) -> KnowledgeBase:
    return KnowledgeBase(db, settings.knowledge_dir)
