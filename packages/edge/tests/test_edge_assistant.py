"""The assistant wired to the demo knowledge base, through a real edge: streamed answers with
citations that link to served sections, declines that offer a human, and handoff silencing it."""

from __future__ import annotations

# After a handoff nothing should come from the assistant; an answer, when one is due, starts
# streaming within milliseconds locally, so this much silence means none is coming.
QUIET_S = 1.5


async def ask(sock, client_id: str, text: str):  # type: ignore[no-untyped-def]
    """Send a question; return (the deltas streamed, the assistant's final message)."""
    await sock.send({"type": "message.send", "client_id": client_id, "text": text})
    deltas = []
    while True:
        frame = await sock.recv()
        if frame["type"] == "assistant.delta":
            deltas.append(frame)
        elif frame["type"] == "message" and frame["author"]["role"] == "assistant":
            return deltas, frame


async def test_a_demo_question_streams_an_answer_with_citations(client) -> None:
    visitor = await client.visitor()
    cid = visitor["conversation_id"]
    async with client.conversation(cid, visitor["visitor_token"]) as sock:
        deltas, final = await ask(sock, "q1", "How do I reset my password?")
    assert final["author"]["role"] == "assistant"
    assert final["resolution"] == "answered"
    assert len(deltas) > 1, "the answer is streamed in pieces"
    assert {d["answer_id"] for d in deltas} == {final["answer_id"]}
    assert "".join(d["text"] for d in deltas).strip() == final["text"]
    urls = [c["url"] for c in final["citations"]]
    assert any(url.startswith("/help/password-reset#") for url in urls), urls
    for url in urls:
        page, anchor = url.split("#")
        served = await client.http.get(page)
        assert served.status_code == 200 and f'id="{anchor}"' in served.text


async def test_an_unanswerable_question_is_declined_with_an_offer_of_a_human(client) -> None:
    visitor = await client.visitor()
    async with client.conversation(visitor["conversation_id"], visitor["visitor_token"]) as sock:
        _, final = await ask(sock, "q1", "What will the weather be like on Mars next Tuesday?")
    assert final["resolution"] == "declined"
    assert final["citations"] == []
    assert "person" in final["text"] or "human" in final["text"]


async def test_handoff_stops_the_assistant_and_an_agent_takes_over(client) -> None:
    visitor, agent = await client.visitor(), await client.agent()
    cid, token = visitor["conversation_id"], visitor["visitor_token"]
    async with client.conversation(cid, token) as v:
        _, answer = await ask(v, "q1", "Can I use the app offline?")
        await v.send({"type": "handoff.request"})
        event, _ = await v.recv_until("event", name="handoff.requested")
        assert event["status"] == "waiting_human"
        assert event["answer_id"] == answer["answer_id"]  # that answer was handed off
        await v.send(
            {"type": "message.send", "client_id": "q2", "text": "How do I export my notes?"}
        )
        await v.recv_until("ack", client_id="q2")
        after_handoff = await v.drain(QUIET_S)
        async with client.conversation(cid, agent["token"], last_seq=event["seq"]) as a:
            await a.send({"type": "message.send", "client_id": "r1", "text": "Hi, Dana here."})
            await a.recv_until("ack", client_id="r1")
        joined, _ = await v.recv_until("event", name="agent.joined")
        reply, _ = await v.recv_until("message", client_id="r1")
        await v.send(
            {"type": "message.send", "client_id": "q3", "text": "How do I reset my password?"}
        )
        await v.recv_until("ack", client_id="q3")
        after_agent = await v.drain(QUIET_S)
    assert joined["status"] == "open"
    assert reply["author"]["role"] == "agent"
    for frame in after_handoff + after_agent:
        assert frame["type"] != "assistant.delta"
        assert frame.get("author", {}).get("role") != "assistant"
    history = await client.history(cid, token, through_seq=reply["seq"] + 1)
    roles_after = [e["author"]["role"] for e in history["entries"] if e["seq"] > event["seq"]]
    assert "assistant" not in roles_after
    # D1 keeps how the answer ended: handed off to a human, not merely answered.
    [stored] = [e for e in history["entries"] if e.get("answer_id") and e["type"] == "message"]
    assert (stored["seq"], stored["resolution"]) == (answer["seq"], "handed_off")
