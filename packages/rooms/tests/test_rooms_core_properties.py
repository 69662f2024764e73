"""Property test: for any interleaving of joins, sends, notes, resends, drops, resumes, handoffs,
takeovers, closes, reopens, assignments, typing, the passing of time and assistant output, every
agent's view equals the room's log and every visitor's view equals the log without its
agents-only entries (visitors never see a note or an assignment, nor the assistant's state),
without duplicates; every ack names the one entry its client id created, and no client is shown
a typist that left, stopped, or has been silent for the typing TTL.

The interpreter below is the smallest host there is: it performs effects in order against an
in-memory log, as `LocalRoomHost` does against SQLite.
"""

from __future__ import annotations

import itertools

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from helpway.rooms.assistant import FinalAnswer
from helpway.rooms.effects import Ask, Effect, Entry, Persist, Replay, Send
from helpway.rooms.meta import RoomMeta
from helpway.rooms.policy import RoomPolicy
from helpway.rooms.room import Room
from helpway.shared import frames

VISITOR = frames.Author(id="v", role="visitor", name="V")
AGENT = frames.Author(id="a", role="agent", name="A")
AGENT2 = frames.Author(id="b", role="agent", name="B")
# Two tabs of the same visitor (they share client ids' namespace) and two agents.
CLIENTS = {"tab1": VISITOR, "tab2": VISITOR, "agent": AGENT, "agent2": AGENT2}
CLIENT_IDS = ["k1", "k2", "k3", "k4"]
ACTIONS = [
    frames.TakeOver(type="takeover"),
    frames.Close(type="close"),
    frames.Reopen(type="reopen"),
]
# Short enough that a few steps of time make typists expire; pacing shorter than the TTL.
# A receipt window of 2 makes most resends go through the storage lookup.
POLICY = RoomPolicy(max_sessions=4, typing_ttl_ms=6, typing_interval_ms=2, receipt_window=2)


class Client:
    def __init__(self, author: frames.Author) -> None:
        self.author = author
        self.session: str | None = None
        self.view: list[Entry] = []
        self.acks: list[frames.Ack] = []
        # Author ids this client currently shows as typing.
        self.typists: set[str] = set()
        self.saw_assistant_state = False

    @property
    def last_seq(self) -> int:
        return self.view[-1].seq if self.view else 0


class RoomMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.room = Room(RoomMeta("c", "demo"), policy=POLICY, lookup=self.stored_receipt)
        # session id → (author id, when it last said it is typing), until it stops or leaves.
        self.typing_since: dict[str, tuple[str, int]] = {}
        self.log: list[Entry] = []
        self.clients = {name: Client(author) for name, author in CLIENTS.items()}
        self.by_session: dict[str, Client] = {}
        self.session_ids = (f"s{i}" for i in itertools.count())
        self.asked: list[str] = []
        self.now = 0

    def perform(self, effects: list[Effect]) -> None:
        for effect in effects:
            if isinstance(effect, Persist):
                assert [e.seq for e in effect.entries] == list(
                    range(len(self.log) + 1, len(self.log) + 1 + len(effect.entries))
                )
                self.log += effect.entries
            elif isinstance(effect, Send):
                for session_id in effect.to:
                    self.deliver(session_id, effect.frame)
            elif isinstance(effect, Replay):
                for entry in self.log[effect.after_seq : effect.through_seq]:
                    if effect.shows(entry):
                        self.deliver(effect.to, entry)
            elif isinstance(effect, Ask):
                self.asked.append(effect.answer_id)

    def stored_receipt(self, author_id: str, client_id: str) -> tuple[int, str, str] | None:
        """The storage lookup: the log is what storage holds."""
        for entry in self.log:
            if not isinstance(entry, frames.Event) and (entry.author.id, entry.client_id) == (
                author_id,
                client_id,
            ):
                return entry.seq, entry.id, entry.type
        return None

    def deliver(self, session_id: str, frame: frames.Frame) -> None:
        client = self.by_session.get(session_id)
        if client is None:
            return  # an error for a session that never joined
        if isinstance(frame, frames.Message | frames.Event | frames.Note):
            client.view.append(frame)
        elif isinstance(frame, frames.AssistantState):
            client.saw_assistant_state = True
        elif isinstance(frame, frames.Ack):
            client.acks.append(frame)
        elif isinstance(frame, frames.Typing):
            if frame.active:
                client.typists.add(frame.author.id)
            else:
                client.typists.discard(frame.author.id)

    def tick(self, ms: int = 1) -> int:
        """Let `ms` pass, firing the room's alarm at each `next_expiry` on the way, as a host
        does; returns the new time."""
        target = self.now + ms
        while (due := self.room.next_expiry) is not None and due <= target:
            self.now = max(self.now, due)
            self.perform(self.room.expire(self.now))
        self.now = target
        return self.now

    @rule(ms=st.integers(min_value=0, max_value=10))
    def wait(self, ms: int) -> None:
        self.tick(ms)

    @rule(name=st.sampled_from(sorted(CLIENTS)))
    def connect(self, name: str) -> None:
        client = self.clients[name]
        if client.session is not None:
            self.perform(self.room.join(client.session, client.author, client.last_seq))
            return  # a second join on the same socket is refused and changes nothing
        client.session = next(self.session_ids)
        self.by_session[client.session] = client
        client.typists = set()  # a new socket starts knowing nobody is typing
        self.perform(self.room.join(client.session, client.author, client.last_seq))
        if not self.room.has_session(client.session):
            client.session = None  # refused: the room is full

    @rule(name=st.sampled_from(sorted(CLIENTS)))
    def drop(self, name: str) -> None:
        client = self.clients[name]
        if client.session is not None:
            self.perform(self.room.leave(client.session))
            self.typing_since.pop(client.session, None)
            client.session = None

    @rule(name=st.sampled_from(sorted(CLIENTS)), client_id=st.sampled_from(CLIENT_IDS))
    def send(self, name: str, client_id: str) -> None:
        client = self.clients[name]
        session = client.session or "never-joined"
        frame = frames.SendMessage(type="message.send", client_id=client_id, text=f"{name}")
        self.perform(self.room.receive(session, frame, self.tick()))

    @rule(name=st.sampled_from(sorted(CLIENTS)), client_id=st.sampled_from(CLIENT_IDS))
    def note(self, name: str, client_id: str) -> None:
        client = self.clients[name]
        session = client.session or "never-joined"
        frame = frames.SendNote(type="note.send", client_id=client_id, text=f"note {name}")
        self.perform(self.room.receive(session, frame, self.tick()))

    @rule(name=st.sampled_from(sorted(CLIENTS)), action=st.sampled_from(ACTIONS))
    def act(self, name: str, action: frames.TakeOver | frames.Close | frames.Reopen) -> None:
        session = self.clients[name].session
        if session is not None:
            self.perform(self.room.receive(session, action, self.tick()))

    @rule(
        name=st.sampled_from(sorted(CLIENTS)),
        assignee=st.sampled_from([None, AGENT, AGENT2]),
    )
    def assign(self, name: str, assignee: frames.Author | None) -> None:
        session = self.clients[name].session
        if session is not None:
            self.perform(self.room.assign(session, assignee, self.tick()))

    @rule(name=st.sampled_from(sorted(CLIENTS)), active=st.booleans())
    def typing(self, name: str, active: bool) -> None:
        client = self.clients[name]
        if client.session is not None:
            frame = frames.SetTyping(type="typing", active=active)
            now = self.tick()
            if active:
                self.typing_since[client.session] = (client.author.id, now)
            else:
                self.typing_since.pop(client.session, None)
            self.perform(self.room.receive(client.session, frame, now))

    @rule(name=st.sampled_from(sorted(CLIENTS)))
    def handoff(self, name: str) -> None:
        session = self.clients[name].session
        if session is not None:
            frame = frames.RequestHuman(type="handoff.request")
            self.perform(self.room.receive(session, frame, self.tick()))

    @precondition(lambda self: bool(self.asked))
    @rule(text=st.text(min_size=0, max_size=5), finish=st.sampled_from(["delta", "final", "fail"]))
    def assistant(self, text: str, finish: str) -> None:
        # Output for any answer ever asked: stale answers must be ignored by the room.
        answer_id = self.asked[-1] if self.room.answering is None else self.room.answering
        if finish == "delta":
            self.perform(self.room.assistant_delta(answer_id, text))
        elif finish == "final":
            self.perform(self.room.assistant_final(answer_id, FinalAnswer(text), self.tick()))
        else:
            self.perform(self.room.assistant_failed(answer_id, self.tick()))

    @invariant()
    def views_equal_the_log(self) -> None:
        assert [e.seq for e in self.log] == list(range(1, len(self.log) + 1))
        assert self.room.meta.last_seq == len(self.log)
        for client in self.clients.values():
            # Every client holds a prefix of its view of the log, once each; a connected one
            # holds all of it.
            shown = self.log
            if client.author.role != "agent":
                shown = [e for e in self.log if not frames.agents_only(e)]
            assert client.view == shown[: len(client.view)]
            if client.session is not None:
                assert client.view == shown

    @invariant()
    def visitors_never_see_notes(self) -> None:
        for client in self.clients.values():
            if client.author.role == "visitor":
                assert not [e for e in client.view if isinstance(e, frames.Note)]
                assert not [e for e in client.view if frames.agents_only(e)]
                assert not client.saw_assistant_state

    @invariant()
    def no_ghost_typists(self) -> None:
        """A typist shown anywhere has a session that said so within the TTL and is still
        here."""
        live = {
            author_id
            for author_id, since in self.typing_since.values()
            if self.now - since < POLICY.typing_ttl_ms
        }
        for client in self.clients.values():
            if client.session is not None:
                assert client.typists <= live, (client.typists, live, self.now)

    @invariant()
    def one_message_per_client_id_and_acks_agree(self) -> None:
        created: dict[tuple[str, str], int] = {}
        for entry in self.log:
            if not isinstance(entry, frames.Event) and entry.client_id is not None:
                key = (entry.author.id, entry.client_id)
                assert key not in created, f"second message for {key}"
                created[key] = entry.seq
        for client in self.clients.values():
            for ack in client.acks:
                assert created[(client.author.id, ack.client_id)] == ack.seq
                assert self.log[ack.seq - 1].id == ack.id


TestRoomMachine = RoomMachine.TestCase
TestRoomMachine.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
