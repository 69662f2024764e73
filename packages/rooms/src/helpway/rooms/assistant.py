"""The room's view of the AI assistant: an injected async iterator factory.

The knowledge base implements it; the room only needs text deltas and one final answer, so this
module names that shape and nothing more.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeAlias

from helpway.shared import frames


class Final(Protocol):
    """The last item an assistant yields; any object with these attributes will do."""

    @property
    def text(self) -> str: ...

    @property
    def citations(self) -> Sequence[tuple[str, str]]:
        """(url, title) pairs, url ending with the section's `#anchor`."""
        ...

    @property
    def resolution(self) -> frames.Resolution: ...


@dataclass(frozen=True)
class FinalAnswer:
    text: str
    citations: Sequence[tuple[str, str]] = ()
    resolution: frames.Resolution = "answered"


# Called with (site_id, question); yields text deltas (`str`) and then one `Final`.
Assistant: TypeAlias = Callable[[str, str], AsyncIterator["str | Final"]]
