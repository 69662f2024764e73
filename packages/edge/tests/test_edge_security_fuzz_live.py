"""Hypothesis-generated frames over a real WebSocket into a real room on the local edge.

test_edge_security_fuzz_frames.py fuzzes the validators alone; this one sends the same kinds of
frames (valid, near-valid, frame-shaped, mutated JSON, wrong types, huge, binary, unicode edge
cases), interleaved with valid sends, into one visitor's socket of one conversation, and checks
after every frame (a `ping` after it is the barrier: the room answers in order):

- the socket is still open (no frame of the visitor's protocol closes it after the join);
- a frame the browser's codec (`wire.decode`, an implementation of its own) refuses got exactly
  one error frame with that stable code; a valid one got what the protocol says (an ack or a
  `rate_limited` naming its client id, a pong, `already_joined`, `forbidden` for agents' frames);
- no error frame is `internal`, and every accepted message is broadcast once.

At the end, the room's log holds exactly the accepted messages: read by a second participant
(the site's agent) resuming from 0 and from the middle, by the visitor reconnecting, and from
D1 once the outbox has drained; and the edge's log shows no traceback or 500 since the start.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.asyncio.client import connect
from websockets.protocol import State

from helpway.shared import errors, frames, limits, wire, wire_spec

from .conftest import RECV_TIMEOUT_S, LocalEdge, Socket
from .test_edge_security_fuzz_frames import json_values, raw_frames

# About 50 s on the shared 2-core machine; every example is 1 to 4 frames plus their barriers.
VISITOR_EXAMPLES = 200
AGENT_EXAMPLES = 150
AGENT_FRAMES = {"note.send", "takeover", "close", "reopen", "assign"}
ENTRIES = ("message", "event", "note")

# Unicode that has broken chat systems: bidi overrides, zero-width joiners and emoji sequences,
# combining marks, non-characters, astral planes, a lone BOM, NUL and the C1 controls.
EDGE_TEXT = [
    "\u202eevil\u202c",
    "\u200d\u200d",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467",
    "e\u0301\u0301\u0301",
    "\ufdd0\uffff",
    "\U0010fffd",
    "\ufeff",
    "\x00\x85\x9f",
    "<img src=x onerror=alert(1)>",
    "\U0001f600" * limits.MAX_TEXT_CHARS,  # 16,000 bytes of UTF-8: just inside the frame limit
]
texts = st.one_of(
    st.text(min_size=1, max_size=60),
    st.sampled_from(EDGE_TEXT),
    st.lists(st.sampled_from(EDGE_TEXT[:9]), min_size=1, max_size=6).map("".join),
)
client_ids = st.one_of(st.text(min_size=1, max_size=limits.MAX_CLIENT_ID_CHARS), st.just("c1"))


@st.composite
def valid_send(draw: st.DrawFn) -> str:
    frame = {"type": "message.send", "client_id": draw(client_ids), "text": draw(texts)}
    return json.dumps(frame, ensure_ascii=False)


@st.composite
def mutated(draw: st.DrawFn) -> str | bytes:
    """A valid send with a few bytes flipped, cut out or repeated."""
    data = bytearray(draw(valid_send()).encode())
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(data) - 1))
        how = draw(st.sampled_from(["flip", "cut", "repeat"]))
        if how == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif how == "cut":
            del data[at]
        else:
            data[at:at] = data[at : at + draw(st.integers(1, 8))]
    raw = bytes(data)
    try:
        return raw.decode() if draw(st.booleans()) else raw
    except UnicodeDecodeError:
        return raw  # only a binary frame can carry bytes that are not UTF-8


wrong_types = st.builds(
    lambda kind, name, value: json.dumps({"type": kind, name: value}),
    st.sampled_from(["message.send", "typing", "join", "assign", "note.send"]),
    st.sampled_from(["client_id", "text", "active", "v", "token", "last_seq", "agent_id"]),
    json_values,
)
huge = st.builds(
    lambda pad, binary: (lambda text: text.encode() if binary else text)(
        json.dumps({"type": "message.send", "client_id": "huge", "text": "x" * pad})
    ),
    st.integers(limits.MAX_FRAME_BYTES - 60, 4 * limits.MAX_FRAME_BYTES),
    st.booleans(),
)
fuzz_frame = st.one_of(
    raw_frames, valid_send(), mutated(), wrong_types, huge, st.binary(min_size=0, max_size=200)
)
steps = st.lists(st.tuples(fuzz_frame, st.one_of(st.none(), valid_send())), min_size=1, max_size=2)


@dataclass
class Room:
    """One fuzzed socket and what the test knows the room must hold: each accepted client id's
    (seq, text), and every log entry the socket was sent live (by seq, each once)."""

    sock: Socket
    role: str
    accepted: dict[str, tuple[int, str]] = field(default_factory=dict)
    live: dict[int, dict[str, Any]] = field(default_factory=dict)
    refusals: dict[str, int] = field(default_factory=dict)
    valid: dict[str, int] = field(default_factory=dict)
    conflicts: int = 0

    async def step(self, raw: str | bytes) -> None:
        frame, problem = wire.decode(raw, wire_spec.CLIENT)
        await self.sock.send(raw)
        pongs = 2 if frame is not None and frame["type"] == "ping" else 1
        await self.sock.send({"type": "ping"})
        got: list[dict[str, Any]] = []
        while pongs:
            got.append(await self.sock.recv())
            pongs -= got[-1]["type"] == "pong"
        assert self.sock.conn.state is State.OPEN
        for entry in [f for f in got if f["type"] in ENTRIES]:
            assert entry["seq"] not in self.live, entry  # each entry is sent once
            self.live[entry["seq"]] = entry
        replies = [f for f in got if f["type"] not in ("pong", *ENTRIES)]
        for reply in replies:
            assert reply["type"] != "error" or reply["code"] in errors.ALL, reply
            assert reply.get("code") != errors.INTERNAL, reply
        if problem is not None:
            self.refusals[problem[0]] = self.refusals.get(problem[0], 0) + 1
            assert [(r["type"], r["code"]) for r in replies] == [("error", problem[0])], raw
            return
        assert frame is not None
        kind = frame["type"]
        self.valid[kind] = self.valid.get(kind, 0) + 1
        codes = [r.get("code") for r in replies if r["type"] == "error"]
        if kind in ("message.send", "note.send") and (kind == "message.send" or self.agent):
            self._sent(frame, replies)
        elif kind == "join":
            assert codes == [errors.ALREADY_JOINED] and len(replies) == 1
        elif (not self.agent and kind in AGENT_FRAMES) or (
            self.agent and kind == "handoff.request"
        ):
            assert codes == [errors.FORBIDDEN] and len(replies) == 1
        elif kind == "takeover":  # nothing, or an event; refused in a closed conversation
            assert codes in ([], [errors.CONVERSATION_CLOSED]) and len(replies) == len(codes)
        elif kind == "assign":  # a generated agent id is no agent of the site
            assert codes in ([], [errors.NOT_FOUND]) and len(replies) == len(codes)
        else:  # ping, typing, handoff.request (already waiting), close, reopen: no reply
            assert replies == [], replies

    @property
    def agent(self) -> bool:
        return self.role == "agent"

    def _sent(self, frame: dict[str, Any], replies: list[dict[str, Any]]) -> None:
        client_id = frame["client_id"]
        [reply] = replies
        assert reply.get("client_id") == client_id, reply
        key = f"{self.role} {frame['type']} {client_id}"
        other_kind = "note.send" if frame["type"] == "message.send" else "message.send"
        other = f"{self.role} {other_kind} {client_id}"
        if other in self.accepted:  # the id made the other kind: never acked as this one
            assert (reply["type"], reply.get("code")) == ("error", errors.CONFLICT), reply
            self.conflicts += 1
            return
        if reply["type"] == "error":
            assert reply["code"] == errors.RATE_LIMITED and not self.agent, reply
            return
        assert reply["type"] == "ack", reply
        if key in self.accepted:
            assert reply["seq"] == self.accepted[key][0]  # a resend: the same entry
        else:
            self.accepted[key] = (reply["seq"], frame["text"])
            assert self.live[reply["seq"]]["text"] == frame["text"]


async def replay(edge: LocalEdge, conversation_id: str, token: str, last_seq: int) -> list[Any]:
    """The entries a participant resuming after `last_seq` is sent, up to the live point."""
    async with connect(f"{edge.ws_url}/ws/conversations/{conversation_id}") as conn:
        sock = Socket(conn)
        await sock.join(token, last_seq)
        await sock.send({"type": "ping"})
        _, before = await sock.recv_until("pong")
        return [f for f in before if f["type"] in ("message", "event", "note")]


async def d1_history(http: httpx.AsyncClient, conversation_id: str, token: str, head: int) -> Any:
    """Every entry D1 holds, once the outbox has copied the log through `head`."""
    headers = {"authorization": f"Bearer {token}"}
    url = f"/api/conversations/{conversation_id}/history"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + RECV_TIMEOUT_S
    while True:
        entries: list[Any] = []
        after = 0
        while True:
            page = (await http.get(url, params={"after_seq": after}, headers=headers)).json()
            entries += page["entries"]
            if not page["more"]:
                break
            after = page["entries"][-1]["seq"]
        if (entries and entries[-1]["seq"] >= head) or loop.time() > deadline:
            return entries
        await asyncio.sleep(0.05)


async def fuzzed_socket(edge: LocalEdge, conversation_id: str, token: str, role: str) -> Room:
    # A test address of its own, so the per-IP send limit it drains is no other test's.
    conn = await connect(
        f"{edge.ws_url}/ws/conversations/{conversation_id}",
        additional_headers={"x-forwarded-for": "198.51.100.250"},
        max_size=None,
    )
    room = Room(Socket(conn), role)
    welcome = await room.sock.join(token, 10**9)  # from the head on: only live frames
    assert welcome["you"]["role"] == role
    return room


def fuzz(runner: asyncio.Runner, room: Room, strategy: Any, examples: int) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )
    @given(batch=strategy)
    def run(batch: list[tuple[str | bytes, str | None]]) -> None:
        for raw, then in batch:
            runner.run(room.step(raw))
            if then is not None:
                runner.run(room.step(then))

    run()
    runner.run(room.sock.conn.close())
    print(
        f"live fuzz, {room.role}: {examples} cases; valid {room.valid}, refused {room.refusals},"
        f" {len(room.accepted)} sends stored, {room.conflicts} client-id conflicts"
    )


def agent_steps(agent_id: str) -> Any:
    """The agent's frames: the visitor's kinds, plus agents' actions valid and not."""
    actions = st.one_of(
        st.sampled_from(["takeover", "close", "reopen"]).map(lambda t: json.dumps({"type": t})),
        st.builds(
            lambda who: json.dumps({"type": "assign", "agent_id": who}),
            st.one_of(st.none(), st.just(agent_id), st.text(min_size=1, max_size=64)),
        ),
        valid_send().map(lambda text: text.replace('"message.send"', '"note.send"', 1)),
    )
    either = st.one_of(fuzz_frame, actions, actions)
    return st.lists(st.tuples(either, st.one_of(st.none(), valid_send())), min_size=1, max_size=2)


def test_fuzzed_frames_into_a_live_room_keep_it_consistent(edge: LocalEdge) -> None:
    log_start = edge.log.stat().st_size
    with asyncio.Runner() as runner:
        http = httpx.AsyncClient(base_url=edge.url, timeout=30)
        visitor = runner.run(http.post("/api/visitor/session", json={"site_id": "demo"})).json()
        conversation_id, token = visitor["conversation_id"], visitor["visitor_token"]
        login = {"email": "agent@demo.helpway.dev", "password": "helpway-demo"}
        agent = runner.run(http.post("/api/agent/login", json=login)).json()

        # The visitor first asks for a human: the assistant then stays quiet, so the log holds
        # only what the two fuzzed sockets did.
        as_visitor = runner.run(fuzzed_socket(edge, conversation_id, token, "visitor"))
        runner.run(as_visitor.step(json.dumps({"type": "handoff.request"})))
        fuzz(runner, as_visitor, steps, VISITOR_EXAMPLES)
        as_agent = runner.run(fuzzed_socket(edge, conversation_id, agent["token"], "agent"))
        fuzz(runner, as_agent, agent_steps(agent["agent"]["id"]), AGENT_EXAMPLES)

        everything = runner.run(replay(edge, conversation_id, agent["token"], 0))
        by_seq = {entry["seq"]: entry for entry in everything}
        # Each socket was sent every entry of its time live, exactly as a resume sends it.
        assert as_visitor.live | as_agent.live == by_seq
        accepted = {**as_visitor.accepted, **as_agent.accepted}
        stored = {
            f"{e['author']['role']} {e['type']}.send {e['client_id']}": (e["seq"], e["text"])
            for e in everything
            if e["type"] != "event"
        }
        assert stored == accepted
        print(f"live fuzz: {len(everything)} entries in the log, {len(accepted)} sends stored")
        assert len(as_visitor.accepted) > 10 and len(as_agent.accepted) > 10

        middle = sorted(by_seq)[len(by_seq) // 2]
        tail = runner.run(replay(edge, conversation_id, agent["token"], middle))
        assert tail == [by_seq[seq] for seq in sorted(by_seq) if seq > middle]
        seen_by_visitor = [
            e
            for e in everything
            if e["type"] != "note" and e.get("name") not in frames.AGENT_ONLY_EVENTS
        ]
        assert runner.run(replay(edge, conversation_id, token, 0)) == seen_by_visitor
        in_d1 = runner.run(d1_history(http, conversation_id, agent["token"], max(by_seq)))
        assert [(e["seq"], e["type"], e.get("text")) for e in in_d1] == [
            (e["seq"], e["type"], e.get("text")) for e in everything
        ]
        runner.run(http.aclose())

    with edge.log.open("rb") as log:
        log.seek(log_start)
        written = log.read().decode(errors="replace")
    for sign in ("Traceback", " 500 ", "ERROR", "Exception in ASGI"):
        assert sign not in written, written[-4000:]
