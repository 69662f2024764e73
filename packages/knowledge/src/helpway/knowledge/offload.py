"""Where ingest runs its CPU-bound steps (parsing, chunking): off the event loop when it can.

A 2 MB document takes seconds to parse and chunk; on the loop, every request and socket of the
local edge would wait for it. Locally that work goes to a worker thread (`asyncio.to_thread`);
the Worker runs on Pyodide, which has no threads, so it runs it `inline` there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

T = TypeVar("T")


class Offload(Protocol):
    def __call__(self, fn: Callable[[], T], /) -> Awaitable[T]: ...


async def inline(fn: Callable[[], T]) -> T:
    """Run `fn` on the loop: for runtimes without threads."""
    return fn()
