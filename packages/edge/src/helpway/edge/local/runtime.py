"""`helpway dev`: the local edge runtime.

The composition root for CPython: SQLite stands in for D1 (one file) and for Durable Object
storage (one file per room), the knowledge base runs its local embedder and index, rooms live
in the local room host, and uvicorn serves the app on loopback.

The port is bound first, so a busy port fails at once with one line, before any start-up work
or a banner promising URLs that will not answer. It starts listening only once start-up
(migrations, demo seed) is done: a bound socket that does not listen refuses connections, so
"it answers" still means "it is ready".
"""

from __future__ import annotations

import contextlib
import errno
import gc
import json
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from types import FrameType

import uvicorn
from starlette.applications import Starlette

from helpway.knowledge.ingest import IngestProgress
from helpway.rooms.host import LocalRoomHost
from helpway.rooms.sqlite_storage import SqliteRoomFolder
from helpway.shared import limits

from ..app import build_app
from ..assistant import kb_assistant
from ..inbox_hub import InboxHub
from ..publishing import publisher
from ..routes import assets
from ..services import Services
from ..sockets.channel import idle_timeout_s
from . import demo, kb_files, pages, playground, widget_build
from .data import open_database, open_knowledge
from .live_reload import LiveReload
from .settings import Settings
from .widget_build import WIDGET_BUILD_DIR, BuiltLoader

GRACEFUL_SHUTDOWN_S = 5
# The cyclic collector's thresholds once serving (CPython's: 700, 10, 10). Measured under the
# 1,000-socket delivery bench, the defaults spent about a third of a burst in collections, with
# full ones of 0.1 to 0.5 s stopping every socket: what a message keeps alive while it waits
# for the disk was promoted and rescanned again and again. A young generation this size lets
# most of it die first.
GC_THRESHOLDS = (50_000, 20, 100)
# The console page inside the widget build.
CONSOLE_PAGE = "console.html"


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _seed_progress(event: IngestProgress) -> None:
    document = event.document
    if document.status != "unchanged":
        _say(f"  demo KB [{event.done}/{event.total}] {document.status}: {document.url}")


def local_app(
    settings: Settings, widget_dir: Path = WIDGET_BUILD_DIR, watch: bool = False
) -> Starlette:
    """`watch`: rebuild the widget into `widget_dir` when its sources change (`make dev`)."""
    live = (
        LiveReload(widget_build.sources(), lambda: widget_build.build(widget_dir), _say)
        if watch
        else None
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        started = time.perf_counter()
        db = await open_database(settings)
        knowledge = open_knowledge(db, settings)
        # A console counts for presence as long as its socket may stay silent before it is cut.
        hub = InboxHub(ttl_ms=int(idle_timeout_s() * 1000))
        rooms = LocalRoomHost(
            SqliteRoomFolder(settings.rooms_dir, sync=settings.room_sync),
            publish=publisher(db, hub),
            assistant=kb_assistant(knowledge),
        )
        await rooms.start()
        report = await demo.seed(db, knowledge, progress=_seed_progress)
        await playground.seed(db)
        _settle_heap()
        app.state.services = Services(
            db=db, rooms=rooms, knowledge=knowledge, inbox=hub, loader=BuiltLoader(widget_dir)
        )
        _banner(settings, report.chunks, time.perf_counter() - started, widget_dir, live)
        running = {"url": settings.base_url, "pid": os.getpid()}
        settings.running_file.write_text(json.dumps(running), encoding="utf-8")
        try:
            if live is None:
                yield
            else:
                app.state.live_reload = live
                async with live.running():
                    yield
        finally:
            settings.running_file.unlink(missing_ok=True)
            await rooms.aclose()
            db.close()

    routes = [
        *pages.ROUTES,
        *playground.ROUTES,
        *kb_files.ROUTES,
        *assets.routes(widget_dir, CONSOLE_PAGE),
        *(live.routes() if live else []),
    ]
    return build_app(lifespan, routes)


def _settle_heap() -> None:
    """Start-up's objects (the knowledge base's model and index, modules, the demo seed) live
    as long as the process: freeze them out of every later collection, then collect less
    often (`GC_THRESHOLDS`)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def _banner(
    settings: Settings, chunks: int, seconds: float, widget_dir: Path, live: LiveReload | None
) -> None:
    url = settings.base_url
    if not (widget_dir / "widget.js").is_file():
        _say(f"\n  ! The widget is not built ({widget_dir}): run `uv run helpway build-widget`.")
    _say(
        "\n"
        f"  Helpway local edge ready in {seconds:.1f}s (data: {settings.data_dir})\n"
        f"  Demo site      {url}/\n"
        f"  Agent console  {url}/console\n"
        f"  Playground     {url}/playground (the widget in each theme, language, state)\n"
        f"    e-mail       {demo.AGENT_EMAIL}\n"
        f"    password     {demo.AGENT_PASSWORD}\n"
        f"  Demo KB        {chunks} sections, {url}/help/\n"
    )
    if settings.room_sync != "full":
        _say(
            f"  ! Rooms commit with HELPWAY_ROOM_SYNC={settings.room_sync}: an ack survives the "
            "edge being killed, not a power cut.\n"
        )
    if live:
        _say("  Watching the widget's sources: a save rebuilds it and reloads the demo pages.\n")


class CannotListen(RuntimeError):
    """The port cannot be bound; the message says why in one line."""


def bind(settings: Settings) -> socket.socket:
    """The server socket, bound but not yet listening."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # Lets a restarted edge take its port back while the old connections linger in TIME_WAIT;
    # a port another process listens on is still refused.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.host, settings.port))
    except OSError as exc:
        sock.close()
        where = f"{settings.host}:{settings.port}"
        if exc.errno == errno.EADDRINUSE:
            raise CannotListen(
                f"port {settings.port} is already in use on {settings.host}: stop what listens "
                "there, or pick another port, e.g. PORT=8788 make dev"
            ) from None
        raise CannotListen(f"cannot listen on {where}: {exc.strerror or exc}") from None
    return sock


def serve(settings: Settings, watch: bool = False) -> None:
    """Run until SIGINT/SIGTERM; open sockets are closed and rooms flushed before exit.

    Raises `CannotListen` before doing anything else when the port cannot be bound."""
    sock = bind(settings)
    config = uvicorn.Config(
        local_app(settings, watch=watch),
        host=settings.host,
        port=settings.port,
        ws_max_size=limits.MAX_SOCKET_MESSAGE_BYTES,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        log_level="info",
        access_log=False,
    )
    # uvicorn handles SIGINT/SIGTERM gracefully, then re-raises the signal it caught once the
    # previous handlers are back: make that a plain exit, not a traceback or a kill status.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _exit_quietly)
    with sock:
        uvicorn.Server(config).run(sockets=[sock])


def _exit_quietly(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)
