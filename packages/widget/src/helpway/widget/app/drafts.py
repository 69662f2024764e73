"""Whether a typed message can go out, and the frame it goes out as: pure, no browser calls.

Two limits apply. The text may hold `limits.MAX_TEXT_CHARS` code points (the frame spec says
so), and the encoded frame may be `limits.MAX_FRAME_BYTES` of UTF-8, which the server checks
before it reads anything. JSON spells a control character in six bytes, so a text well within
the character limit (2,800 control characters) can still make a frame the server refuses, and
refuses without naming its `client_id`, since it never parsed the frame. So the apps measure the
encoded frame themselves and never send one that is too big. The encoding measured is the
runtime's own (`wire.encode`): in the browser, exactly the bytes that would be sent.
"""

try:
    from helpway.shared import limits, wire
    from helpway.widget.app import i18n
except ImportError:  # MicroPython: the codec modules sit flat on the path
    import i18n
    import limits
    import wire

# Measured with the longest client id a frame may carry, so the verdict holds for every id.
LONGEST_CLIENT_ID = "c" * limits.MAX_CLIENT_ID_CHARS


def send_frame(client_id: str, text: str, note: bool = False) -> dict:
    """A message, or (`note`, agents only) an internal note: the same limits hold for both."""
    return {"type": "note.send" if note else "message.send", "client_id": client_id, "text": text}


def frame_bytes(frame: dict) -> int:
    """The frame's size on the wire, as the server measures it."""
    return len(wire.encode(frame).encode("utf-8"))


def problem(text: str, lang: str = i18n.DEFAULT) -> str | None:
    """Why `text` cannot be sent, said in `lang` ("" when it is merely blank, which needs no
    notice), None when it can.

    A text with a control character goes out all the same: the room refuses it (`invalid`,
    naming its client id) and the message itself shows that, so the visitor sees which one
    failed (pasted text hides those characters), and there is one judge of the rule."""
    if len(text) > limits.MAX_TEXT_CHARS:
        params = {"count": len(text), "limit": limits.MAX_TEXT_CHARS}
        return i18n.text(lang, "too_long", params)
    if not text or wire.text_problem(text) == wire.BLANK:
        return ""
    if frame_bytes(send_frame(LONGEST_CLIENT_ID, text)) > limits.MAX_FRAME_BYTES:
        return i18n.text(lang, "too_long_bytes")
    return None
