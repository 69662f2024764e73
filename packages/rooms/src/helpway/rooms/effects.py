"""What the room core asks its host to do. A host performs a batch of effects in list order.

The order inside a batch carries the room's guarantees: `Persist` comes first (the host must not
perform the rest if it fails), then the sender's `ack`, then the broadcast, then `Publish`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from helpway.shared import frames

from .meta import RoomMeta

Entry: TypeAlias = frames.Message | frames.Event | frames.Note
ServerFrame: TypeAlias = (
    frames.Welcome
    | frames.Message
    | frames.Event
    | frames.Note
    | frames.Ack
    | frames.Typing
    | frames.AssistantDelta
    | frames.AssistantState
    | frames.Error
    | frames.Pong
)


@dataclass(frozen=True)
class Persist:
    """Append `entries` to the room's log and its outbox and save `meta`, in one transaction."""

    entries: tuple[Entry, ...]
    meta: RoomMeta


@dataclass(frozen=True)
class Send:
    """Deliver `frame` to each session in `to` (session ids), in order with its other frames."""

    to: tuple[str, ...]
    frame: ServerFrame


@dataclass(frozen=True)
class Replay:
    """Deliver to session `to` every stored entry with `after_seq` < seq ≤ `through_seq`,
    skipping agents-only entries (`frames.agents_only`) unless `include_agents_only`: the
    session is an agent's."""

    to: str
    after_seq: int
    through_seq: int
    include_agents_only: bool = False

    def shows(self, entry: Entry) -> bool:
        return self.include_agents_only or not frames.agents_only(entry)


@dataclass(frozen=True)
class Publish:
    """The outbox holds new entries: make sure it is being drained (an alarm on a DO)."""


@dataclass(frozen=True)
class Ask:
    """Start the assistant on `question`; feed its output back as `assistant_*` inputs."""

    answer_id: str
    site_id: str
    question: str


@dataclass(frozen=True)
class Cancel:
    """Stop the assistant's run for `answer_id`; its late output would be ignored anyway."""

    answer_id: str


Effect: TypeAlias = Persist | Send | Replay | Publish | Ask | Cancel
