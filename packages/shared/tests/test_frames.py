"""Behaviour of the pydantic frame models that the rest of the system relies on."""

import re
from typing import Annotated

import pytest
from pydantic import Field, TypeAdapter, ValidationError

from helpway.shared import frames, limits, wire


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


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("a\x00b", wire.CONTROL),
        ("\x1b[31mred", wire.CONTROL),
        ("line\r\nnext", wire.CONTROL),
        ("\u200b \n", wire.BLANK),
        ("\x00", wire.CONTROL),  # a control is named before blankness
        ("\tcode:\n\tx = 1", None),
        ("a\x7f\x85b", None),  # DEL and C1 controls are not C0: they pass
    ],
)
def test_the_text_rule_and_its_reasons_agree_with_the_model(text: str, why: str | None) -> None:
    """One rule (`wire.TEXT`), two implementations: pydantic's regex on the server, the codec's
    code-point scan in the browser, which also says which half failed."""
    assert wire.text_problem(text) == why
    try:
        frames.SendMessage(type="message.send", client_id="c", text=text)
    except ValidationError:
        accepted = False
    else:
        accepted = True
    assert accepted == (why is None)


@pytest.mark.parametrize(
    ("pattern", "text", "why"),
    [
        (wire.LINE, "Shop", None),
        (wire.LINE, "Help\tdesk", wire.LINE_CONTROL),  # one line: not even tab or newline
        (wire.LINE, "Help\n", wire.LINE_CONTROL),
        (wire.LINE, "a\x00b", wire.LINE_CONTROL),
        (wire.LINE, "\u200b", wire.BLANK),
        (wire.LINE, " ", wire.BLANK),
        (wire.LINE, "", wire.BLANK),
        (wire.OPTIONAL_LINE, "", None),
        (wire.OPTIONAL_LINE, "\x07", wire.LINE_CONTROL),
        (wire.OPTIONAL_TEXT, "", None),
        (wire.OPTIONAL_TEXT, "Fast.\n\tThanks", None),
        (wire.OPTIONAL_TEXT, "\x1b[2J", wire.CONTROL),
        (wire.OPTIONAL_TEXT, " \n", wire.BLANK),
    ],
)
def test_each_typed_text_pattern_and_its_reason_agree(
    pattern: str, text: str, why: str | None
) -> None:
    """pydantic's regex (the edge) and the codec's words for it (`wire.PATTERNS`, the widget
    and the edge's refusals) say the same of every field held to a text rule."""
    assert wire.PATTERNS[pattern](text) == why
    assert (re.fullmatch(pattern, text) is not None) == (why is None)
    model = TypeAdapter(Annotated[str, Field(pattern=pattern)])
    try:
        model.validate_python(text)
    except ValidationError:
        accepted = False
    else:
        accepted = True
    assert accepted == (why is None)


def test_stored_entries_holding_a_control_character_stay_readable() -> None:
    """The rule is for what clients send: a log entry stored before it still decodes, so no
    history is lost to it."""
    author = {"id": "v1", "role": "visitor", "name": ""}
    entry = {
        "type": "message",
        "seq": 1,
        "id": "m1",
        "author": author,
        "text": "old\x00",
        "created_at": 1,
    }
    assert frames.server_frame_adapter.validate_python(entry).text == "old\x00"
