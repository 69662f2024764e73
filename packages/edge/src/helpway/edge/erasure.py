"""Deleting a site and erasing a visitor everywhere, shared by the REST routes and the CLI.

Data lives in three places: D1 (rows), the knowledge base's vector index (a site's chunk
vectors) and each conversation's room storage (its log and pending outbox). The order makes a
failure half-way safe to repeat: KB documents go first (each one's rows and vectors together),
then D1 in one batch (after which nobody can reach the conversations), then the rooms by the
conversation ids D1 gave back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from helpway.shared import rest
from helpway.store import data_rights, sites
from helpway.store.database import Database

from .services import Knowledge

EraseRoom = Callable[[str], Awaitable[None]]


async def delete_site(
    db: Database, knowledge: Knowledge, erase_room: EraseRoom, site_id: str
) -> rest.SiteDeleted | None:
    """Everything of the site (see `store.sites.delete_site`); None if there is no such site."""
    if await sites.get_site(db, site_id) is None:
        return None
    documents = await knowledge.documents(site_id)
    for document in documents:
        await knowledge.delete_document(site_id, document.url)
    deleted = await sites.delete_site(db, site_id)
    if deleted is None:
        return None
    for conversation_id in deleted.conversation_ids:
        await erase_room(conversation_id)
    return rest.SiteDeleted(
        site_id=site_id,
        conversations=len(deleted.conversation_ids),
        visitors=deleted.visitors,
        kb_documents=len(documents),
    )


async def erase_visitor(db: Database, erase_room: EraseRoom, visitor_id: str) -> list[str] | None:
    """The visitor's D1 rows, then their conversations' rooms; their conversation ids, or None
    if there is no such visitor. The KB holds nothing of visitors (it is the site's own
    articles), so nothing is erased there."""
    erased = await data_rights.erase_visitor(db, visitor_id)
    for conversation_id in erased or ():
        await erase_room(conversation_id)
    return erased
