"""`make dev`'s front-end loop: rebuild the widget when its sources change, and let open demo
pages know so they reload themselves.

Sources are polled (a few hundred `stat` calls a second at most) rather than watched through
inotify: that needs no extra dependency, works on every file system a checkout lives on
(network mounts, containers) and is plenty fast for a human saving a file. A build that fails
(a syntax error mid-edit) is reported in one line and the previous build keeps being served, so
the page never breaks on a half-typed change.

Pages learn of a new build by polling `/dev/build` (their current build id): a long-lived
stream would hold the server's graceful shutdown for its whole timeout on every `Ctrl-C`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

POLL_INTERVAL_S = 0.3
# Compiled files and editor droppings change without the sources changing.
IGNORED_PARTS = frozenset({"__pycache__", ".mypy_cache", ".ruff_cache"})
IGNORED_SUFFIXES = (".pyc", ".swp", ".swx", "~", ".tmp")
BUILD_ID_PATH = "/dev/build"
# Injected into the demo pages when watching: polls the build id and reloads on a change.
RELOAD_SCRIPT = (
    "<script>(()=>{let seen;setInterval(async()=>{try{const r=await fetch("
    f"'{BUILD_ID_PATH}',{{cache:'no-store'}});const id=(await r.json()).build;"
    "if(seen&&id!==seen)location.reload();seen=id}catch(e){}},500)})()</script>"
)

Snapshot = dict[str, tuple[int, int]]


def snapshot(roots: Iterable[Path]) -> Snapshot:
    """Each source file's (mtime, size): a save changes one or both."""
    files: Snapshot = {}
    for root in roots:
        for folder, dirs, names in os.walk(root):
            dirs[:] = [d for d in dirs if d not in IGNORED_PARTS]
            for name in names:
                if name.endswith(IGNORED_SUFFIXES):
                    continue
                path = os.path.join(folder, name)
                with contextlib.suppress(FileNotFoundError):
                    info = os.stat(path)
                    files[path] = (info.st_mtime_ns, info.st_size)
    return files


def changed_files(before: Snapshot, after: Snapshot) -> list[str]:
    """Files added, removed or rewritten between two snapshots, sorted for stable messages."""
    return sorted(
        path for path in before.keys() | after.keys() if before.get(path) != after.get(path)
    )


class LiveReload:
    """Rebuilds on change and numbers the builds; `build_id` is what pages compare."""

    def __init__(
        self, roots: Iterable[Path], build: Callable[[], object], say: Callable[[str], None]
    ) -> None:
        self._roots = tuple(roots)
        self._build = build
        self._say = say
        self._generation = 0
        # A restarted server is a new build for pages that stayed open across the restart.
        self._started = time.time_ns()

    @property
    def build_id(self) -> str:
        return f"{self._started}-{self._generation}"

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        task = asyncio.create_task(self._watch())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _watch(self) -> None:
        seen = await asyncio.to_thread(snapshot, self._roots)
        while True:
            await asyncio.sleep(POLL_INTERVAL_S)
            now = await asyncio.to_thread(snapshot, self._roots)
            changed = changed_files(seen, now)
            if not changed:
                continue
            seen = now
            await self._rebuild(changed)

    async def _rebuild(self, changed: list[str]) -> None:
        started = time.perf_counter()
        what = Path(changed[0]).name + (f" and {len(changed) - 1} more" if len(changed) > 1 else "")
        try:
            await asyncio.to_thread(self._build)
        except Exception as exc:  # a syntax error mid-edit, a file half-written: say it, go on
            self._say(
                f"  ! widget rebuild failed ({what} changed), still serving the last build: {exc}"
            )
            return
        self._generation += 1
        self._say(f"  widget rebuilt in {time.perf_counter() - started:.1f}s ({what} changed)")

    async def build_id_route(self, request: Request) -> Response:
        return JSONResponse({"build": self.build_id}, headers={"cache-control": "no-store"})

    def routes(self) -> list[BaseRoute]:
        return [Route(BUILD_ID_PATH, self.build_id_route)]


def reload_script(request: Request) -> str:
    """The poller for a page the app serves, when this app watches the widget's sources."""
    return RELOAD_SCRIPT if getattr(request.app.state, "live_reload", None) else ""
