"""The room's frames for conversation "c1" as the widget's state tests feed them in: a welcome,
messages and events, each one's time derived from its seq.

Shared by test modules that also run on MicroPython (`test_widget_micropython.py` places this
file beside them): plain dicts, no typing.
"""

VISITOR = {"id": "v1", "role": "visitor", "name": "Ana"}
AGENT = {"id": "a1", "role": "agent", "name": "Sam"}
ASSISTANT = {"id": "assistant", "role": "assistant", "name": "Helpway"}
NOW = 1733200000000


def welcome(last_seq=0, you=VISITOR, status="open"):
    return {
        "type": "welcome",
        "v": 1,
        "conversation_id": "c1",
        "you": you,
        "status": status,
        "last_seq": last_seq,
    }


def message(seq, author=VISITOR, text=None, **extra):
    frame = {
        "type": "message",
        "seq": seq,
        "id": "c1." + str(seq),
        "author": author,
        "text": text if text is not None else "message " + str(seq),
        "created_at": NOW + seq,
    }
    frame.update(extra)
    return frame


def event(seq, name, author, status, **extra):
    frame = {
        "type": "event",
        "seq": seq,
        "id": "c1." + str(seq),
        "name": name,
        "author": author,
        "status": status,
        "created_at": NOW + seq,
    }
    frame.update(extra)
    return frame
