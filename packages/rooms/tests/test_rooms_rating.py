"""The visitor's satisfaction rating (CSAT) in the pure room core: one per closed conversation."""

from __future__ import annotations

from helpway.rooms.effects import Ask, Persist, Publish, Send
from helpway.rooms.meta import RoomMeta
from helpway.rooms.room import Room
from helpway.shared import frames

from .test_rooms_core import AGENT, CLOSE, REOPEN, VISITOR, error_code, new_room, persisted, send


def rate(client_id: str, score: int = 4, comment: str = "") -> frames.SendRating:
    return frames.SendRating(type="rating.send", client_id=client_id, score=score, comment=comment)


def closed_room() -> Room:
    room = new_room()
    room.join("v", VISITOR, 0)
    room.join("a", AGENT, 0)
    room.receive("v", send("m1"), now=1)
    room.receive("a", CLOSE, now=2)
    return room


def refusal(effects: list[object]) -> tuple[str, str | None]:
    [send_effect] = effects
    assert isinstance(send_effect, Send) and isinstance(send_effect.frame, frames.Error)
    return send_effect.frame.code, send_effect.frame.client_id


def test_a_closed_conversation_is_rated_once_and_stays_closed() -> None:
    room = closed_room()
    head = room.meta.last_seq
    effects = room.receive("v", rate("r1", 4, "  Quick and kind  "), now=3)
    persist, ack, broadcast, publish = effects
    assert isinstance(persist, Persist) and isinstance(publish, Publish)
    [event] = persist.entries
    assert isinstance(event, frames.Event)
    assert (event.name, event.status, event.author, event.client_id) == (
        "rated",
        "closed",
        VISITOR,
        "r1",
    )
    assert event.rating == frames.Rating(score=4, comment="Quick and kind")
    assert event.seq == head + 1
    assert ack == Send(("v",), frames.Ack(type="ack", client_id="r1", seq=event.seq, id=event.id))
    # Agents and the visitor see it: the console shows it, the widget knows it was rated.
    assert broadcast == Send(("v", "a"), event)
    assert (room.meta.status, room.meta.rating, room.meta.ai_active) == ("closed", 4, False)
    assert not [e for e in effects if isinstance(e, Ask)]


def test_a_resend_gets_the_first_ack_and_another_rating_is_refused() -> None:
    room = closed_room()
    [event] = persisted(room.receive("v", rate("r1", 5), now=3))
    again = room.receive("v", rate("r1", 5), now=4)
    assert again == [
        Send(("v",), frames.Ack(type="ack", client_id="r1", seq=event.seq, id=event.id))
    ]
    assert refusal(room.receive("v", rate("r2", 1, "changed my mind"), now=5)) == (
        "conflict",
        "r2",
    )
    assert room.meta.rating == 5 and room.meta.last_seq == event.seq


def test_only_a_closed_conversation_can_be_rated() -> None:
    room = new_room()
    room.join("v", VISITOR, 0)
    room.join("a", AGENT, 0)
    assert refusal(room.receive("v", rate("r1"), now=1)) == ("conflict", "r1")
    room.receive("a", CLOSE, now=2)
    room.receive("a", REOPEN, now=3)  # the prompt went away with the reopen
    assert refusal(room.receive("v", rate("r1"), now=4)) == ("conflict", "r1")
    assert room.meta.rating is None


def test_agents_cannot_rate() -> None:
    room = closed_room()
    assert refusal(room.receive("a", rate("r1"), now=3)) == ("forbidden", "r1")
    assert error_code(room.receive("a", rate("r1"), now=3)) == "forbidden"
    assert room.meta.rating is None


def test_a_rated_conversation_closed_again_keeps_its_first_rating() -> None:
    room = closed_room()
    room.receive("v", rate("r1", 2), now=3)
    room.receive("v", send("m2", "one more thing"), now=4)  # reopens it
    room.receive("a", CLOSE, now=5)
    assert refusal(room.receive("v", rate("r2", 5), now=6)) == ("conflict", "r2")
    assert room.meta.rating == 2


def test_a_room_rebuilt_from_storage_remembers_the_rating() -> None:
    room = closed_room()
    [event] = persisted(room.receive("v", rate("r1", 3), now=3))
    stored = RoomMeta.from_json(room.meta.to_json())
    rebuilt = Room(stored, receipts={("v1", "r1"): (event.seq, event.id, event.type)})
    rebuilt.join("v", VISITOR, stored.last_seq)
    assert rebuilt.receive("v", rate("r1", 3), now=4) == [
        Send(("v",), frames.Ack(type="ack", client_id="r1", seq=event.seq, id=event.id))
    ]
    assert refusal(rebuilt.receive("v", rate("r2", 3), now=4)) == ("conflict", "r2")


def test_meta_stored_before_ratings_existed_loads_unrated() -> None:
    old = '{"conversation_id":"c1","site_id":"demo","status":"closed","ai_active":false,'
    old += '"last_seq":3,"last_created_at":5,"agent_ids":[],"assignee_id":null,"answered_id":null}'
    assert RoomMeta.from_json(old).rating is None
