from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from helpway.shared import frames, rest
from helpway.store import agents, conversations, messages, sites, visitors
from helpway.store.database import Database, Params, Row, Statement
from helpway.store.errors import NotFound
from helpway.store.ids import hash_token
from helpway.store.sqlite import SqliteDatabase


def message(seq: int, text: str, role: frames.Role = "visitor", at: int = 0) -> frames.Message:
    author = frames.Author(id=f"{role}-1", role=role, name=role.title())
    return frames.Message(
        type="message",
        seq=seq,
        id=f"m{seq}",
        client_id=f"c{seq}",
        author=author,
        text=text,
        created_at=at or seq * 1000,
    )


def event(
    seq: int,
    name: frames.EventName,
    status: frames.Status,
    assignee: frames.Author | None = None,
    at: int = 0,
) -> frames.Event:
    author = frames.Author(id="visitor-1", role="visitor", name="Visitor")
    return frames.Event(
        type="event",
        seq=seq,
        id=f"e{seq}",
        name=name,
        author=author,
        status=status,
        created_at=at or seq * 1000,
        assignee=assignee,
    )


def note(seq: int, text: str, author: frames.Author) -> frames.Note:
    return frames.Note(
        type="note",
        seq=seq,
        id=f"n{seq}",
        client_id=f"k{seq}",
        author=author,
        text=text,
        created_at=seq * 1000,
    )


@pytest.fixture
async def site(db: SqliteDatabase) -> sites.Site:
    return await sites.create_site(db, name="Demo", site_id="demo")


async def test_visitor_token_is_hashed_resolved_and_touched(
    db: SqliteDatabase, site: sites.Site
) -> None:
    visitor, token = await visitors.create_visitor(
        db, site.id, locale="en", page_url="http://x/a", now=5
    )
    row = await db.first("SELECT token_hash FROM visitors WHERE id = ?", (visitor.id,))
    assert row == {"token_hash": hash_token(token)}
    assert visitor.name.startswith("Visitor ")
    assert visitor.author() == frames.Author(id=visitor.id, role="visitor", name=visitor.name)
    assert await visitors.resolve_visitor(db, token, now=5) == visitor
    assert await visitors.resolve_visitor(db, token + "x", now=5) is None

    await visitors.touch_visitor(db, visitor.id, page_url="http://x/b", now=9)
    touched = await visitors.get_visitor(db, visitor.id)
    assert touched is not None
    assert (touched.page_url, touched.locale, touched.last_seen_at) == ("http://x/b", "en", 9)
    await visitors.touch_visitor(db, visitor.id, now=7)  # a late, older touch never goes back
    again = await visitors.get_visitor(db, visitor.id)
    assert again is not None
    assert (again.page_url, again.last_seen_at) == ("http://x/b", 9)


async def test_current_conversation_of_a_visitor(db: SqliteDatabase, site: sites.Site) -> None:
    visitor, _ = await visitors.create_visitor(db, site.id)
    assert await conversations.current_conversation_of(db, visitor.id) is None
    first = await conversations.create_conversation(db, site.id, visitor.id, now=1)
    assert await conversations.get_conversation(db, first.id) == first
    assert await conversations.current_conversation_of(db, visitor.id) == first

    # The closed-conversation policy: a closed conversation stays the visitor's current one.
    await conversations.apply_entries(
        db, first.id, [message(1, "hi"), event(2, "closed", "closed")]
    )
    current = await conversations.current_conversation_of(db, visitor.id)
    assert current is not None and (current.id, current.status) == (first.id, "closed")
    second = await conversations.create_conversation(db, site.id, visitor.id, now=2)
    assert await conversations.current_conversation_of(db, visitor.id) == second


async def test_inbox_lists_conversations_with_messages_newest_first(
    db: SqliteDatabase, site: sites.Site
) -> None:
    await sites.create_site(db, name="Other", site_id="other")
    await sites.create_site(db, name="Hidden", site_id="hidden")
    made = {}
    for name, site_id in (("a", "demo"), ("b", "other"), ("c", "demo"), ("d", "hidden")):
        visitor, _ = await visitors.create_visitor(db, site_id)
        made[name] = await conversations.create_conversation(db, site_id, visitor.id, now=1)
    quiet, _ = await visitors.create_visitor(db, "demo")
    silent = await conversations.create_conversation(db, "demo", quiet.id, now=1)

    await conversations.apply_entries(db, made["a"].id, [message(1, "a1", at=100)])
    await conversations.apply_entries(db, made["b"].id, [message(1, "b1", at=200)])
    await conversations.apply_entries(db, made["c"].id, [message(1, "c1", at=150)])
    await conversations.apply_entries(db, made["d"].id, [message(1, "d1", at=999)])

    listed = await conversations.inbox(db, ["demo", "other"])
    assert [s.id for s in listed] == [made["b"].id, made["c"].id, made["a"].id]
    assert silent.id not in {s.id for s in listed}

    # New activity moves a conversation to the top.
    await conversations.apply_entries(
        db, made["a"].id, [message(2, "a2 from agent", role="agent", at=300)]
    )
    top = (await conversations.inbox(db, ["demo", "other"]))[0]
    assert (top.id, top.last_text, top.last_author_role, top.last_seq, top.updated_at) == (
        made["a"].id,
        "a2 from agent",
        "agent",
        2,
        300,
    )
    assert [s.id for s in await conversations.inbox(db, ["demo", "other"], limit=2)] == [
        made["a"].id,
        made["b"].id,
    ]
    assert await conversations.inbox(db, []) == []


async def test_inbox_keeps_every_waiting_conversation_and_pages_the_rest(
    db: SqliteDatabase, site: sites.Site
) -> None:
    """110 busy visitors must not push the one who asked for a person off the first page."""
    visitor, _ = await visitors.create_visitor(db, site.id)
    waiting = await conversations.create_conversation(db, site.id, visitor.id, now=1)
    await conversations.apply_entries(
        db,
        waiting.id,
        [message(1, "a person, please", at=5), event(2, "handoff.requested", "waiting_human")],
    )
    others = []
    for i in range(110):
        other, _ = await visitors.create_visitor(db, site.id)
        conversation = await conversations.create_conversation(db, site.id, other.id, now=1)
        # Pairs of conversations share an activity time: the id breaks the tie.
        await conversations.apply_entries(db, conversation.id, [message(1, "hi", at=100 + i // 2)])
        others.append(conversation.id)

    first = await conversations.inbox(db, [site.id])
    assert len(first) == 1 + conversations.INBOX_LIMIT
    assert (first[0].id, first[0].status) == (waiting.id, "waiting_human")
    at = {cid: 100 + i // 2 for i, cid in enumerate(others)}
    newest_first = sorted(others, key=lambda cid: (at[cid], cid), reverse=True)
    assert [s.id for s in first[1:]] == newest_first[:100]

    last = first[-1]
    cursor = conversations.InboxCursor(updated_at=last.updated_at, id=last.id)
    second = await conversations.inbox(db, [site.id], before=cursor)
    assert [s.id for s in second] == newest_first[100:]
    after_all = conversations.InboxCursor(updated_at=second[-1].updated_at, id=second[-1].id)
    assert await conversations.inbox(db, [site.id], before=after_all) == []

    small = await conversations.inbox(db, [site.id], limit=3)
    assert [s.id for s in small] == [waiting.id, *newest_first[:3]]


async def test_applying_the_same_entries_again_changes_nothing(
    db: SqliteDatabase, site: sites.Site
) -> None:
    visitor, _ = await visitors.create_visitor(db, site.id)
    conversation = await conversations.create_conversation(db, site.id, visitor.id, now=1)
    batch = [message(1, "hello"), event(2, "handoff.requested", "waiting_human")]
    first = await conversations.apply_entries(db, conversation.id, batch)
    rows_before = await db.all("SELECT * FROM messages ORDER BY seq")
    again = await conversations.apply_entries(db, conversation.id, batch)
    assert again == first
    assert await db.all("SELECT * FROM messages ORDER BY seq") == rows_before
    assert first is not None
    assert (first.status, first.last_seq, first.last_text) == ("waiting_human", 2, "hello")
    assert first.visitor == visitor.author()


async def test_out_of_order_apply_lands_on_the_newest_summary(
    db: SqliteDatabase, site: sites.Site
) -> None:
    visitor, _ = await visitors.create_visitor(db, site.id)
    conversation = await conversations.create_conversation(db, site.id, visitor.id, now=1)
    await conversations.apply_entries(db, conversation.id, [message(3, "third")])
    summary = await conversations.apply_entries(
        db, conversation.id, [message(1, "first"), event(2, "handoff.requested", "waiting_human")]
    )
    assert summary is not None
    assert (summary.last_seq, summary.last_text, summary.status) == (3, "third", "waiting_human")
    assert summary.updated_at == 3000


async def test_apply_to_an_unknown_conversation_raises(db: SqliteDatabase) -> None:
    with pytest.raises(NotFound):
        await conversations.apply_entries(db, "nope", [message(1, "x")])


async def test_history_pages_round_trip_every_field(db: SqliteDatabase, site: sites.Site) -> None:
    visitor, _ = await visitors.create_visitor(db, site.id)
    conversation = await conversations.create_conversation(db, site.id, visitor.id)
    answer = frames.Message(
        type="message",
        seq=2,
        id="m2",
        author=frames.Author(id="assistant", role="assistant", name="Assistant"),
        text="Use <b>apt-mark hold</b>",
        created_at=2000,
        citations=[frames.Citation(url="/help/pkg#hold", title="Holding")],
        answer_id="a1",
        resolution="answered",
    )
    log = [message(1, "how?"), answer, event(3, "handoff.requested", "waiting_human")]
    log += [message(seq, f"m{seq}") for seq in range(4, 8)]
    await conversations.apply_entries(db, conversation.id, log)

    page = await messages.history_page(db, conversation.id, after_seq=0, limit=3)
    assert page is not None
    assert page.entries == log[:3]
    assert (page.more, page.last_seq, page.status) == (True, 7, "waiting_human")
    rest_page = await messages.history_page(db, conversation.id, after_seq=3, limit=3)
    assert rest_page is not None
    assert [e.seq for e in rest_page.entries] == [4, 5, 6]
    tail = await messages.history_page(db, conversation.id, after_seq=6, limit=3)
    assert tail is not None
    assert (tail.entries, tail.more) == (log[6:], False)
    assert await messages.history_page(db, "nope") is None


async def test_notes_and_assignments_are_for_agents_only_in_d1(
    db: SqliteDatabase, site: sites.Site
) -> None:
    dana = await agents.create_agent(
        db, email="dana@x.example", name="Dana", password="pw-dana-123"
    )
    dana_author = dana.author()
    visitor, _ = await visitors.create_visitor(db, site.id)
    conversation = await conversations.create_conversation(db, site.id, visitor.id)
    log: list[messages.Entry] = [
        message(1, "hi"),
        note(2, "VIP: refund approved", dana_author),
        event(3, "assigned", "open", assignee=dana_author),
    ]
    summary = await conversations.apply_entries(db, conversation.id, log)
    assert summary is not None
    # A note is never the inbox's last text; the assignee is named with the agent's name.
    assert (summary.last_text, summary.last_seq, summary.assignee) == ("hi", 3, dana_author)
    agent_page = await messages.history_page(db, conversation.id, agents_only=True)
    assert agent_page is not None and agent_page.entries == log
    visitor_page = await messages.history_page(db, conversation.id)
    assert visitor_page is not None
    assert (visitor_page.entries, visitor_page.last_seq) == ([log[0]], 3)
    assert visitor_page.model_dump_json().count("VIP") == 0
    # Unassigning clears it; an out-of-order replay lands on the newest assignment.
    unassigned = event(4, "unassigned", "open")
    summary = await conversations.apply_entries(db, conversation.id, [unassigned])
    assert summary is not None and summary.assignee is None
    summary = await conversations.apply_entries(db, conversation.id, log)
    assert summary is not None and summary.assignee is None
    stored = await conversations.get_conversation(db, conversation.id)
    assert stored is not None and stored.assignee_id is None


async def test_inbox_filters_and_pages_each_filter(db: SqliteDatabase, site: sites.Site) -> None:
    dana = (
        await agents.create_agent(db, email="dana@x.example", name="Dana", password="pw-dana-123")
    ).author()
    bob = (
        await agents.create_agent(db, email="bob@x.example", name="Bob", password="pw-bob-1234")
    ).author()
    made: dict[str, list[str]] = {"open": [], "waiting": [], "dana": [], "bob": [], "closed": []}
    at = 100
    for kind, count in (("open", 4), ("waiting", 3), ("dana", 4), ("bob", 2), ("closed", 5)):
        for _ in range(count):
            visitor, _ = await visitors.create_visitor(db, site.id)
            conversation = await conversations.create_conversation(db, site.id, visitor.id)
            at += 1
            log: list[messages.Entry] = [message(1, kind, at=at)]
            if kind == "waiting":
                log.append(event(2, "handoff.requested", "waiting_human", at=at))
            elif kind in ("dana", "bob"):
                log.append(event(2, "assigned", "open", dana if kind == "dana" else bob, at=at))
            elif kind == "closed":
                log.append(event(2, "closed", "closed", at=at))
            await conversations.apply_entries(db, conversation.id, log)
            made[kind].append(conversation.id)

    async def listed(filter: rest.InboxFilter, limit: int = 2) -> list[list[str]]:
        """Every page of the filter, as the console walks them."""
        pages = [
            await conversations.inbox(db, [site.id], limit=limit, filter=filter, agent_id=dana.id)
        ]
        while others := [s for s in pages[-1] if s.status != "waiting_human"]:
            if len(others) < limit:
                break
            last = others[-1]
            cursor = conversations.InboxCursor(updated_at=last.updated_at, id=last.id)
            pages.append(
                await conversations.inbox(
                    db, [site.id], limit=limit, before=cursor, filter=filter, agent_id=dana.id
                )
            )
        return [[s.id for s in page] for page in pages]

    def flat(pages: list[list[str]]) -> list[str]:
        return [cid for page in pages for cid in page]

    newest = lambda ids: list(reversed(ids))  # noqa: E731 - made oldest first
    everything = [cid for ids in made.values() for cid in ids]
    assert sorted(flat(await listed("all"))) == sorted(everything)
    open_pages = await listed("open")
    assert open_pages[0][:3] == newest(made["waiting"])  # waiting first, all on page one
    not_closed = made["open"] + made["dana"] + made["bob"]
    assert flat(open_pages)[3:] == sorted(not_closed, key=everything.index, reverse=True)
    assert await listed("waiting") == [newest(made["waiting"])]
    mine = await listed("mine")
    assert flat(mine) == newest(made["dana"]) and len(mine) == 3  # 2 + 2, then an empty page
    unassigned = flat(await listed("unassigned"))
    assert unassigned == newest(made["waiting"]) + newest(made["open"])
    closed = await listed("closed")
    assert flat(closed) == newest(made["closed"]) and [len(p) for p in closed] == [2, 2, 1]
    summary = (await conversations.inbox(db, [site.id], filter="mine", agent_id=dana.id))[0]
    assert summary.assignee == dana


async def test_an_answer_a_human_was_called_in_after_is_handed_off(
    db: SqliteDatabase, site: sites.Site
) -> None:
    visitor, _ = await visitors.create_visitor(db, site.id)
    conversation = await conversations.create_conversation(db, site.id, visitor.id)
    assistant = frames.Author(id="assistant", role="assistant", name="Assistant")

    def answer(seq: int, answer_id: str) -> frames.Message:
        return frames.Message(
            type="message",
            seq=seq,
            id=f"m{seq}",
            author=assistant,
            text="From the help centre…",
            created_at=seq * 1000,
            answer_id=answer_id,
            resolution="answered",
        )

    handoff = event(5, "handoff.requested", "waiting_human").model_copy(update={"answer_id": "a2"})
    log = [message(1, "q1"), answer(2, "a1"), message(3, "q2"), answer(4, "a2")]
    await conversations.apply_entries(db, conversation.id, log)
    await conversations.apply_entries(db, conversation.id, [handoff])
    await conversations.apply_entries(db, conversation.id, [handoff])  # a replay: harmless
    page = await messages.history_page(db, conversation.id)
    assert page is not None
    resolutions = {e.answer_id: e.resolution for e in page.entries if isinstance(e, frames.Message)}
    assert resolutions == {None: None, "a1": "answered", "a2": "handed_off"}
    assert page.entries[-1] == handoff


class RoundTrips:
    """The database over a network: every statement lets other tasks run first, as each D1
    call is a round trip from the Worker. It adds no logic of its own."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def all(self, sql: str, params: Params = ()) -> list[Row]:
        await asyncio.sleep(0)
        return await self._db.all(sql, params)

    async def first(self, sql: str, params: Params = ()) -> Row | None:
        await asyncio.sleep(0)
        return await self._db.first(sql, params)

    async def run(self, sql: str, params: Params = ()) -> int:
        await asyncio.sleep(0)
        return await self._db.run(sql, params)

    async def batch(self, statements: Sequence[Statement]) -> None:
        await asyncio.sleep(0)
        await self._db.batch(statements)


async def test_racing_tabs_get_one_conversation(db: Database, site: sites.Site) -> None:
    """Two tabs (and a double click) of one visitor asking for its conversation at once."""
    visitor, _ = await visitors.create_visitor(db, site.id)
    remote = RoundTrips(db)
    made = await asyncio.gather(
        *(conversations.current_or_new_conversation(remote, site.id, visitor.id) for _ in range(4))
    )
    assert len({c.id for c in made}) == 1
    rows = await db.all("SELECT id FROM conversations WHERE visitor_id = ?", (visitor.id,))
    assert [r["id"] for r in rows] == [made[0].id]
    # Asked again later, the same one, closed or not (the closed-conversation policy).
    await conversations.apply_entries(db, made[0].id, [event(1, "closed", "closed")])
    again = await conversations.current_or_new_conversation(db, site.id, visitor.id)
    assert (again.id, again.status) == (made[0].id, "closed")


async def test_the_database_refuses_a_second_live_conversation(
    db: Database, site: sites.Site
) -> None:
    """The guarantee holds for any writer, not only for `current_or_new_conversation`."""
    visitor, _ = await visitors.create_visitor(db, site.id)
    first = await conversations.create_conversation(db, site.id, visitor.id, now=1)
    with pytest.raises(Exception, match="UNIQUE"):
        await conversations.create_conversation(db, site.id, visitor.id, now=2)
    await conversations.apply_entries(db, first.id, [event(1, "closed", "closed")])
    await conversations.create_conversation(db, site.id, visitor.id, now=3)  # allowed now
