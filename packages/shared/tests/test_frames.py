"""Behaviour of the pydantic frame models that the rest of the system relies on."""

import pytest
from pydantic import ValidationError

from helpway.shared import frames, limits


def test_send_round_trips_through_json() -> None:
    raw = '{"type":"message.send","client_id":"c1","text":"héllo 👋"}'
    frame = frames.client_frame_adapter.validate_json(raw)
    assert isinstance(frame, frames.SendMessage)
    assert frame.text == "héllo 👋"


@pytest.mark.parametrize(
    "raw",
    [
        '{"type":"message.send","client_id":"c1","text":"   "}',  # blank text
        '{"type":"message.send","client_id":"c1","text":"hi","extra":1}',  # unknown field
        '{"type":"join","v":"1","token":"t"}',  # numeric string is not an int (strict)
        '{"type":"join","v":1.0,"token":"t"}',  # float is not an int (strict)
        '{"type":"typing","active":1}',  # int is not a bool
        '{"type":"nope"}',
    ],
)
def test_invalid_client_frames_are_refused(raw: str) -> None:
    with pytest.raises(ValidationError):
        frames.client_frame_adapter.validate_json(raw)


def test_text_limit_counts_code_points_not_bytes() -> None:
    emoji_text = "😀" * limits.MAX_TEXT_CHARS  # 4 bytes each in UTF-8
    frame = frames.SendMessage(type="message.send", client_id="c", text=emoji_text)
    assert len(frame.text) == limits.MAX_TEXT_CHARS
    with pytest.raises(ValidationError):
        frames.SendMessage(type="message.send", client_id="c", text=emoji_text + "😀")
