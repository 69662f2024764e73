"""The console's pure helpers: keyboard shortcuts, canned responses in the composer, alerts for
a hidden tab, and the inbox's next/previous and unread count.

Plain functions and asserts only, run by pytest on CPython and by
`test_widget_micropython.py` on MicroPython.
"""

try:
    from helpway.widget.app import alerts, canned_replies, inbox, shortcuts
except ImportError:  # MicroPython: the app modules sit flat on the path
    import alerts
    import canned_replies
    import inbox
    import shortcuts

REFUND = {"id": "1", "shortcut": "refund", "title": "Refunds", "text": "Refunds take 5 days."}
REFUSE = {"id": "2", "shortcut": "refuse", "title": "No", "text": "Sorry, we can't."}
HELLO = {"id": "3", "shortcut": "hello", "title": "Hi", "text": "Hello! How can I help?"}
RESPONSES = [REFUSE, HELLO, REFUND]


def test_single_keys_act_outside_text_fields_only():
    assert shortcuts.action("j", False, False, False) == "next"
    assert shortcuts.action("k", False, False, False) == "previous"
    assert shortcuts.action("j", False, False, True) is None  # typing a "j"
    assert shortcuts.action("ArrowDown", True, False, True) == "next"  # Alt works anywhere
    assert shortcuts.action("ArrowDown", False, False, False) is None
    assert shortcuts.action("Escape", False, False, True) == "escape"
    assert shortcuts.action("r", False, True, False) is None  # Ctrl+R reloads, as ever
    assert shortcuts.action("?", False, False, False) == "help"
    assert shortcuts.action("x", False, False, False) is None


def test_help_lists_the_keys_of_each_action_the_app_handles():
    rows = shortcuts.help_rows({"next": 1, "previous": 1, "help": 1})
    assert rows == [
        ("j or Alt+↓", "Next conversation"),
        ("k or Alt+↑", "Previous conversation"),
        ("?", "Show keyboard shortcuts"),
    ]


def test_a_slash_word_at_the_end_offers_matching_shortcuts():
    assert [r["shortcut"] for r in canned_replies.offers(RESPONSES, "/ref")] == [
        "refund",
        "refuse",
    ]
    assert [r["shortcut"] for r in canned_replies.offers(RESPONSES, "Hi! /REFUSE")] == ["refuse"]
    assert len(canned_replies.offers(RESPONSES, "/")) == 3
    for draft in ("refund", "/refund now", "and/or", "see https://x/", "/zzz", ""):
        assert canned_replies.offers(RESPONSES, draft) == []


def test_picking_a_response_replaces_the_slash_word():
    assert canned_replies.expand("/ref", REFUND) == "Refunds take 5 days."
    assert canned_replies.expand("Hi Ana!\n/ref", REFUND) == "Hi Ana!\nRefunds take 5 days."
    assert canned_replies.is_response(REFUND)
    assert not canned_replies.is_response({"id": "1", "shortcut": 3})
    assert not canned_replies.is_response(None)


def row(conversation_id, last_seq, role="visitor", updated_at=1, status="open"):
    return {
        "id": conversation_id,
        "site_id": "demo",
        "visitor": {"id": "v", "role": "visitor", "name": "Ana"},
        "status": status,
        "last_seq": last_seq,
        "last_text": "hi",
        "last_author_role": role,
        "updated_at": updated_at,
    }


def test_only_visitors_news_is_worth_an_alert():
    assert alerts.news(None, row("a", 1)) == "conversation"
    assert alerts.news(row("a", 1), row("a", 2)) == "message"
    assert alerts.news(row("a", 2), row("a", 2)) is None  # a replay of what we hold
    assert alerts.news(row("a", 1), row("a", 2, role="agent")) is None
    assert alerts.news(None, row("a", 1, role="agent")) is None
    # The assistant answering what was announced is not news; a summary that folded a
    # visitor's message and the answer together is.
    assert alerts.news(row("a", 1), row("a", 2, role="assistant")) is None
    assert alerts.news(row("a", 2, role="agent"), row("a", 4, role="assistant")) == "message"
    assert alerts.news(None, row("a", 2, role="assistant")) == "conversation"
    waiting = row("a", 3, role="assistant", status="waiting_human")
    assert alerts.news(row("a", 2, role="assistant"), waiting) == "handoff"
    assert alerts.news(waiting, waiting) is None
    assert alerts.notification("handoff", "Ana", "hi")[0] == "Wants a human · Ana"
    heading, body = alerts.notification("message", "Ana", "x" * 300)
    assert heading == "New message · Ana" and len(body) == 120


def test_a_visitors_first_rating_is_news_once():
    closed = row("a", 3, status="closed")
    rated = row("a", 4, status="closed")
    rated["rating"] = 4
    assert alerts.news(closed, rated) == "rating"
    assert alerts.news(rated, rated) is None
    later = row("a", 6)
    later["rating"] = 4
    assert alerts.news(rated, later) == "message"  # the visitor wrote again
    assert alerts.notification("rating", "Ana", "Rated 4 of 5") == (
        "New rating · Ana",
        "Rated 4 of 5",
    )


def test_title_counts_unread_conversations():
    box = inbox.Inbox()
    assert alerts.title(box.unread_count()) == alerts.BASE_TITLE
    box.update(row("a", 2, updated_at=20))
    box.update(row("b", 1, updated_at=10))
    box.seen("b", 1)
    assert box.unread_count() == 1
    assert alerts.title(box.unread_count()) == "(1) " + alerts.BASE_TITLE


def test_next_and_previous_follow_the_drawn_order():
    box = inbox.Inbox()
    assert box.neighbour(1) is None
    for conversation_id, at in (("a", 30), ("b", 20), ("c", 10)):
        box.update(row(conversation_id, 1, updated_at=at))
    assert box.neighbour(1) == "a"  # nothing open: the first
    box.select("b")
    assert (box.neighbour(1), box.neighbour(-1)) == ("c", "a")
    box.select("c")
    assert box.neighbour(1) is None


def test_the_agents_actions_have_keys_outside_text_fields():
    assert shortcuts.action("t", False, False, False) == "takeover"
    assert shortcuts.action("a", False, False, False) == "assign"
    assert shortcuts.action("c", False, False, False) == "close"
    assert shortcuts.action("c", False, False, True) is None  # typing a "c" in the reply
    keys = [key for key, _alt, _name, _what in shortcuts.SHORTCUTS if not _alt]
    assert len(keys) == len(set(keys))  # one action per key
