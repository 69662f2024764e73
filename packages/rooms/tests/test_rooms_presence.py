"""The room core's ephemeral state and limits: typing that expires without a close event, typing
relays paced per session, the cap on sockets per room, and text cut between characters."""

from __future__ import annotations

import pytest

from helpway.rooms.assistant import FinalAnswer
from helpway.rooms.effects import Ask, Effect, Persist, Send
from helpway.rooms.meta import RoomMeta
from helpway.rooms.policy import RoomPolicy
from helpway.rooms.room import Room
from helpway.rooms.text import clip, pieces
from helpway.shared import errors, frames, limits

VISITOR = frames.Author(id="v1", role="visitor", name="Visitor v1")
AGENT = frames.Author(id="a1", role="agent", name="Ada")
POLICY = RoomPolicy(max_sessions=3, typing_ttl_ms=8000, typing_interval_ms=1000)


def typing(active: bool) -> frames.SetTyping:
    return frames.SetTyping(type="typing", active=active)


def shown(effects: list[Effect]) -> list[tuple[tuple[str, ...], str, bool]]:
    """The typing relays among `effects`: (to, typist id, active)."""
    return [
        (e.to, e.frame.author.id, e.frame.active)
        for e in effects
        if isinstance(e, Send) and isinstance(e.frame, frames.Typing)
    ]


def room_with_visitor_and_agent() -> Room:
    room = Room(RoomMeta(conversation_id="c1", site_id="demo"), policy=POLICY)
    room.join("v", VISITOR, 0)
    room.join("a", AGENT, 0)
    return room


def test_a_silent_typist_is_switched_off_by_the_room() -> None:
    room = room_with_visitor_and_agent()
    assert room.next_expiry is None
    assert shown(room.receive("a", typing(True), now=1000)) == [(("v",), "a1", True)]
    assert room.next_expiry == 9000
    # Repeats while typing extend the deadline and relay nothing.
    assert room.receive("a", typing(True), now=4000) == []
    assert room.next_expiry == 12000
    assert room.expire(now=11999) == []
    # No "stopped" and no close ever came: the room says it on the typist's behalf.
    assert shown(room.expire(now=12000)) == [(("v",), "a1", False)]
    assert room.next_expiry is None
    assert room.expire(now=20000) == []
    assert room.receive("a", typing(False), now=20001) == []  # already off: nothing relayed


def test_typing_relays_are_paced_per_session() -> None:
    room = room_with_visitor_and_agent()
    relays = []
    for now in range(0, 3000, 100):  # a client toggling every 100 ms for 3 s
        relays += shown(room.receive("v", typing(now % 200 == 0), now=now))
    starts = [r for r in relays if r[2]]
    assert len(starts) == 3  # at 0, 1000 and 2000 ms
    assert len(relays) == 6  # each start relayed once, each followed by one stop
    assert all(to == ("a",) for to, _, _ in relays)


def until_quiet(room: Room, now: int) -> list[tuple[tuple[str, ...], str, bool]]:
    """The typing relays the room's alarm makes up to `now`, fired at each `next_expiry` as a
    host does."""
    relays = []
    while (due := room.next_expiry) is not None and due <= now:
        relays += shown(room.expire(due))
    return relays


def test_a_start_soon_after_the_last_one_is_held_back_never_dropped() -> None:
    # The e2e failure: the visitor's "typing" for their question went out at 0, the question
    # itself at 30 (typing off); a short burst starting at 600 must still reach the agent,
    # although the widget sends no repeat (it stops at once).
    room = room_with_visitor_and_agent()
    assert shown(room.receive("v", typing(True), now=0)) == [(("a",), "v1", True)]
    message = frames.SendMessage(type="message.send", client_id="m1", text="hi")
    assert (("a",), "v1", False) in shown(room.receive("v", message, now=30))
    assert room.receive("v", typing(True), now=600) == []  # within the interval: held back
    assert room.next_expiry == 1000
    assert until_quiet(room, 1000) == [(("a",), "v1", True)]
    # …and it still expires by the TTL (counted from the typist's last word, at 600).
    assert room.next_expiry == 8600
    assert until_quiet(room, 9000) == [(("a",), "v1", False)]
    assert room.next_expiry is None


def test_a_stop_always_gets_through_and_a_held_back_start_it_cancels_stays_unsaid() -> None:
    room = room_with_visitor_and_agent()
    room.receive("v", typing(True), now=0)
    assert shown(room.receive("v", typing(False), now=50)) == [(("a",), "v1", False)]
    assert room.receive("v", typing(True), now=100) == []  # held back until 1000
    # Stopped before it was shown: the agent never saw it start, so nothing to take back.
    assert room.receive("v", typing(False), now=200) == []
    assert room.next_expiry is None
    assert until_quiet(room, 5000) == []
    # Sending or leaving ends a held-back start silently too.
    assert shown(room.receive("v", typing(True), now=5000)) == [(("a",), "v1", True)]
    room.receive("v", typing(False), now=5001)
    room.receive("v", typing(True), now=5002)
    message = frames.SendMessage(type="message.send", client_id="m1", text="hi")
    assert shown(room.receive("v", message, now=5003)) == []
    room.receive("v", typing(True), now=5004)
    assert room.leave("v") == []
    assert room.next_expiry is None


def test_a_joiner_is_told_who_is_typing_already() -> None:
    room = room_with_visitor_and_agent()
    room.receive("v", typing(True), now=0)
    assert shown(room.join("a2", AGENT, 0)) == [(("a2",), "v1", True)]


def test_leaving_or_sending_ends_typing_and_clears_the_alarm() -> None:
    room = room_with_visitor_and_agent()
    room.receive("v", typing(True), now=0)
    room.receive("a", typing(True), now=0)
    message = frames.SendMessage(type="message.send", client_id="m1", text="hi")
    assert (("a",), "v1", False) in shown(room.receive("v", message, now=10))
    assert shown(room.leave("a")) == [(("v",), "a1", False)]
    assert room.next_expiry is None


def test_a_full_room_refuses_a_join_until_a_socket_leaves() -> None:
    room = room_with_visitor_and_agent()
    assert room.join("v2", VISITOR, 0)[0].frame.type == "welcome"  # type: ignore[union-attr]
    [refusal] = room.join("v3", VISITOR, 0)
    assert isinstance(refusal, Send) and refusal.to == ("v3",)
    assert isinstance(refusal.frame, frames.Error) and refusal.frame.code == errors.ROOM_FULL
    assert not room.has_session("v3")
    ping = frames.Ping(type="ping")
    assert room.receive("v3", ping, now=0)[0].frame.code == errors.NOT_JOINED  # type: ignore[union-attr]
    room.leave("v2")
    assert room.join("v3", VISITOR, 0)[0].frame.type == "welcome"  # type: ignore[union-attr]
    assert room.has_session("v3")


def test_receipts_tell_a_resend_from_a_new_message() -> None:
    room = room_with_visitor_and_agent()
    message = frames.SendMessage(type="message.send", client_id="m1", text="hi")
    assert room.receipt("v1", "m1") is None
    room.receive("v", message, now=1)
    assert room.receipt("v1", "m1") == (1, "c1.1", "message")
    assert room.receipt("a1", "m1") is None  # client ids are per author


@pytest.mark.parametrize(
    "tail",
    [
        "\U0001f44d\U0001f3fd",  # thumbs up, skin tone
        "\U0001f468\u200d\U0001f469\u200d\U0001f467",  # family, ZWJ sequence
        "\U0001f469\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466",  # 👩‍👩‍👧‍👦: four, three ZWJs
        "\U0001f1ee\U0001f1e9",  # 🇮🇩
        "\u0e19\u0e49\u0e33",  # Thai น้ำ: a consonant, a tone mark, SARA AM (a spacing mark)
        "\u0e17\u0e35\u0e48",  # Thai ที่: a consonant, a vowel above, a tone mark
        "e\u0301",  # e + combining acute
        "\U0001f1eb\U0001f1f7",  # flag: two regional indicators
        "\u2764\ufe0f",  # heart + emoji presentation selector
        "\r\n",
    ],
)
def test_clipping_never_splits_a_character(tail: str) -> None:
    for keep in range(1, len(tail)):  # every cut that would land inside `tail`
        head = "a" * (100 - keep)
        assert clip(head + tail, 100) == head
    assert clip("a" * (100 - len(tail)) + tail, 100).endswith(tail)  # it fits: kept whole


def test_clipping_keeps_whole_flags_in_a_run() -> None:
    flags = "\U0001f1eb\U0001f1f7" * 3  # three flags, six regional indicators
    assert clip("ab" + flags, 2 + 5) == "ab" + flags[:4]
    assert clip("ab" + flags, 2 + 4) == "ab" + flags[:4]


def test_long_text_is_sliced_between_characters_and_loses_nothing() -> None:
    family = "\U0001f469\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
    text = ("ab" + family + "e\u0301" + "\U0001f1ee\U0001f1e9" + "\u0e19\u0e49\u0e33") * 5
    for size in range(len(family), 20):  # the family is the longest character: 7 code points
        sliced = pieces(text, size)
        assert "".join(sliced) == text
        assert all(0 < len(p) <= size for p in sliced)
        ends = [sum(len(p) for p in sliced[: i + 1]) for i in range(len(sliced) - 1)]
        assert all(clip(text, end) == text[:end] for end in ends)  # each a character boundary
    assert "".join(pieces(family, 3)) == family  # shorter slices than a character: cut anyway


def test_a_long_delta_is_sent_in_pieces_cut_between_characters() -> None:
    room = room_with_visitor_and_agent()
    effects = room.receive("v", frames.SendMessage(type="message.send", client_id="q", text="?"), 1)
    [ask] = [e for e in effects if isinstance(e, Ask)]
    flag = "\U0001f1ee\U0001f1e9"
    text = "x" * (limits.MAX_TEXT_CHARS - 1) + flag + "y"
    sent = [e.frame.text for e in room.assistant_delta(ask.answer_id, text)]  # type: ignore[union-attr]
    assert sent == ["x" * (limits.MAX_TEXT_CHARS - 1), flag + "y"]


def test_a_long_citation_title_is_cut_between_characters() -> None:
    room = room_with_visitor_and_agent()
    effects = room.receive("v", frames.SendMessage(type="message.send", client_id="q", text="?"), 1)
    [ask] = [e for e in effects if isinstance(e, Ask)]
    title = "t" * (limits.MAX_TITLE_CHARS - 1) + "e\u0301!"
    answer = FinalAnswer("See the guide.", citations=[("https://x.example/a", title)])
    effects = room.assistant_final(ask.answer_id, answer, now=2)
    [message] = [e for p in effects if isinstance(p, Persist) for e in p.entries]
    assert isinstance(message, frames.Message)
    assert message.citations[0].title == "t" * (limits.MAX_TITLE_CHARS - 1)


def test_an_assistant_answer_over_the_limit_is_cut_between_characters() -> None:
    room = room_with_visitor_and_agent()
    effects = room.receive("v", frames.SendMessage(type="message.send", client_id="q", text="?"), 1)
    [ask] = [e for e in effects if isinstance(e, Ask)]
    long = "x" * (limits.MAX_TEXT_CHARS - 1) + "\U0001f44d\U0001f3fd and more"
    effects = room.assistant_final(ask.answer_id, FinalAnswer(long), now=2)
    [message] = [e for p in effects if isinstance(p, Persist) for e in p.entries]
    assert isinstance(message, frames.Message)
    assert message.text == "x" * (limits.MAX_TEXT_CHARS - 1)


def test_old_receipts_leave_memory_and_are_looked_up_in_storage() -> None:
    stored: dict[tuple[str, str], tuple[int, str, str]] = {}
    lookups: list[str] = []

    def lookup(author_id: str, client_id: str) -> tuple[int, str, str] | None:
        lookups.append(client_id)
        return stored.get((author_id, client_id))

    policy = RoomPolicy(receipt_window=3)
    meta = RoomMeta(conversation_id="c1", site_id="demo", ai_active=False)
    room = Room(meta, policy=policy, lookup=lookup)
    room.join("a", AGENT, 0)
    for n in range(10):
        message = frames.SendMessage(type="message.send", client_id=f"m{n}", text="hi")
        for effect in room.receive("a", message, now=n):
            if isinstance(effect, Persist):  # the host's commit
                for entry in effect.entries:
                    if isinstance(entry, frames.Message) and entry.client_id:
                        stored[(entry.author.id, entry.client_id)] = (
                            entry.seq,
                            entry.id,
                            entry.type,
                        )
    head = room.meta.last_seq
    lookups.clear()  # each new client id was looked up once the room had forgotten any
    assert room.receipt("a1", "m9") == stored[("a1", "m9")] and lookups == []  # still in memory
    # The first message's receipt is outside the window: storage answers, nothing is created.
    resend = frames.SendMessage(type="message.send", client_id="m0", text="hi")
    [ack] = room.receive("a", resend, now=20)
    assert isinstance(ack, Send) and isinstance(ack.frame, frames.Ack)
    assert (ack.frame.seq, ack.frame.id) == stored[("a1", "m0")][:2]
    assert lookups == ["m0"] and room.meta.last_seq == head
    # Restored with every receipt, the room keeps only the window in memory too.
    restored = Room(room.meta, dict(stored), policy=policy, lookup=lookup)
    assert restored.receipt("a1", "m1") == stored[("a1", "m1")] and lookups == ["m0", "m1"]
