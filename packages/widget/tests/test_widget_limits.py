"""The widget and the room agree on which texts fit: the widget's verdict (`drafts.problem`,
the same code on MicroPython) against the frame model the room's door validates with, for
characters of several code points at the limit. Neither ever shortens what was typed: a text
over the limit is refused whole, by both."""

from __future__ import annotations

import pydantic
import pytest

from helpway.shared import frames, limits
from helpway.widget.app import drafts

FAMILY = "\U0001f469\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 👩‍👩‍👧‍👦
SAMPLES = [FAMILY, "\U0001f1ee\U0001f1e9", "e\u0301", "\u0e19\u0e49\u0e33", "\u0e17\u0e35\u0e48"]


def room_accepts(text: str) -> bool:
    try:
        frames.SendMessage(type="message.send", client_id="c1", text=text)
    except pydantic.ValidationError:
        return False
    return True


@pytest.mark.parametrize("char", SAMPLES)
@pytest.mark.parametrize("extra", [-1, 0, 1])
def test_the_widget_and_the_room_agree_at_the_limit(char: str, extra: int) -> None:
    text = "a" * (limits.MAX_TEXT_CHARS - len(char) + extra) + char
    assert (drafts.problem(text) is None) == room_accepts(text) == (extra <= 0)
