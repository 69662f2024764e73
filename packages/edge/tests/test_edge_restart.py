"""Stopping and starting the local edge: SIGTERM closes sockets cleanly (1012, "service
restart") and exits 0; everything acknowledged before is there after, exactly once."""

from __future__ import annotations

import httpx
from websockets.exceptions import ConnectionClosed


async def test_a_restart_keeps_history_and_sessions(client, edge) -> None:
    visitor, agent = await client.visitor(), await client.agent()
    cid, token = visitor["conversation_id"], visitor["visitor_token"]
    async with client.conversation(cid, agent["token"]) as a:
        for n in range(3):
            await a.send({"type": "message.send", "client_id": f"r{n}", "text": f"Before {n}"})
            await a.recv_until("ack", client_id=f"r{n}")
    before = await client.history(cid, token, through_seq=4)

    async with client.conversation(cid, token, last_seq=4) as v:
        assert edge.stop() == 0
        try:
            await v.recv()
            raise AssertionError("the socket should have been closed")
        except ConnectionClosed:
            assert v.conn.close_code == 1012
    edge.start()

    async with httpx.AsyncClient(base_url=edge.url, timeout=30) as http:
        client.http = http
        resumed = await client.visitor(token)
        assert resumed["conversation_id"] == cid
        assert resumed["visitor_id"] == visitor["visitor_id"]
        after = await client.history(cid, token, through_seq=4)
        assert after == before
        async with client.socket(f"/ws/conversations/{cid}") as v:
            welcome = await v.join(token, last_seq=0)
            assert welcome["last_seq"] == 4
            replayed = [await v.recv() for _ in range(4)]
        assert replayed == before["entries"]
        async with client.conversation(cid, agent["token"], last_seq=4) as a:
            await a.send({"type": "message.send", "client_id": "r0", "text": "Before 0"})
            ack, _ = await a.recv_until("ack", client_id="r0")
            assert ack["seq"] == 2  # a resend across the restart is still deduplicated
    assert "Traceback" not in edge.log.read_text()
