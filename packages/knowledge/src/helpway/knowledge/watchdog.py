"""A watchdog over any generator's answer stream: a stalled, slow or broken model ends cleanly.

A model server can stop sending mid-answer, trickle for minutes, or fail. The visitor must not
wait on a silent bubble, and the room must always get a final answer: so if no event arrives
for `stall_seconds`, or the whole answer takes longer than `total_seconds`, or the generator
raises or ends without a final, the stream is cut (the generator is closed, which closes its
HTTP response) and finished with a note that says so and offers a person. What was already
streamed stays, and the final text is still exactly the deltas joined; the resolution is
`declined`, since the visitor did not get a whole answer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass

from .answers import AnswerDelta, AnswerEvent, AnswerFinal
from .wording import ENGLISH, Wording

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StreamLimits:
    stall_seconds: float = 15.0  # longest silence between two events (and before the first)
    total_seconds: float = 90.0  # longest whole answer


async def watched(
    events: AsyncIterator[AnswerEvent], limits: StreamLimits, wording: Wording = ENGLISH
) -> AsyncGenerator[AnswerEvent]:
    """`events` as they come, until their final; else cut off as described above, with the
    note in `wording` (the visitor's language)."""
    deadline = time.monotonic() + limits.total_seconds
    streamed: list[str] = []
    try:
        while True:
            wait = min(limits.stall_seconds, deadline - time.monotonic())
            try:
                event = await asyncio.wait_for(anext(events), timeout=max(wait, 0.0))
            except TimeoutError:
                over = wait < limits.stall_seconds
                log.warning("answer cut off: %s", "over time" if over else "stalled")
                break
            except StopAsyncIteration:
                log.warning("answer cut off: the generator ended without a final answer")
                break
            except Exception:
                log.exception("answer cut off: the generator failed")
                break
            if isinstance(event, AnswerFinal):
                yield event
                return
            if event.text:
                streamed.append(event.text)
                yield event
    finally:
        await _close(events)
    so_far = "".join(streamed).rstrip()
    note = f"\n\n{wording.cut_off}" if so_far else wording.unavailable
    yield AnswerDelta(note)
    yield AnswerFinal("".join(streamed) + note, [], "declined")


async def _close(events: AsyncIterator[AnswerEvent]) -> None:
    aclose = getattr(events, "aclose", None)
    if aclose is not None:
        try:
            await aclose()
        except Exception:
            log.exception("closing a cut-off answer stream failed")
