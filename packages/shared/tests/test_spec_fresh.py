"""The generated MicroPython spec must match the pydantic models it is derived from."""

from helpway.shared import spec_export


def test_wire_spec_is_regenerated_from_frames() -> None:
    assert spec_export.TARGET.read_text() == spec_export.render(), (
        "wire_spec.py is stale: run `uv run python -m helpway.shared.spec_export`"
    )


def test_every_frame_type_is_exported() -> None:
    from helpway.shared import wire_spec

    assert set(wire_spec.CLIENT) == {
        "join",
        "message.send",
        "typing",
        "handoff.request",
        "ping",
        "rating.send",
        "note.send",
        "takeover",
        "close",
        "reopen",
        "assign",
        "presence.set",
    }
    assert set(wire_spec.SERVER) == {
        "welcome",
        "message",
        "event",
        "note",
        "ack",
        "typing",
        "assistant.delta",
        "assistant.state",
        "error",
        "pong",
        "inbox.update",
        "presence",
    }
