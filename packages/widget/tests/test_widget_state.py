"""The conversation state the widget and console draw from: dedupe, order, outbox, streaming.

Plain functions and asserts only: pytest runs them on CPython, and
`test_widget_micropython.py` runs the very same functions on MicroPython (the npm WebAssembly
build in Node), the runtime they ship to.
"""

try:
    from helpway.widget.app import state
except ImportError:  # MicroPython: the app modules sit flat on the path
    import state
from conversation_frames import AGENT, ASSISTANT, NOW, VISITOR, event, message, welcome


def joined(you=VISITOR):
    conversation = state.Conversation()
    conversation.apply(welcome(you=you), NOW)
    return conversation


def keys(conversation):
    return [item.key for item in conversation.items()]


def texts(conversation):
    return [item.data["text"] for item in conversation.items()]


def test_log_is_ordered_by_seq_whatever_the_arrival_order():
    conversation = joined()
    for seq in (3, 1, 4, 2):
        assert conversation.apply(message(seq), NOW)
    assert keys(conversation) == ["m:c1.1", "m:c1.2", "m:c1.3", "m:c1.4"]
    assert conversation.last_seq == 4


def test_each_entry_is_drawn_once_even_when_replayed():
    conversation = joined()
    for seq in (1, 2, 3):
        conversation.apply(message(seq), NOW)
    # A reconnect replays the log from the last seq we had; an overlap changes nothing.
    conversation.apply(welcome(last_seq=3), NOW)
    for seq in (2, 3):
        assert not conversation.apply(message(seq), NOW)
    assert keys(conversation) == ["m:c1.1", "m:c1.2", "m:c1.3"]


def test_a_second_entry_claiming_a_taken_seq_is_ignored():
    conversation = joined()
    conversation.apply(message(1), NOW)
    impostor = message(1, text="other")
    impostor["id"] = "c1.other"
    assert not conversation.apply(impostor, NOW)
    assert texts(conversation) == ["message 1"]


def test_a_sent_message_shows_at_once_then_turns_into_the_acked_entry():
    conversation = joined()
    conversation.add_pending("c-1", "Hello")
    [item] = conversation.items()
    assert (item.key, item.kind, item.data["state"]) == ("p:c-1", "pending", state.SENDING)
    assert [p["client_id"] for p in conversation.outbox()] == ["c-1"]

    conversation.apply({"type": "ack", "client_id": "c-1", "seq": 5, "id": "c1.5"}, NOW)
    [item] = conversation.items()
    assert (item.key, item.kind, item.data["text"]) == ("m:c1.5", "message", "Hello")
    assert conversation.is_mine(item.data["author"])
    assert conversation.outbox() == []
    assert conversation.last_seq == 5

    # The room's broadcast of the same message adds nothing but its own timestamp.
    echo = message(5, text="Hello", client_id="c-1")
    conversation.apply(echo, NOW)
    assert keys(conversation) == ["m:c1.5"]
    assert conversation.entry("c1.5")["created_at"] == NOW + 5


def test_the_rooms_time_replaces_the_provisional_one_and_is_redrawn():
    """The entry built from the ack carries the local clock; the broadcast brings the room's
    time, and the entry must be redrawn (a new rev) for the shown time to change."""
    conversation = joined()
    conversation.add_pending("c-1", "Hello")
    local_ms = NOW + 90000
    conversation.apply({"type": "ack", "client_id": "c-1", "seq": 5, "id": "c1.5"}, local_ms)
    [provisional] = conversation.items()
    assert provisional.data["created_at"] == local_ms

    assert conversation.apply(message(5, text="Hello", client_id="c-1"), NOW)
    [settled] = conversation.items()
    assert settled.key == provisional.key
    assert settled.data["created_at"] == NOW + 5
    assert settled.rev != provisional.rev
    # The same broadcast again (a replay after a reconnect) changes nothing.
    assert not conversation.apply(message(5, text="Hello", client_id="c-1"), NOW)
    assert conversation.items()[0].rev == settled.rev


def test_a_broadcast_overtaking_the_ack_settles_the_pending_message():
    conversation = joined()
    conversation.add_pending("c-1", "Hello")
    conversation.apply(message(1, text="Hello", client_id="c-1"), NOW)
    conversation.apply({"type": "ack", "client_id": "c-1", "seq": 1, "id": "c1.1"}, NOW)
    assert keys(conversation) == ["m:c1.1"]
    assert conversation.outbox() == []


def test_someone_elses_message_with_the_same_client_id_does_not_settle_ours():
    conversation = joined()
    conversation.add_pending("c-1", "Hello")
    conversation.apply(message(1, author=AGENT, text="Hi", client_id="c-1"), NOW)
    assert keys(conversation) == ["m:c1.1", "p:c-1"]


def test_pending_messages_stay_after_the_log_in_send_order():
    conversation = joined()
    conversation.add_pending("c-1", "first")
    conversation.add_pending("c-2", "second")
    conversation.apply(message(1, author=AGENT), NOW)
    assert keys(conversation) == ["m:c1.1", "p:c-1", "p:c-2"]
    assert [p["client_id"] for p in conversation.outbox()] == ["c-1", "c-2"]


def test_a_refused_message_fails_and_can_be_retried():
    conversation = joined()
    conversation.add_pending("c-1", "Hello")
    refusal = {"type": "error", "code": "rate_limited", "message": "slow down", "client_id": "c-1"}
    assert conversation.apply(refusal, NOW)
    [item] = conversation.items()
    assert (item.data["state"], item.data["error"]) == (state.FAILED, "rate_limited")
    assert state.retryable(item.data)
    assert conversation.outbox() == []
    rev = item.rev
    assert conversation.retry("c-1")
    [item] = conversation.items()
    assert item.data["state"] == state.SENDING and item.rev != rev
    assert [p["client_id"] for p in conversation.outbox()] == ["c-1"]
    assert not state.retryable(item.data)
    assert not conversation.retry("c-1")  # only failed messages can be retried


def test_a_message_refused_as_invalid_fails_for_good():
    """`invalid` names a rule the text breaks (a control character pasted in): sending the same
    frame again would be refused again, so it is not offered."""
    conversation = joined()
    conversation.add_pending("c-1", "a\x00b")
    refusal = {"type": "error", "code": "invalid", "message": "no", "client_id": "c-1"}
    assert conversation.apply(refusal, NOW)
    [item] = conversation.items()
    assert (item.data["state"], item.data["error"]) == (state.FAILED, "invalid")
    assert not state.retryable(item.data)
    assert not conversation.retry("c-1")
    assert conversation.outbox() == [] and conversation.saved_outbox() == []


def test_an_unreadable_frame_refusal_fails_every_message_in_flight():
    """The server refuses an oversized or unreadable frame without its client_id: no message
    may stay "sending" for ever, and one that is acked after all is no longer failed."""
    conversation = joined()
    conversation.add_pending("c-1", "Hello")
    conversation.add_pending("c-2", "x" * 10)
    too_large = {"type": "error", "code": "too_large", "message": "frame is larger than 16384"}
    assert conversation.apply(too_large, NOW)
    assert [(p.data["state"], p.data["error"]) for p in conversation.items()] == [
        (state.FAILED, "too_large"),
        (state.FAILED, "too_large"),
    ]
    assert conversation.outbox() == []
    conversation.apply({"type": "ack", "client_id": "c-1", "seq": 1, "id": "c1.1"}, NOW)
    assert keys(conversation) == ["m:c1.1", "p:c-2"]
    bad_frame = {"type": "error", "code": "bad_frame", "message": "frame is not JSON"}
    assert not conversation.apply(bad_frame, NOW)  # nothing left in flight


def test_other_refusals_without_client_id_leave_messages_in_flight():
    conversation = joined()
    conversation.add_pending("c-1", "Hello")
    for code in ("not_joined", "already_joined", "room_full", "invalid", "rate_limited"):
        assert not conversation.apply({"type": "error", "code": code, "message": "no"}, NOW)
    assert conversation.items()[0].data["state"] == state.SENDING


def test_a_failed_message_stays_where_it_was_sent():
    conversation = joined()
    conversation.apply(message(1), NOW)
    conversation.add_pending("c-1", "refused")
    conversation.add_pending("c-2", "accepted")
    refusal = {"type": "error", "code": "rate_limited", "message": "slow down", "client_id": "c-1"}
    conversation.apply(refusal, NOW)
    conversation.apply({"type": "ack", "client_id": "c-2", "seq": 2, "id": "c1.2"}, NOW)
    conversation.apply(message(3, author=AGENT), NOW)
    conversation.add_pending("c-3", "on its way")
    assert keys(conversation) == ["m:c1.1", "p:c-1", "m:c1.2", "m:c1.3", "p:c-3"]
    conversation.retry("c-1")  # sent again: on its way out, after the log
    assert keys(conversation) == ["m:c1.1", "m:c1.2", "m:c1.3", "p:c-1", "p:c-3"]


def test_fail_outbox_marks_only_messages_on_their_way_out():
    conversation = state.Conversation()  # not joined: the chat is not available
    conversation.add_pending("c-1", "Hello")
    conversation.add_pending("c-2", "Anyone?")
    assert conversation.fail_outbox("unavailable")
    assert [p["state"] for p in (i.data for i in conversation.items())] == [state.FAILED] * 2
    assert conversation.outbox() == []
    assert not conversation.fail_outbox("unavailable")


def test_a_streamed_answer_grows_then_the_final_message_replaces_it():
    conversation = joined()
    conversation.apply(message(1, text="How do I hold a package?"), NOW)
    for piece in ("Use ", "apt-mark ", "hold."):
        assert conversation.apply(
            {"type": "assistant.delta", "answer_id": "a1", "text": piece}, NOW
        )
    items = conversation.items()
    assert [item.key for item in items] == ["m:c1.1", "s:a1"]
    assert items[1].data["text"] == "Use apt-mark hold."

    citation = {"url": "/help/pkg#hold", "title": "Holding packages"}
    final = message(
        2,
        author=ASSISTANT,
        text="Use apt-mark hold.",
        answer_id="a1",
        citations=[citation],
        resolution="answered",
    )
    conversation.apply(final, NOW)
    assert keys(conversation) == ["m:c1.1", "m:c1.2"]
    assert conversation.entry("c1.2")["citations"] == [citation]
    # A piece arriving after the final message is stale.
    assert not conversation.apply({"type": "assistant.delta", "answer_id": "a1", "text": "x"}, NOW)
    assert keys(conversation) == ["m:c1.1", "m:c1.2"]


def test_each_delta_redraws_only_the_stream():
    conversation = joined()
    conversation.apply(message(1), NOW)
    conversation.apply({"type": "assistant.delta", "answer_id": "a1", "text": "a"}, NOW)
    before = {item.key: item.rev for item in conversation.items()}
    conversation.apply({"type": "assistant.delta", "answer_id": "a1", "text": "b"}, NOW)
    after = {item.key: item.rev for item in conversation.items()}
    assert before["m:c1.1"] == after["m:c1.1"]
    assert before["s:a1"] != after["s:a1"]


def test_a_new_welcome_drops_half_streamed_text_the_room_sends_again():
    conversation = joined()
    conversation.apply({"type": "assistant.delta", "answer_id": "a1", "text": "Use apt"}, NOW)
    conversation.disconnected()
    conversation.apply(welcome(), NOW)
    conversation.apply({"type": "assistant.delta", "answer_id": "a1", "text": "Use apt"}, NOW)
    assert texts(conversation) == ["Use apt"]


def test_a_room_that_lost_entries_we_hold_makes_us_start_over():
    conversation = joined()
    for seq in (1, 2, 3):
        conversation.apply(message(seq), NOW)
    conversation.apply(welcome(last_seq=1), NOW)
    assert keys(conversation) == []
    assert conversation.last_seq == 0
    conversation.apply(message(1, text="kept"), NOW)
    assert texts(conversation) == ["kept"]


def test_others_typing_shows_until_they_stop_send_or_go_quiet():
    conversation = joined()
    conversation.apply({"type": "typing", "author": AGENT, "active": True}, NOW)
    assert conversation.typing_names(NOW) == ["Sam"]
    conversation.apply({"type": "typing", "author": AGENT, "active": False}, NOW)
    assert conversation.typing_names(NOW) == []

    conversation.apply({"type": "typing", "author": AGENT, "active": True}, NOW)
    conversation.apply(message(1, author=AGENT), NOW)
    assert conversation.typing_names(NOW) == []

    conversation.apply({"type": "typing", "author": AGENT, "active": True}, NOW)
    assert conversation.typing_names(NOW + state.TYPING_TTL_MS - 1) == ["Sam"]
    assert conversation.typing_names(NOW + state.TYPING_TTL_MS) == []


def test_our_own_typing_echo_and_nameless_typists():
    conversation = joined()
    assert not conversation.apply({"type": "typing", "author": VISITOR, "active": True}, NOW)
    nameless = {"id": "a2", "role": "agent", "name": ""}
    conversation.apply({"type": "typing", "author": nameless, "active": True}, NOW)
    conversation.apply({"type": "typing", "author": AGENT, "active": True}, NOW)
    assert conversation.typing_names(NOW) == ["Sam", "Agent"]  # by author id: a1, a2


def test_a_drop_forgets_typists_and_the_join():
    conversation = joined()
    conversation.apply({"type": "typing", "author": AGENT, "active": True}, NOW)
    conversation.disconnected()
    assert conversation.typing_names(NOW) == []
    assert not conversation.joined
    assert not conversation.can_request_human()


def test_handoff_and_a_human_joining():
    conversation = joined()
    assert conversation.can_request_human()
    conversation.apply(event(1, "handoff.requested", VISITOR, "waiting_human"), NOW)
    assert conversation.status == "waiting_human"
    assert conversation.handoff_requested and not conversation.can_request_human()
    conversation.apply(event(2, "agent.joined", AGENT, "open"), NOW)
    assert conversation.status == "open" and conversation.human_joined
    assert [item.kind for item in conversation.items()] == ["event", "event"]


def test_a_visitors_reopen_gives_the_conversation_back_to_the_assistant():
    conversation = joined()
    conversation.apply(event(1, "agent.joined", AGENT, "open"), NOW)
    conversation.apply(event(2, "closed", AGENT, "closed"), NOW)
    conversation.apply(event(3, "reopened", VISITOR, "open"), NOW)
    assert conversation.status == "open"
    assert not conversation.human_joined and conversation.can_request_human()


def test_the_greeting_comes_first_and_redraws_when_it_changes():
    conversation = joined()
    conversation.apply(message(1), NOW)
    conversation.set_greeting("Hi! Ask me anything.")
    items = conversation.items()
    assert [item.key for item in items] == ["greeting", "m:c1.1"]
    rev = items[0].rev
    conversation.set_greeting("Hi! Ask me anything.")
    assert conversation.items()[0].rev == rev
    conversation.set_greeting("Hello")
    assert conversation.items()[0].rev != rev


def test_client_ids_differ_by_clock_entropy_and_counter():
    ids = {
        state.new_client_id(NOW, 12345, 1),
        state.new_client_id(NOW, 12345, 2),
        state.new_client_id(NOW, 54321, 1),
        state.new_client_id(NOW + 1, 12345, 1),
    }
    assert len(ids) == 4
    for client_id in ids:
        assert 1 <= len(client_id) <= 64
        assert all(char in "0123456789abcdefghijklmnopqrstuvwxyz-" for char in client_id)
    assert state.new_client_id(0, 0, 0) == "c0-0-0"
    assert state.new_client_id(35, 36, 71) == "cz-10-1z"


def test_the_outbox_outlives_the_page_until_each_message_is_acked():
    before = joined()
    before.add_pending("c-1", "First")
    before.add_pending("c-2", "Second")
    before.add_pending("c-3", "Refused")
    before.apply({"type": "error", "code": "rate_limited", "message": "x", "client_id": "c-3"}, NOW)
    saved = before.saved_outbox()
    assert saved == [{"client_id": "c-1", "text": "First"}, {"client_id": "c-2", "text": "Second"}]

    # The next page: restored before anything is known of the room, drawn as sending.
    after = state.Conversation()
    after.restore_outbox(saved)
    after.restore_outbox(saved)  # twice (an identity change re-reads storage): no duplicates
    assert keys(after) == ["p:c-1", "p:c-2"]
    assert [item.data["state"] for item in after.items()] == [state.SENDING, state.SENDING]
    after.apply(welcome(last_seq=4), NOW)
    assert [p["client_id"] for p in after.outbox()] == ["c-1", "c-2"]
    # c-1 reached the room before the reload (its ack was lost): the history settles it.
    after.apply(message(4, text="First", client_id="c-1"), NOW)
    after.apply({"type": "ack", "client_id": "c-2", "seq": 5, "id": "c1.5"}, NOW)
    assert keys(after) == ["m:c1.4", "m:c1.5"]
    assert after.saved_outbox() == []


def test_a_malformed_saved_outbox_restores_only_what_is_well_formed():
    conversation = state.Conversation()
    for junk in (None, "text", {"client_id": "c-1"}, 7):
        conversation.restore_outbox(junk)
    conversation.restore_outbox(
        [None, "c-0", {"client_id": 1, "text": "x"}, {"client_id": "c-1", "text": "kept"}]
    )
    assert texts(conversation) == ["kept"]


def test_news_is_what_reaches_the_log_after_the_first_welcome_each_once():
    conversation = state.Conversation()
    conversation.apply(message(1, author=AGENT), NOW)  # no welcome yet: not news
    conversation.apply(welcome(last_seq=2), NOW)
    conversation.apply(message(2, author=AGENT), NOW)  # history sent on joining
    assert conversation.take_news() == []
    conversation.add_pending("c-1", "Mine")
    conversation.apply({"type": "ack", "client_id": "c-1", "seq": 3, "id": "c1.3"}, NOW)
    conversation.apply(message(4, author=ASSISTANT, text="Answer"), NOW)
    conversation.apply(message(4, author=ASSISTANT, text="Answer"), NOW)  # replayed
    conversation.apply(message(3, text="Mine", client_id="c-1"), NOW)  # our broadcast
    assert [(f["seq"], f["author"]["role"]) for f in conversation.take_news()] == [
        (3, "visitor"),
        (4, "assistant"),
    ]
    assert conversation.take_news() == []
    # A reconnect: what came while we were away is news too, the history before it is not.
    conversation.disconnected()
    conversation.apply(welcome(last_seq=5), NOW)
    conversation.apply(message(2, author=AGENT), NOW)
    conversation.apply(message(5, author=AGENT, text="While away"), NOW)
    assert [f["text"] for f in conversation.take_news()] == ["While away"]


AGENT2 = {"id": "a2", "role": "agent", "name": "Bob"}


def note(seq, author=AGENT, text=None, **extra):
    frame = message(seq, author, text if text is not None else "note " + str(seq), **extra)
    frame["type"] = "note"
    return frame


def test_an_agents_note_is_sent_like_a_message_and_drawn_as_a_note():
    conversation = joined(you=AGENT)
    conversation.add_pending("n1", "VIP customer", note=True)
    [pending] = conversation.outbox()
    assert (pending["note"], pending["text"]) == (True, "VIP customer")
    assert conversation.items()[-1].data["note"] is True
    ack = {"type": "ack", "client_id": "n1", "seq": 1, "id": "c1.1"}
    assert conversation.apply(ack, NOW)
    [item] = conversation.items()
    assert (item.kind, item.data["type"], item.data["text"]) == ("note", "note", "VIP customer")
    # The broadcast of the note keeps one item; another agent's note is drawn too.
    conversation.apply(note(1, AGENT, "VIP customer", client_id="n1"), NOW)
    conversation.apply(note(2, AGENT2, "ok"), NOW)
    assert [(i.kind, i.data["seq"]) for i in conversation.items()] == [("note", 1), ("note", 2)]
    # A note is not a reply: nobody "joined" because of it.
    assert not conversation.human_joined


def test_the_assignee_and_the_assistant_state_follow_the_room():
    conversation = joined(you=AGENT)
    assigned = event(1, "assigned", AGENT, "open")
    assigned["assignee"] = AGENT2
    conversation.apply(assigned, NOW)
    assert conversation.assignee == AGENT2
    conversation.apply(event(2, "unassigned", AGENT, "open"), NOW)
    assert conversation.assignee is None
    assert conversation.apply({"type": "assistant.state", "answering": True}, NOW)
    assert conversation.answering
    assert not conversation.apply({"type": "assistant.state", "answering": True}, NOW)
    conversation.disconnected()  # a new socket is told again
    assert not conversation.answering
    conversation.apply({"type": "assistant.state", "answering": True}, NOW)
    conversation.apply(welcome(you=AGENT, last_seq=2), NOW)
    assert not conversation.answering


def test_who_may_take_over():
    conversation = joined(you=AGENT)
    assert conversation.can_take_over()
    conversation.apply(event(1, "agent.joined", AGENT2, "open"), NOW)
    assert not conversation.can_take_over()  # a human has it
    conversation.apply(event(2, "reopened", VISITOR, "open"), NOW)
    assert conversation.can_take_over()  # the visitor's reopen gave it back to the assistant
    conversation.apply(event(3, "closed", AGENT, "closed"), NOW)
    assert not conversation.can_take_over()
