"""The visitor's satisfaction rating (CSAT) on a real local edge, over real sockets: an agent
closes, the visitor rates; agents see it live (room and inbox hub), in the REST history, the
inbox list and the transcript; refusals of a bad rating are error frames with a stable code
and the socket stays open."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from typing import Any

from helpway.shared import limits

DEADLINE_S = 10


def rating(client_id: str, score: object, comment: str | None = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "rating.send", "client_id": client_id, "score": score}
    if comment is not None:
        frame["comment"] = comment
    return frame


async def inbox_row(client, token: str, cid: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = await client.http.get(
        "/api/inbox", params={"filter": "closed"}, headers={"authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    [row] = [r for r in response.json()["conversations"] if r["id"] == cid]
    return dict(row)


@asynccontextmanager
async def closed_conversation(client):  # type: ignore[no-untyped-def]
    """What a rating needs: a conversation the visitor wrote in and the demo agent closed, with
    both sockets still open. Yields (visitor session, agent login, visitor's socket, the
    `closed` event)."""
    visitor, dana = await client.visitor(), await client.agent()
    cid, vtoken = visitor["conversation_id"], visitor["visitor_token"]
    async with (
        client.conversation(cid, vtoken) as v,
        client.conversation(cid, dana["token"]) as d,
    ):
        await v.send({"type": "message.send", "client_id": "m1", "text": "hello"})
        await v.recv_until("ack", client_id="m1")
        await d.send({"type": "close"})
        closed, _ = await v.recv_until("event", name="closed")
        yield visitor, dana, v, closed


async def test_a_visitor_rates_a_closed_conversation_and_agents_see_it(client) -> None:  # type: ignore[no-untyped-def]
    visitor, dana = await client.visitor(), await client.agent()
    cid, vtoken = visitor["conversation_id"], visitor["visitor_token"]
    async with (
        client.socket("/ws/inbox?site_id=demo") as hub,
        client.conversation(cid, vtoken) as v,
        client.conversation(cid, dana["token"]) as d,
    ):
        await hub.send({"type": "join", "v": 1, "token": dana["token"]})
        await d.send({"type": "takeover"})
        await v.send({"type": "message.send", "client_id": "m1", "text": "Where is my order?"})
        await v.recv_until("ack", client_id="m1")
        # Not closed yet: a rating is refused, the socket stays.
        await v.send(rating("early", 5))
        early, _ = await v.recv_until("error")
        assert (early["code"], early["client_id"]) == ("conflict", "early")
        await d.send({"type": "close"})
        closed, _ = await v.recv_until("event", name="closed")

        comment = "Quick and kind <script>alert(1)</script>"
        await v.send(rating("r1", 4, comment))
        ack, _ = await v.recv_until("ack", client_id="r1")
        assert ack["seq"] == closed["seq"] + 1
        rated, _ = await d.recv_until("event", name="rated")
        assert (rated["seq"], rated["status"], rated["author"]["role"]) == (
            ack["seq"],
            "closed",
            "visitor",
        )
        assert rated["rating"] == {"score": 4, "comment": comment}
        mine, _ = await v.recv_until("event", name="rated")
        assert mine == rated

        # The inbox hub tells every console of the site, once D1 has it.
        async with asyncio.timeout(DEADLINE_S):
            update, _ = await hub.recv_until("inbox.update")
            while update["conversation"]["id"] != cid or "rating" not in update["conversation"]:
                update, _ = await hub.recv_until("inbox.update")
        assert (update["conversation"]["rating"], update["conversation"]["status"]) == (4, "closed")

        # A resend is acked as before; another rating is refused and changes nothing.
        await v.send(rating("r1", 4, comment))
        again, _ = await v.recv_until("ack", client_id="r1")
        assert again == ack
        await v.send(rating("r2", 1, "changed my mind"))
        second, _ = await v.recv_until("error")
        assert (second["code"], second["client_id"]) == ("conflict", "r2")
        # Agents cannot rate.
        await d.send(rating("a1", 5))
        forbidden, _ = await d.recv_until("error")
        assert (forbidden["code"], forbidden["client_id"]) == ("forbidden", "a1")

    # After a reload: D1 holds it for the REST history (visitor and agent) and the inbox list.
    for token in (vtoken, dana["token"]):
        history = await client.history(cid, token, through_seq=ack["seq"])
        assert history["entries"][-1] == rated
    assert (await inbox_row(client, dana["token"], cid))["rating"] == 4
    transcript = await client.http.get(
        f"/api/conversations/{cid}/transcript",
        params={"format": "text"},
        headers={"authorization": f"Bearer {dana['token']}"},
    )
    assert "rating: 4 of 5" in transcript.text and f"comment: {comment}" in transcript.text
    # A visitor catching up on a new socket gets it once, with nothing after it.
    async with client.conversation(cid, vtoken, last_seq=closed["seq"]) as v:
        replayed = await v.recv()
        await v.send({"type": "ping"})
        assert await v.recv() == {"type": "pong"}
    assert replayed == rated


async def test_bad_ratings_get_clear_errors_and_keep_the_socket(client) -> None:  # type: ignore[no-untyped-def]
    async with closed_conversation(client) as (visitor, dana, v, closed):
        cid = visitor["conversation_id"]
        too_long = "x" * (limits.MAX_RATING_COMMENT_CHARS + 1)
        for frame, code in (
            (rating("b0", 0), "invalid"),
            (rating("b6", 6), "invalid"),
            (rating("bs", "4"), "invalid"),
            (rating("bf", 4.5), "invalid"),
            (rating("bl", 3, too_long), "invalid"),
            (rating("esc", 3, "\u001b[2J\u001b[31mPWNED\u001b[0m\r\rfake\u0007"), "invalid"),
            (rating("nul", 3, "a\u0000b"), "invalid"),
            (rating("blank", 3, " \u200b"), "invalid"),
        ):
            await v.send(frame)
            refused, _ = await v.recv_until("error")
            assert (refused["code"], refused["client_id"]) == (code, frame["client_id"]), frame
        # A comment too big for a frame is refused before it is parsed: no client id to name.
        await v.send(rating("huge", 3, "x" * limits.MAX_FRAME_BYTES))
        huge, _ = await v.recv_until("error")
        assert huge["code"] == "too_large" and "client_id" not in huge
        await v.send({"type": "ping"})
        _, before_pong = await v.recv_until("pong")
        assert [f for f in before_pong if f["type"] in ("event", "ack")] == []
        # Nothing was logged: the next good rating comes right after the close.
        await v.send(rating("ok", 2))
        ack, _ = await v.recv_until("ack", client_id="ok")
        assert ack["seq"] == closed["seq"] + 1
    history = await client.history(cid, dana["token"], through_seq=ack["seq"])
    assert [e["rating"] for e in history["entries"] if e.get("name") == "rated"] == [
        {"score": 2, "comment": ""}
    ]


async def test_a_visitors_export_has_the_rating_and_the_erase_removes_it(client, helpway) -> None:  # type: ignore[no-untyped-def]
    admin = {"email": "csat-admin@demo.helpway.dev", "password": "csat-admin-pw", "name": "Ann"}
    helpway(
        client.edge.data, "agents", "create", "--email", admin["email"], "--name", admin["name"],
        "--password", admin["password"], "--site", "demo", "--role", "admin",
    )  # fmt: skip
    login = await client.http.post(
        "/api/agent/login", json={"email": admin["email"], "password": admin["password"]}
    )
    bearer = {"authorization": f"Bearer {login.json()['token']}"}
    async with closed_conversation(client) as (visitor, dana, v, _):
        cid = visitor["conversation_id"]
        await v.send(rating("r1", 2, "Slow to answer"))
        ack, _ = await v.recv_until("ack", client_id="r1")
    await client.history(cid, dana["token"], through_seq=ack["seq"])  # D1 has it

    path = f"/api/sites/demo/visitors/{visitor['visitor_id']}"
    exported = (await client.http.get(path + "/export", headers=bearer)).json()
    [conversation] = exported["conversations"]
    assert conversation["rating"] == 2
    [entry] = [e for e in conversation["entries"] if e.get("event_name") == "rated"]
    assert (entry["rating"], entry["rating_comment"]) == (2, "Slow to answer")
    erased = await client.http.delete(path, headers=bearer)
    assert erased.json()["conversation_ids"] == [cid]
    gone = await client.http.get(
        f"/api/conversations/{cid}/history", headers={"authorization": f"Bearer {dana['token']}"}
    )
    assert gone.status_code in (401, 404)
    assert not (client.edge.data / "rooms" / f"{cid}.room.sqlite").exists()
