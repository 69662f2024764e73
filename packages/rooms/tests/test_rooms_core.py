"""The pure room core, driven directly: inputs in, effects out."""

from __future__ import annotations

from helpway.rooms.assistant import FinalAnswer
from helpway.rooms.effects import Ask, Cancel, Effect, Persist, Publish, Replay, Send
from helpway.rooms.meta import RoomMeta
from helpway.rooms.policy import RoomPolicy
from helpway.rooms.room import ASSISTANT, DECLINE_TEXT, Room
from helpway.shared import frames, limits

VISITOR = frames.Author(id="v1", role="visitor", name="Visitor v1")
AGENT = frames.Author(id="a1", role="agent", name="Ada")
AGENT2 = frames.Author(id="a2", role="agent", name="Bob")


def send(client_id: str, text: str = "hello") -> frames.SendMessage:
    return frames.SendMessage(type="message.send", client_id=client_id, text=text)


def typing(active: bool) -> frames.SetTyping:
    return frames.SetTyping(type="typing", active=active)


HANDOFF = frames.RequestHuman(type="handoff.request")
CLOSE = frames.Close(type="close")
REOPEN = frames.Reopen(type="reopen")
TAKEOVER = frames.TakeOver(type="takeover")


def note(client_id: str, text: str = "internal") -> frames.SendNote:
    return frames.SendNote(type="note.send", client_id=client_id, text=text)


def new_room() -> Room:
    return Room(RoomMeta(conversation_id="c1", site_id="demo"))


def sends(effects: list[Effect]) -> list[tuple[tuple[str, ...], frames.Frame]]:
    return [(e.to, e.frame) for e in effects if isinstance(e, Send)]


def persisted(effects: list[Effect]) -> list[frames.Message | frames.Event]:
    return [entry for e in effects if isinstance(e, Persist) for entry in e.entries]


def error_code(effects: list[Effect]) -> str:
    [(_, frame)] = sends(effects)
    assert isinstance(frame, frames.Error)
    return frame.code


def test_join_welcomes_with_the_head_and_replays_the_gap() -> None:
    room = new_room()
    [welcome] = sends(room.join("s1", VISITOR, 0))
    assert welcome == (
        ("s1",),
        frames.Welcome(
            type="welcome",
            v=limits.PROTOCOL_VERSION,
            conversation_id="c1",
            you=VISITOR,
            status="open",
            last_seq=0,
        ),
    )
    room.receive("s1", send("x1"), now=10)
    room.receive("s1", send("x2"), now=11)
    effects = room.join("s2", AGENT, 1)
    assert isinstance(effects[0], Send) and effects[0].frame.type == "welcome"
    # An agent's catch-up includes agents-only entries; the assistant is on the first question.
    answering = frames.AssistantState(type="assistant.state", answering=True)
    assert effects[1:] == [Replay("s2", 1, 2, include_agents_only=True), Send(("s2",), answering)]
    # Nothing is invented beyond the head: only the assistant's state, as to every agent.
    assert room.join("s3", AGENT, 99)[1:] == [Send(("s3",), answering)]


def test_frames_before_join_and_second_joins_are_refused() -> None:
    room = new_room()
    [(to, frame)] = sends(room.receive("s1", send("x1"), now=1))
    assert to == ("s1",)
    assert isinstance(frame, frames.Error)
    assert (frame.code, frame.client_id) == ("not_joined", "x1")
    room.join("s1", VISITOR, 0)
    assert error_code(room.join("s1", VISITOR, 0)) == "already_joined"
    join_frame = frames.Join(type="join", v=1, token="t")
    assert error_code(room.receive("s1", join_frame, now=1)) == "already_joined"
    assert sends(room.receive("s1", frames.Ping(type="ping"), now=1)) == [
        (("s1",), frames.Pong(type="pong"))
    ]


def test_send_persists_then_acks_then_broadcasts_then_publishes() -> None:
    room = new_room()
    room.join("s1", VISITOR, 0)
    room.join("s2", AGENT, 0)
    room.receive("s2", typing(True), now=1)
    effects = room.receive("s1", send("x1", "where is my order?"), now=1000)
    kinds = [type(e).__name__ for e in effects]
    assert kinds == ["Persist", "Send", "Send", "Publish", "Send", "Ask"]
    [message] = persisted(effects)
    assert isinstance(message, frames.Message)
    assert (message.seq, message.id, message.client_id, message.author) == (
        1,
        "c1.1",
        "x1",
        VISITOR,
    )
    assert effects[1] == Send(("s1",), frames.Ack(type="ack", client_id="x1", seq=1, id="c1.1"))
    assert effects[2] == Send(("s1", "s2"), message)
    # Agents (only) learn that the assistant is at work.
    answering = frames.AssistantState(type="assistant.state", answering=True)
    assert effects[4] == Send(("s2",), answering)
    assert effects[5] == Ask("c1.a1", "demo", "where is my order?")
    assert room.meta.last_seq == 1


def test_resend_returns_the_original_ack_and_creates_nothing() -> None:
    room = new_room()
    room.join("s1", VISITOR, 0)
    room.join("s2", VISITOR, 0)  # the same visitor in a second tab
    room.receive("s1", send("x1", "first"), now=1)
    resent = room.receive("s2", send("x1", "first, again"), now=2)
    assert resent == [Send(("s2",), frames.Ack(type="ack", client_id="x1", seq=1, id="c1.1"))]
    assert room.meta.last_seq == 1
    # Another author may use the same client id: it is a different message.
    room.join("s3", AGENT, 0)
    [agent_event, agent_message] = persisted(room.receive("s3", send("x1", "hi"), now=3))
    assert isinstance(agent_event, frames.Event) and agent_event.name == "agent.joined"
    assert agent_message.seq == 3


def test_restored_receipts_keep_resends_idempotent() -> None:
    room = Room(RoomMeta("c1", "demo", last_seq=5), receipts={("v1", "x1"): (4, "c1.4", "message")})
    room.join("s1", VISITOR, 5)
    assert room.receive("s1", send("x1"), now=1) == [
        Send(("s1",), frames.Ack(type="ack", client_id="x1", seq=4, id="c1.4"))
    ]


def test_typing_is_relayed_to_others_only_and_never_stored() -> None:
    room = new_room()
    room.join("v-tab1", VISITOR, 0)
    room.join("v-tab2", VISITOR, 0)
    room.join("agent", AGENT, 0)
    effects = room.receive("v-tab1", typing(True), now=1)
    assert effects == [Send(("agent",), frames.Typing(type="typing", author=VISITOR, active=True))]
    assert room.receive("v-tab1", typing(True), now=2) == []  # unchanged: nothing relayed
    assert room.meta.last_seq == 0
    # Leaving while typing switches the indicator off for the others.
    assert room.leave("v-tab1") == [
        Send(("agent",), frames.Typing(type="typing", author=VISITOR, active=False))
    ]
    assert room.leave("v-tab1") == []
    # Sending ends typing too.
    room.receive("agent", typing(True), now=3)
    effects = room.receive("agent", send("y1"), now=4)
    assert sends(effects)[-1] == (
        ("v-tab2",),
        frames.Typing(type="typing", author=AGENT, active=False),
    )


def test_handoff_stops_the_assistant_and_an_agent_takes_over() -> None:
    room = new_room()
    room.join("v", VISITOR, 0)
    room.join("a", AGENT, 0)
    [ask] = [e for e in room.receive("v", send("x1", "q"), now=1) if isinstance(e, Ask)]
    room.assistant_delta(ask.answer_id, "partial")

    effects = room.receive("v", HANDOFF, now=2)
    [event] = persisted(effects)
    assert isinstance(event, frames.Event)
    assert (event.name, event.status, event.author) == (
        "handoff.requested",
        "waiting_human",
        VISITOR,
    )
    assert Cancel(ask.answer_id) in effects
    assert (room.meta.status, room.meta.ai_active, room.answering) == ("waiting_human", False, None)
    assert room.assistant_delta(ask.answer_id, "late") == []
    assert room.assistant_final(ask.answer_id, FinalAnswer("late"), now=3) == []
    assert room.receive("v", HANDOFF, now=3) == []  # already waiting

    # While waiting, visitor messages are stored but not answered by the assistant.
    assert not [e for e in room.receive("v", send("x2"), now=4) if isinstance(e, Ask)]

    joined, reply = persisted(room.receive("a", send("y1", "I'm here"), now=5))
    assert isinstance(joined, frames.Event)
    assert (joined.name, joined.status, joined.author) == ("agent.joined", "open", AGENT)
    assert reply.author == AGENT
    assert (room.meta.status, room.meta.ai_active) == ("open", False)
    # Later agent messages need no new event, and the assistant stays off.
    assert len(persisted(room.receive("a", send("y2"), now=6))) == 1
    assert not [e for e in room.receive("v", send("x3"), now=7) if isinstance(e, Ask)]
    # A second agent joining is logged.
    room.join("b", AGENT2, 0)
    assert [e.type for e in persisted(room.receive("b", send("z1"), now=8))] == ["event", "message"]


def test_only_visitors_ask_for_a_human_and_only_people_send() -> None:
    room = new_room()
    room.join("a", AGENT, 0)
    assert error_code(room.receive("a", HANDOFF, now=1)) == "forbidden"
    room.join("bot", ASSISTANT, 0)
    assert error_code(room.receive("bot", send("x"), now=1)) == "forbidden"


def test_a_message_into_a_closed_conversation_reopens_it() -> None:
    room = new_room()
    room.join("v", VISITOR, 0)
    room.join("a", AGENT, 0)
    room.receive("a", send("y1"), now=1)
    [closed] = persisted(room.receive("a", CLOSE, now=2))
    assert isinstance(closed, frames.Event)
    assert (closed.name, closed.status, room.meta.ai_active) == ("closed", "closed", False)
    assert room.receive("a", CLOSE, now=3) == []

    effects = room.receive("v", send("x1", "one more thing"), now=4)
    reopened, message = persisted(effects)
    assert isinstance(reopened, frames.Event)
    assert (reopened.name, reopened.status, reopened.author) == ("reopened", "open", VISITOR)
    assert message.seq == reopened.seq + 1
    # A visitor's reopen hands the conversation back to the assistant.
    assert [e for e in effects if isinstance(e, Ask)]
    ack = next(f for _, f in sends(effects) if isinstance(f, frames.Ack))
    assert ack.seq == message.seq

    room.receive("a", CLOSE, now=5)
    reopened, _ = persisted(room.receive("a", send("y2", "following up"), now=6))
    assert isinstance(reopened, frames.Event)
    assert (reopened.name, reopened.author) == ("reopened", AGENT)
    assert (room.meta.status, room.meta.ai_active) == ("open", False)

    room.receive("a", CLOSE, now=7)
    names = [e.name for e in persisted(room.receive("v", HANDOFF, now=8))]  # type: ignore[union-attr]
    assert names == ["reopened", "handoff.requested"]
    assert room.meta.status == "waiting_human"


def test_assistant_streams_then_logs_its_answer_with_citations() -> None:
    room = new_room()
    room.join("v", VISITOR, 0)
    [ask] = [e for e in room.receive("v", send("x1", "how to hold?"), now=1) if isinstance(e, Ask)]
    assert room.answering == ask.answer_id
    delta = room.assistant_delta(ask.answer_id, "Use ")
    assert delta == [
        Send(
            ("v",),
            frames.AssistantDelta(type="assistant.delta", answer_id=ask.answer_id, text="Use "),
        )
    ]
    assert room.assistant_delta(ask.answer_id, "") == []
    # A session joining mid-stream gets the answer so far in one piece.
    room.assistant_delta(ask.answer_id, "apt-mark")
    late = room.join("v2", VISITOR, 1)
    assert late[-1] == Send(
        ("v2",),
        frames.AssistantDelta(type="assistant.delta", answer_id=ask.answer_id, text="Use apt-mark"),
    )

    citations = [("/help/pkg#hold", "Hold"), ("/help/pkg#hold", "dup"), ("", "empty")]
    citations += [("/x" * 2000, "too long")] + [(f"/h/{i}", f"T{i}") for i in range(20)]
    effects = room.assistant_final(
        ask.answer_id, FinalAnswer(" Use apt-mark hold. ", citations, "answered"), now=2
    )
    [answer] = persisted(effects)
    assert isinstance(answer, frames.Message)
    assert (answer.author, answer.text, answer.answer_id, answer.resolution) == (
        ASSISTANT,
        "Use apt-mark hold.",
        ask.answer_id,
        "answered",
    )
    assert answer.citations[0] == frames.Citation(url="/help/pkg#hold", title="Hold")
    assert len(answer.citations) == limits.MAX_CITATIONS
    assert [type(e).__name__ for e in effects] == ["Persist", "Send", "Publish"]
    assert room.answering is None


def test_questions_are_answered_one_at_a_time_in_order() -> None:
    room = new_room()
    room.join("v", VISITOR, 0)
    [first] = [e for e in room.receive("v", send("x1", "one"), now=1) if isinstance(e, Ask)]
    assert not [e for e in room.receive("v", send("x2", "two"), now=2) if isinstance(e, Ask)]
    effects = room.assistant_final(first.answer_id, FinalAnswer("1"), now=3)
    [second] = [e for e in effects if isinstance(e, Ask)]
    assert (second.question, second.answer_id) == ("two", "c1.a2")


def test_a_failed_or_empty_answer_declines_and_offers_a_human() -> None:
    room = new_room()
    room.join("v", VISITOR, 0)
    [ask] = [e for e in room.receive("v", send("x1"), now=1) if isinstance(e, Ask)]
    [decline] = persisted(room.assistant_final(ask.answer_id, FinalAnswer("  "), now=2))
    assert isinstance(decline, frames.Message)
    assert (decline.text, decline.resolution) == (DECLINE_TEXT, "declined")
    assert room.assistant_failed(ask.answer_id, now=3) == []  # already finished


def test_entry_times_never_go_backwards() -> None:
    room = new_room()
    room.join("v", VISITOR, 0)
    [first] = persisted(room.receive("v", send("x1"), now=500))
    [second] = persisted(room.receive("v", send("x2"), now=100))  # the clock stepped back
    assert second.created_at == first.created_at == 500


def test_publish_follows_every_commit() -> None:
    room = new_room()
    room.join("v", VISITOR, 0)
    for effects in (room.receive("v", send("x1"), now=1), room.receive("v", HANDOFF, now=2)):
        persist_at = next(i for i, e in enumerate(effects) if isinstance(e, Persist))
        publish_at = next(i for i, e in enumerate(effects) if isinstance(e, Publish))
        assert persist_at == 0 < publish_at


ANSWERING = frames.AssistantState(type="assistant.state", answering=True)
IDLE = frames.AssistantState(type="assistant.state", answering=False)


def test_agents_close_and_reopen_with_frames_and_visitors_cannot() -> None:
    room = new_room()
    room.join("v", VISITOR, 0)
    room.join("a", AGENT, 0)
    assert error_code(room.receive("v", CLOSE, now=1)) == "forbidden"
    assert room.receive("a", REOPEN, now=1) == []  # not closed: nothing to log
    [closed] = persisted(room.receive("a", CLOSE, now=2))
    assert (closed.type, closed.name, closed.author) == ("event", "closed", AGENT)  # type: ignore[union-attr]
    assert error_code(room.receive("v", REOPEN, now=3)) == "forbidden"
    effects = room.receive("a", REOPEN, now=3)
    [reopened] = persisted(effects)
    assert isinstance(reopened, frames.Event)
    assert (reopened.name, reopened.status, reopened.author) == ("reopened", "open", AGENT)
    # Everyone sees status changes; the agent keeps the conversation (the assistant stays off).
    assert (("v", "a"), reopened) in sends(effects)
    assert (room.meta.status, room.meta.ai_active, room.meta.agent_ids) == ("open", False, {"a1"})
    assert not [e for e in room.receive("v", send("x1"), now=4) if isinstance(e, Ask)]


def test_takeover_stops_the_assistant_and_the_visitor_sees_a_human_joined() -> None:
    room = new_room()
    room.join("v", VISITOR, 0)
    room.join("a", AGENT, 0)
    assert error_code(room.receive("v", TAKEOVER, now=1)) == "forbidden"
    [ask] = [e for e in room.receive("v", send("x1", "one"), now=1) if isinstance(e, Ask)]
    room.receive("v", send("x2", "two"), now=2)  # queued behind the first question
    effects = room.receive("a", TAKEOVER, now=3)
    [joined] = persisted(effects)
    assert isinstance(joined, frames.Event)
    assert (joined.name, joined.status, joined.author) == ("agent.joined", "open", AGENT)
    assert (("v", "a"), joined) in sends(effects)
    assert Cancel(ask.answer_id) in effects
    assert (("a",), IDLE) in sends(effects)
    assert room.answering is None and not room.meta.ai_active
    # The stream that was cancelled is dropped; nothing more is asked.
    assert room.assistant_final(ask.answer_id, FinalAnswer("late"), now=4) == []
    assert not [e for e in room.receive("v", send("x3"), now=5) if isinstance(e, Ask)]
    assert room.receive("a", TAKEOVER, now=6) == []  # already this agent's
    # Another agent may take over too; a closed conversation must be reopened first.
    room.join("b", AGENT2, 0)
    assert [e.name for e in persisted(room.receive("b", TAKEOVER, now=7))] == ["agent.joined"]  # type: ignore[union-attr]
    room.receive("a", CLOSE, now=8)
    assert error_code(room.receive("a", TAKEOVER, now=9)) == "conversation_closed"


def test_takeover_of_a_waiting_conversation_opens_it() -> None:
    room = new_room()
    room.join("v", VISITOR, 0)
    room.join("a", AGENT, 0)
    room.receive("v", HANDOFF, now=1)
    [joined] = persisted(room.receive("a", TAKEOVER, now=2))
    assert (joined.status, room.meta.status) == ("open", "open")  # type: ignore[union-attr]


def test_a_client_id_of_a_note_is_no_message_and_the_reverse() -> None:
    """Notes and messages share an author's client ids; reusing one for the other kind is
    refused (`conflict`, naming it) instead of being acked as the other entry, which would tell
    the agent a message reached the visitor when only a note was ever stored. Resends of each
    are still acked as before, from memory and after the room forgot the receipts."""
    stored: dict[tuple[str, str], tuple[int, str, str]] = {}
    room = Room(
        RoomMeta("c1", "demo", ai_active=False),
        policy=RoomPolicy(receipt_window=1),
        lookup=lambda author, client_id: stored.get((author, client_id)),
    )
    room.join("a", AGENT, 0)
    for frame in (note("shared"), send("other")):
        for entry in persisted(room.receive("a", frame, now=1)):
            if not isinstance(entry, frames.Event) and entry.client_id:
                stored[(entry.author.id, entry.client_id)] = (entry.seq, entry.id, entry.type)
    head = room.meta.last_seq
    for _ in range(3):  # the window is 1: the note's receipt is read from storage
        refused = sends(room.receive("a", send("shared", "for the visitor"), now=2))
        assert [(f.code, f.client_id) for _to, f in refused] == [("conflict", "shared")]  # type: ignore[union-attr]
        refused = sends(room.receive("a", note("other"), now=2))
        assert [(f.code, f.client_id) for _to, f in refused] == [("conflict", "other")]  # type: ignore[union-attr]
    [(_to, ack)] = sends(room.receive("a", note("shared"), now=3))
    assert isinstance(ack, frames.Ack) and ack.seq == stored[("a1", "shared")][0]
    assert room.meta.last_seq == head


def test_notes_are_logged_for_agents_only() -> None:
    room = new_room()
    room.join("v", VISITOR, 0)
    room.join("a", AGENT, 0)
    room.join("b", AGENT2, 0)
    room.receive("a", CLOSE, now=1)
    assert error_code(room.receive("v", note("n0"), now=2)) == "forbidden"
    [(_to, refused)] = sends(room.receive("v", note("n0"), now=2))
    assert refused.client_id == "n0"  # type: ignore[union-attr]
    room.receive("a", typing(True), now=2)
    effects = room.receive("a", note("n1", "refund approved"), now=3)
    [entry] = persisted(effects)
    assert isinstance(entry, frames.Note)
    assert (entry.seq, entry.author, entry.text, entry.client_id) == (
        2,
        AGENT,
        "refund approved",
        "n1",
    )
    delivered = sends(effects)
    assert delivered[0] == (("a",), frames.Ack(type="ack", client_id="n1", seq=2, id="c1.2"))
    assert (("a", "b"), entry) in delivered
    # (The visitor is only told the agent stopped typing, as it was told it started.)
    assert [f.type for to, f in delivered if "v" in to] == ["typing"]
    # A note neither reopens the conversation nor counts as a reply.
    assert room.meta.status == "closed"
    # A resend is acked again and logs nothing.
    assert room.receive("a", note("n1", "again"), now=4) == [
        Send(("a",), frames.Ack(type="ack", client_id="n1", seq=2, id="c1.2"))
    ]
    # Catch-up: the visitor's skips agents-only entries, an agent's includes them.
    assert room.join("v2", VISITOR, 0)[1] == Replay("v2", 0, 2, include_agents_only=False)
    assert room.join("a2", AGENT, 0)[1] == Replay("a2", 0, 2, include_agents_only=True)
    assert [Replay("x", 0, 2).shows(e) for e in (entry,)] == [False]


def test_assignments_are_agents_only_events_naming_the_assignee() -> None:
    room = new_room()
    room.join("v", VISITOR, 0)
    room.join("a", AGENT, 0)
    assert error_code(room.assign("v", AGENT, now=1)) == "forbidden"
    assert error_code(room.assign("nobody", AGENT, now=1)) == "not_joined"
    effects = room.assign("a", AGENT2, now=2)
    [assigned] = persisted(effects)
    assert isinstance(assigned, frames.Event)
    assert (assigned.name, assigned.author, assigned.assignee, assigned.status) == (
        "assigned",
        AGENT,
        AGENT2,
        "open",
    )
    assert sends(effects) == [(("a",), assigned)]
    assert frames.agents_only(assigned)
    assert room.meta.assignee_id == "a2"
    assert room.assign("a", AGENT2, now=3) == []  # the assignee already
    [unassigned] = persisted(room.assign("a", None, now=4))
    assert (unassigned.name, unassigned.assignee) == ("unassigned", None)  # type: ignore[union-attr]
    assert room.meta.assignee_id is None
    assert room.assign("a", None, now=5) == []
    # The frame itself is resolved by the host, never by the core.
    assign = frames.Assign(type="assign", agent_id="a2")
    assert error_code(room.receive("a", assign, now=6)) == "invalid"


def test_agents_are_told_when_the_assistant_starts_and_stops() -> None:
    room = new_room()
    room.join("v", VISITOR, 0)
    room.join("a", AGENT, 0)
    effects = room.receive("v", send("x1", "one"), now=1)
    assert (("a",), ANSWERING) in sends(effects)
    [ask] = [e for e in effects if isinstance(e, Ask)]
    room.receive("v", send("x2", "two"), now=2)
    # Finishing with a question waiting keeps the assistant at work: no "stopped" in between.
    effects = room.assistant_final(ask.answer_id, FinalAnswer("1"), now=3)
    assert not [f for _, f in sends(effects) if isinstance(f, frames.AssistantState)]
    [second] = [e for e in effects if isinstance(e, Ask)]
    effects = room.assistant_failed(second.answer_id, now=4)
    assert (("a",), IDLE) in sends(effects)
    # The visitor never gets the assistant's state (its own widget shows the stream).
    for effects in (room.receive("v", send("x3"), now=5), room.receive("v", HANDOFF, now=6)):
        assert all("v" not in to for to, f in sends(effects) if f.type == "assistant.state")


def answered(room: Room, client_id: str, now: int) -> str:
    """The visitor asks and the assistant answers; returns the answer's id."""
    [ask] = [e for e in room.receive("v", send(client_id, "q"), now=now) if isinstance(e, Ask)]
    room.assistant_final(ask.answer_id, FinalAnswer("an answer"), now=now + 1)
    return ask.answer_id


def test_a_human_called_in_right_after_an_answer_takes_it_over() -> None:
    room = new_room()
    room.join("v", VISITOR, 0)
    room.join("a", AGENT, 0)
    # The visitor asks for a person after reading the answer: that answer was handed off.
    first = answered(room, "x1", now=1)
    [requested] = persisted(room.receive("v", HANDOFF, now=3))
    assert isinstance(requested, frames.Event) and requested.answer_id == first
    # The agent who then joins takes over no answer of its own.
    joined, _ = persisted(room.receive("a", send("y1", "I'm here"), now=4))
    assert isinstance(joined, frames.Event) and joined.answer_id is None

    # An answer the visitor went on from (a new question) was not handed off.
    room = new_room()
    room.join("v", VISITOR, 0)
    room.join("a", AGENT, 0)
    answered(room, "x1", now=1)
    room.receive("v", send("x2", "thanks, and another thing"), now=3)
    [requested] = persisted(room.receive("v", HANDOFF, now=4))
    assert isinstance(requested, frames.Event) and requested.answer_id is None

    # An agent stepping in (takeover or a reply) right after an answer hands it off too.
    for action in (frames.TakeOver(type="takeover"), send("y1", "Let me help")):
        room = new_room()
        room.join("v", VISITOR, 0)
        room.join("a", AGENT, 0)
        latest = answered(room, "x1", now=1)
        joined = persisted(room.receive("a", action, now=3))[0]
        assert isinstance(joined, frames.Event) and joined.name == "agent.joined"
        assert joined.answer_id == latest
