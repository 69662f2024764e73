"""Hypothesis-generated WebSocket frames against the two frame validators: the edge's
(`framing.decode`, pydantic's `client_frame_adapter`) and the browser's MicroPython-safe codec
(`wire.decode` on `wire_spec.CLIENT`). For every input both must agree — accepted, or refused
with the same stable code — and neither may raise anything but a refusal."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from helpway.edge.framing import Refusal, decode
from helpway.shared import errors, limits, wire, wire_spec

EXAMPLES = 800
TYPES = ["join", "message.send", "typing", "handoff.request", "ping", "welcome", "", "JOIN"]
FIELDS = ["type", "v", "token", "last_seq", "client_id", "text", "active", "extra"]

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(["", " ", "\u200b", "\u202e", "\x00", "\ud7ff", "a" * 200]),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)


@st.composite
def frame_like(draw: st.DrawFn) -> str:
    """An object shaped like a client frame: a known or near type, known fields with values
    of any JSON type, sometimes valid ones."""
    obj: dict[str, Any] = {"type": draw(st.sampled_from(TYPES))}
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=5, unique=True)):
        obj[name] = draw(
            st.one_of(
                json_values,
                st.sampled_from([1, 0, limits.PROTOCOL_VERSION, True, "tok", "c1", "hello"]),
            )
        )
    if draw(st.booleans()):
        obj.pop("type")
    return json.dumps(obj, ensure_ascii=draw(st.booleans()))


texts = st.text(min_size=1, max_size=limits.MAX_TEXT_CHARS // 8)
valid_frames = st.one_of(
    st.fixed_dictionaries(
        {
            "type": st.just("join"),
            "v": st.just(limits.PROTOCOL_VERSION),
            "token": st.text(min_size=1, max_size=60),
            "last_seq": st.integers(min_value=0, max_value=limits.MAX_SEQ),
        }
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("message.send"),
            "client_id": st.text(min_size=1, max_size=limits.MAX_CLIENT_ID_CHARS),
            "text": texts,
        }
    ),
    st.fixed_dictionaries({"type": st.just("typing"), "active": st.booleans()}),
    st.fixed_dictionaries({"type": st.sampled_from(["ping", "handoff.request"])}),
)


@st.composite
def near_valid(draw: st.DrawFn) -> str:
    """A valid frame, often with one field replaced by any JSON value or dropped."""
    obj = draw(valid_frames)
    change = draw(st.sampled_from(["keep", "keep", "replace", "drop", "add"]))
    name = draw(st.sampled_from(sorted(obj)))
    if change == "replace":
        obj[name] = draw(json_values)
    elif change == "drop":
        obj.pop(name)
    elif change == "add":
        obj[draw(st.sampled_from(FIELDS))] = draw(json_values)
    return json.dumps(obj, ensure_ascii=draw(st.booleans()))


# Half near-valid frames (valid ones included), a quarter frame-shaped objects, a quarter
# anything: bytes, text, JSON of any shape, frames cut short.
raw_frames = st.one_of(
    near_valid(),
    near_valid(),
    frame_like(),
    st.one_of(
        st.binary(max_size=64),
        st.text(max_size=64),
        json_values.map(json.dumps),
        frame_like().map(lambda text: text[: len(text) // 2]),
        near_valid().map(lambda text: text.encode("utf-8")),
    ),
)


def edge_verdict(raw: str | bytes) -> str | None:
    try:
        decode(raw)
    except Refusal as refusal:
        return refusal.code
    return None


def wire_verdict(raw: str | bytes) -> str | None:
    _, problem = wire.decode(raw, wire_spec.CLIENT)
    return None if problem is None else str(problem[0])


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=raw_frames)
def test_validators_agree_and_never_crash(raw: str | bytes) -> None:
    verdict = edge_verdict(raw)
    event(f"verdict: {verdict or 'accepted'}")
    assert verdict == wire_verdict(raw), raw


def test_a_blank_text_is_refused_in_words_not_with_the_pattern() -> None:
    """The refusal used to quote the whole invisible-characters class, cut at 500 characters."""
    blank = json.dumps({"type": "message.send", "client_id": "c-1", "text": " \u200b\t "})
    with pytest.raises(Refusal) as refused:
        decode(blank)
    assert refused.value.code == errors.INVALID
    assert refused.value.message == (
        "message.send.text: must contain a visible character, not only spaces or invisible ones"
    )
    assert refused.value.client_id == "c-1"
