"""The console's inbox list: merging the snapshot with live updates, order and unread state.

Plain functions and asserts only, run by pytest on CPython and by
`test_widget_micropython.py` on MicroPython.
"""

try:
    from helpway.widget.app import inbox
except ImportError:  # MicroPython: the app modules sit flat on the path
    import inbox

VISITOR = {"id": "v1", "role": "visitor", "name": "Ana"}


def summary(conversation_id, updated_at, last_seq, status="open", text="hi"):
    return {
        "id": conversation_id,
        "site_id": "demo",
        "visitor": VISITOR,
        "status": status,
        "last_seq": last_seq,
        "last_text": text,
        "last_author_role": "visitor",
        "updated_at": updated_at,
    }


def ids(box):
    return [row["id"] for row in box.rows()]


def test_newest_activity_first_ties_by_id():
    box = inbox.Inbox()
    for row in (summary("b", 10, 1), summary("a", 10, 1), summary("c", 30, 1), summary("d", 5, 1)):
        box.update(row)
    assert ids(box) == ["c", "a", "b", "d"]


def test_conversations_waiting_for_a_human_come_first():
    box = inbox.Inbox()
    box.update(summary("old-wait", 1, 2, status="waiting_human"))
    box.update(summary("new", 50, 1))
    box.update(summary("new-wait", 40, 2, status="waiting_human"))
    box.update(summary("mid", 30, 1, status="closed"))
    assert ids(box) == ["new-wait", "old-wait", "new", "mid"]
    box.update(summary("old-wait", 60, 3, status="open"))  # an agent took it
    assert ids(box) == ["new-wait", "old-wait", "new", "mid"]  # now the newest of the others


def test_pages_continue_after_the_last_other_conversation():
    box = inbox.Inbox()
    size = inbox.PAGE_SIZE
    first = [summary("w", 1, 2, status="waiting_human")]
    first += [summary("o" + str(1000 + i), 5000 - i, 1) for i in range(size)]
    assert box.add_page(first)
    assert box.next_page == {
        "before_updated_at": 5000 - size + 1,
        "before_id": "o" + str(999 + size),
    }
    second = [summary("p" + str(i), 100 - i, 1) for i in range(3)]
    assert box.add_page(second)
    assert box.next_page is None  # a short page is the last
    assert len(box.rows()) == 1 + size + 3
    assert ids(box)[0] == "w" and ids(box)[-1] == "p2"
    # A full first page (the reload after a reconnect) offers its next page again.
    assert box.add_page(first)
    assert box.next_page is not None


def test_a_late_snapshot_never_overwrites_a_newer_update():
    box = inbox.Inbox()
    assert box.update(summary("a", 20, 4, status="waiting_human", text="a human please"))
    assert not box.update(summary("a", 10, 2, text="old"))
    assert box.get("a")["status"] == "waiting_human"
    assert box.update(summary("a", 20, 4, status="waiting_human", text="a human please"))


def test_status_changes_and_the_waiting_count():
    box = inbox.Inbox()
    box.update(summary("a", 1, 1))
    box.update(summary("b", 2, 1, status="waiting_human"))
    assert box.waiting() == 1
    box.update(summary("b", 3, 2, status="open"))
    assert box.waiting() == 0
    assert ids(box) == ["b", "a"]


def test_unread_until_opened_and_while_open_everything_is_seen():
    box = inbox.Inbox()
    box.update(summary("a", 1, 3))
    box.update(summary("b", 2, 1))
    assert box.unread("a") and box.unread("b")
    box.select("a")
    assert not box.unread("a")
    box.update(summary("a", 5, 6))  # new messages in the open conversation
    assert not box.unread("a")
    box.select("b")
    box.update(summary("a", 6, 7))
    assert box.unread("a")
    box.seen("a", 7)
    assert not box.unread("a")
    assert not box.unread("missing")


def test_what_was_read_survives_a_new_inbox():
    box = inbox.Inbox()
    box.update(summary("a", 1, 3))
    box.update(summary("b", 2, 5))
    version = box.seen_version
    box.select("a")
    assert box.seen_version > version
    box.select(None)

    again = inbox.Inbox(box.seen_state())  # what the console stores, after a reload
    again.update(summary("a", 1, 3))
    again.update(summary("b", 2, 5))
    assert not again.unread("a") and again.unread("b")
    again.update(summary("a", 9, 4))  # a new message since
    assert again.unread("a")
    again.seen("a", 4)
    assert again.seen_state()["a"][0] == 4


def test_a_stored_state_from_elsewhere_is_ignored_where_it_does_not_fit():
    for junk in (None, [], "x", {"a": 3}, {"a": [1]}, {"a": ["1", 2]}, {"a": [True, 1]}):
        box = inbox.Inbox(junk)
        box.update(summary("a", 1, 3))
        assert box.unread("a")
        assert box.seen_state() == {}
    box = inbox.Inbox({"a": [3, 7], "b": [-1, 2]})
    box.update(summary("a", 1, 3))
    box.update(summary("b", 1, 3))
    assert not box.unread("a") and box.unread("b")


def test_the_stored_state_keeps_the_most_recently_read():
    box = inbox.Inbox()
    for i in range(inbox.MAX_SEEN + 5):
        box.seen("c" + str(i), 1)
    kept = box.seen_state()
    assert len(kept) == inbox.MAX_SEEN
    assert "c0" not in kept and "c4" not in kept
    assert "c5" in kept and "c" + str(inbox.MAX_SEEN + 4) in kept


ME = {"id": "a1", "role": "agent", "name": "Dana"}
OTHER = {"id": "a2", "role": "agent", "name": "Bob"}


def assigned(conversation_id, updated_at, last_seq, assignee, status="open"):
    row = summary(conversation_id, updated_at, last_seq, status=status)
    row["assignee"] = assignee
    return row


def test_each_filter_lists_what_the_edge_lists():
    rows = {
        "open": summary("o", 1, 1),
        "waiting": summary("w", 1, 1, status="waiting_human"),
        "closed": summary("c", 1, 1, status="closed"),
        "mine": assigned("m", 1, 1, ME),
        "theirs": assigned("t", 1, 1, OTHER),
        "mine-closed": assigned("mc", 1, 1, ME, status="closed"),
    }
    expected = {
        "all": set(rows),
        "open": {"open", "waiting", "mine", "theirs"},
        "waiting": {"waiting"},
        "mine": {"mine"},
        "unassigned": {"open", "waiting"},
        "closed": {"closed", "mine-closed"},
    }
    order = ["all", "open", "waiting", "mine", "unassigned", "closed"]
    assert [name for name, _label in inbox.FILTERS] == order
    for name in expected:
        listed = {key for key, row in rows.items() if inbox.matches(row, name, ME["id"])}
        assert listed == expected[name], name


def test_a_filter_starts_afresh_and_live_updates_leave_it():
    box = inbox.Inbox(me=ME["id"])
    box.update(summary("x", 10, 1))
    assert box.set_filter("unassigned") and ids(box) == [] and box.next_page is None
    assert not box.set_filter("unassigned")
    box.add_page([summary("x", 10, 1), summary("y", 11, 1)])
    assert ids(box) == ["y", "x"]
    # Assigned to someone: no longer unassigned, so its row goes; the open one stays.
    box.select("y")
    assert box.update(assigned("x", 12, 2, OTHER))
    assert box.update(assigned("y", 12, 2, ME))
    assert ids(box) == ["y"]
    # A conversation that newly fits appears live.
    assert box.update(summary("z", 13, 1))
    assert ids(box) == ["z", "y"]
    assert not box.update(assigned("q", 14, 1, OTHER))  # never listed here: nothing changes
    box.select("q")  # opened from elsewhere: a row that does not fit is still not added
    assert not box.update(assigned("q", 15, 2, OTHER))
    assert ids(box) == ["z", "y"]
