"""The widget's CSAT prompt and the rating state behind it: asked once a conversation is closed,
sending while ours is on its way (resent with the same client id after a reconnect), thanks
once the room logged it, gone on a reopen; a bad score or a long comment is said in the
visitor's language.

Plain functions and asserts only: pytest runs them on CPython, and
`test_widget_micropython.py` runs the very same functions on MicroPython.
"""

try:
    from helpway.shared import limits
    from helpway.widget.app import csat, state
except ImportError:  # MicroPython: the app modules sit flat on the path
    import csat
    import limits
    import state
from conversation_frames import AGENT, NOW, VISITOR, event, welcome


def rated(seq, score=4, comment="Kind", client_id="r1"):
    rating = {"score": score, "comment": comment}
    return event(seq, "rated", VISITOR, "closed", rating=rating, client_id=client_id)


def closed_conversation():
    conversation = state.Conversation()
    conversation.apply(welcome(), NOW)
    conversation.apply(event(1, "closed", AGENT, "closed"), NOW)
    return conversation


def test_the_prompt_asks_only_once_a_conversation_is_closed():
    conversation = state.Conversation()
    conversation.apply(welcome(), NOW)
    assert csat.prompt(conversation) == csat.HIDDEN and not conversation.can_rate()
    conversation.apply(event(1, "closed", AGENT, "closed"), NOW)
    assert csat.prompt(conversation) == csat.ASK and conversation.can_rate()


def test_a_rating_sends_then_thanks_and_cannot_be_given_twice():
    conversation = closed_conversation()
    conversation.add_rating("r1", 4, "Kind")
    assert csat.prompt(conversation) == csat.SENDING and not conversation.can_rate()
    assert conversation.rating_outbox()["client_id"] == "r1"
    ack = {"type": "ack", "client_id": "r1", "seq": 2, "id": "c1.2"}
    conversation.apply(ack, NOW)
    assert conversation.rating_outbox() is None  # acked: never resent
    assert csat.prompt(conversation) == csat.SENDING  # until the event is in
    assert conversation.apply(rated(2), NOW)
    assert csat.prompt(conversation) == csat.THANKS
    assert conversation.rating == {"score": 4, "comment": "Kind"}
    assert not conversation.can_rate()
    assert [item.kind for item in conversation.items()] == ["event", "event"]


def test_a_rating_in_flight_is_resent_after_a_reconnect():
    conversation = closed_conversation()
    conversation.add_rating("r1", 5, "")
    conversation.disconnected()
    conversation.apply(welcome(status="closed", last_seq=1), NOW)
    assert conversation.rating_outbox()["client_id"] == "r1"  # the same id: no second rating


def test_a_reload_of_a_rated_conversation_thanks_and_a_reopen_hides_it():
    conversation = state.Conversation()
    conversation.apply(welcome(status="closed", last_seq=2), NOW)
    conversation.apply(event(1, "closed", AGENT, "closed"), NOW)
    conversation.apply(rated(2, 3), NOW)
    assert csat.prompt(conversation) == csat.THANKS
    conversation.apply(event(3, "reopened", VISITOR, "open"), NOW)
    assert csat.prompt(conversation) == csat.HIDDEN
    conversation.apply(event(4, "closed", AGENT, "closed"), NOW)
    assert csat.prompt(conversation) == csat.THANKS  # one rating per conversation
    assert not conversation.can_rate()


def test_a_refused_rating_may_be_sent_again_and_a_reopen_forgets_it():
    conversation = closed_conversation()
    conversation.add_rating("r1", 2, "")
    refusal = {"type": "error", "code": "rate_limited", "message": "slow", "client_id": "r1"}
    assert conversation.apply(refusal, NOW)
    assert conversation.rating_sent["error"] == "rate_limited"
    assert csat.prompt(conversation) == csat.ASK and conversation.can_rate()
    assert conversation.rating_outbox() is None
    conversation.apply(event(2, "reopened", VISITOR, "open"), NOW)
    assert conversation.rating_sent is None


def test_an_unreadable_refusal_fails_the_rating_in_flight():
    conversation = closed_conversation()
    conversation.add_rating("r1", 2, "")
    assert conversation.apply({"type": "error", "code": "too_large", "message": "big"}, NOW)
    assert conversation.rating_sent["error"] == "too_large"
    other = {"type": "error", "code": "invalid", "message": "x", "client_id": "m9"}
    assert not conversation.apply(other, NOW)


def test_another_tabs_rating_settles_ours():
    conversation = closed_conversation()
    conversation.add_rating("mine", 1, "")
    conversation.apply(rated(2, 5, client_id="theirs"), NOW)
    assert conversation.rating_sent is None and csat.prompt(conversation) == csat.THANKS


def test_scores_and_comments_are_checked_in_the_visitors_language():
    assert csat.problem(None, "") == "Please choose a score from 1 to 5."
    assert csat.problem(0, "") is not None and csat.problem(6, "") is not None
    for score in (1, 2, 3, 4, 5):
        assert csat.problem(score, "") is None
    longest = "é" * limits.MAX_RATING_COMMENT_CHARS
    assert csat.problem(3, longest) is None
    too_long = csat.problem(3, longest + "x", "es")
    assert too_long == "Tu comentario es demasiado largo: 1001 de 1000 caracteres."


def test_the_frame_and_the_stars():
    assert csat.rating_frame("r1", 4, "Kind") == {
        "type": "rating.send",
        "client_id": "r1",
        "score": 4,
        "comment": "Kind",
    }
    assert csat.rating_frame("r1", 4, "  ") == {
        "type": "rating.send",
        "client_id": "r1",
        "score": 4,
    }
    assert csat.stars(4) == "★★★★☆" and csat.stars(1) == "★☆☆☆☆" and csat.stars(5) == "★★★★★"
