"""Bad frames on a conversation socket: each gets an error frame with a stable code and the
socket stays usable — except a refused token or protocol version, which close it (4401/4400)."""

from __future__ import annotations

import json

import pytest

from helpway.shared import limits


def send_frame(client_id: str, text: str) -> str:
    return json.dumps(
        {"type": "message.send", "client_id": client_id, "text": text}, ensure_ascii=False
    )


BAD_BEFORE_JOIN = [
    ("not json at all", "bad_frame"),
    ("[1, 2, 3]", "bad_frame"),
    ('"join"', "bad_frame"),
    ('{"no": "type"}', "bad_frame"),
    ('{"type": "subscribe"}', "bad_frame"),
    ('{"type": "join", "v": 1}', "invalid"),
    ('{"type": "join", "v": "1", "token": "t"}', "invalid"),
    ('{"type": "join", "v": 1, "token": "t", "extra": true}', "invalid"),
    ('{"type": "ping"}', "not_joined"),
    ('{"type": "message.send", "client_id": "early", "text": "hi"}', "not_joined"),
    (json.dumps({"type": "ping", "pad": "x" * limits.MAX_FRAME_BYTES}), "too_large"),
]


@pytest.mark.parametrize(("raw", "code"), BAD_BEFORE_JOIN)
async def test_bad_frames_before_join_leave_the_socket_usable(client, raw: str, code: str) -> None:
    visitor = await client.visitor()
    async with client.socket(f"/ws/conversations/{visitor['conversation_id']}") as sock:
        await sock.send(raw)
        error = await sock.recv()
        assert error["type"] == "error" and error["code"] == code, error
        assert error.get("client_id") == ("early" if "early" in raw else None)
        welcome = await sock.join(visitor["visitor_token"])
        assert welcome["conversation_id"] == visitor["conversation_id"]


async def test_bad_frames_after_join_leave_the_socket_usable(client) -> None:
    visitor = await client.visitor()
    cid, token = visitor["conversation_id"], visitor["visitor_token"]
    long_text = "é" * (limits.MAX_TEXT_CHARS + 1)  # within the byte limit, too many characters
    huge_text = "x" * limits.MAX_FRAME_BYTES
    cases = [
        ("{oops", "bad_frame", None),
        ('{"type": "delete_everything"}', "bad_frame", None),
        (send_frame("a", "   "), "invalid", "a"),
        (send_frame("", "x"), "invalid", None),
        (send_frame("b", long_text), "invalid", "b"),
        (send_frame("c", huge_text), "too_large", None),
        (json.dumps({"type": "typing", "active": "yes"}), "invalid", None),
        (json.dumps({"type": "join", "v": 1, "token": token}), "already_joined", None),
    ]
    async with client.conversation(cid, token) as sock:
        for raw, code, client_id in cases:
            await sock.send(raw)
            error = await sock.recv()
            assert error["type"] == "error" and error["code"] == code, (raw[:60], error)
            assert error.get("client_id") == client_id
        await sock.send(b'{"type": "ping"}')  # a binary frame holding JSON is read as JSON
        assert await sock.recv() == {"type": "pong"}
        await sock.send({"type": "message.send", "client_id": "after", "text": "still here"})
        ack = await sock.recv()
        assert ack["type"] == "ack" and ack["client_id"] == "after"


async def test_a_refused_token_gets_unauthorized_and_4401(client) -> None:
    visitor = await client.visitor()
    async with client.socket(f"/ws/conversations/{visitor['conversation_id']}") as sock:
        await sock.send({"type": "join", "v": 1, "token": "bogus", "last_seq": 0})
        error = await sock.recv()
        assert error["type"] == "error" and error["code"] == "unauthorized"
        await sock.conn.wait_closed()
        assert sock.conn.close_code == 4401


async def test_another_visitors_conversation_is_refused(client) -> None:
    mine, theirs = await client.visitor(), await client.visitor()
    async with client.socket(f"/ws/conversations/{theirs['conversation_id']}") as sock:
        await sock.send({"type": "join", "v": 1, "token": mine["visitor_token"]})
        error = await sock.recv()
        assert error["code"] == "unauthorized"
        await sock.conn.wait_closed()
        assert sock.conn.close_code == 4401


async def test_an_unknown_conversation_is_refused(client) -> None:
    visitor = await client.visitor()
    async with client.socket("/ws/conversations/no-such-conversation") as sock:
        await sock.send({"type": "join", "v": 1, "token": visitor["visitor_token"]})
        assert (await sock.recv())["code"] == "unauthorized"
        await sock.conn.wait_closed()
        assert sock.conn.close_code == 4401


async def test_a_wrong_protocol_version_gets_4400(client) -> None:
    visitor = await client.visitor()
    async with client.socket(f"/ws/conversations/{visitor['conversation_id']}") as sock:
        await sock.send({"type": "join", "v": 2, "token": visitor["visitor_token"]})
        error = await sock.recv()
        assert error["type"] == "error" and error["code"] == "unsupported_version"
        await sock.conn.wait_closed()
        assert sock.conn.close_code == 4400


async def test_a_text_with_a_control_character_is_refused_and_nothing_accepted_is_lost(
    client,
) -> None:
    """C0 controls other than tab and newline (a pasted NUL, an escape sequence) are refused
    with `invalid` and the reason, naming the send; the socket goes on and keeps what it
    acked (see `wire.TEXT`)."""
    visitor = await client.visitor()
    cid, token = visitor["conversation_id"], visitor["visitor_token"]
    async with client.conversation(cid, token) as sock:
        await sock.send({"type": "message.send", "client_id": "kept", "text": "first\n\tok"})
        kept = (await sock.recv_until("ack", client_id="kept"))[0]
        for client_id, text in (("nul", "a\x00b"), ("esc", "\x1b[31mred"), ("cr", "a\r\nb")):
            await sock.send(send_frame(client_id, text))
            error = (await sock.recv_until("error"))[0]
            assert (error["code"], error["client_id"]) == ("invalid", client_id)
            assert error["message"] == (
                "message.send.text: must not contain control characters (U+0000 to U+001F)"
                " other than tab and newline"
            )
        await sock.send({"type": "message.send", "client_id": "after", "text": "still here"})
        after = (await sock.recv_until("ack", client_id="after"))[0]
    history = await client.history(cid, token, after["seq"])
    mine = [e["text"] for e in history["entries"] if e.get("author", {}).get("role") == "visitor"]
    assert mine == ["first\n\tok", "still here"] and kept["seq"] < after["seq"]
