"""The durable part of a room's state besides its log (saved with every committed entry)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from helpway.shared import frames


@dataclass(frozen=True)
class RoomMeta:
    conversation_id: str
    site_id: str
    status: frames.Status = "open"
    # False once a human owns the conversation (handoff or an agent's message) or it closed.
    ai_active: bool = True
    last_seq: int = 0
    # Entry times are forced monotonic, so sorting by time never contradicts sorting by seq.
    last_created_at: int = 0
    # Agents who have written here since the last handoff request or reopen.
    agent_ids: frozenset[str] = frozenset()
    # The agent the conversation is assigned to (event `assigned`), None when unassigned.
    assignee_id: str | None = None
    # The assistant's latest answer until the visitor writes again: a human called in meanwhile
    # takes it over, and the event that says so names it (its resolution becomes handed_off).
    answered_id: str | None = None
    # The visitor's satisfaction score (event `rated`): a conversation is rated once.
    rating: int | None = None

    def to_json(self) -> str:
        data = {**self.__dict__, "agent_ids": sorted(self.agent_ids)}
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> RoomMeta:
        data = json.loads(text)
        return cls(**{**data, "agent_ids": frozenset(data["agent_ids"])})
