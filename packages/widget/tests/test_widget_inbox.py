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
