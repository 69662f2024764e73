"""The built widget and console: `/widget.js`, `/w/...`, `/console`, from the widget build output.

Files under `v/` are named by a fingerprint of their bytes and cached for good (`immutable`);
the rest (the loader, the pages) is served with revalidation (`no-cache` + ETag → 304), so a
rebuild shows on the next reload. A file's `.br` or `.gz` sibling, written by the build, is sent
instead when the request accepts that encoding. Types are set explicitly for what browsers are
strict about: module scripts must be JavaScript, and `WebAssembly.instantiateStreaming` wants
`application/wasm`.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path, PurePosixPath

import anyio
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".wasm": "application/wasm",
    ".json": "application/json",
    ".map": "application/json",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".py": "text/x-python; charset=utf-8",
    ".mpy": "application/octet-stream",  # MicroPython bytecode (the widget build's modules)
    ".toml": "text/plain; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
}
NOT_BUILT = "the widget is not built: run `uv run helpway build-widget`"
IMMUTABLE_DIR = "v"
IMMUTABLE = "public, max-age=31536000, immutable"
# Precompressed siblings, preferred in this order.
ENCODINGS = ((".br", "br"), (".gz", "gzip"))


def _accepted(header: str) -> set[str]:
    """Encodings an `Accept-Encoding` header accepts (those with `q=0` are refused)."""
    accepted = set()
    for part in header.split(","):
        name, _, params = part.partition(";")
        weight = params.replace(" ", "").lower().removeprefix("q=")
        try:
            refused = bool(params) and float(weight) == 0
        except ValueError:
            refused = False
        if not refused:
            accepted.add(name.strip().lower())
    return accepted


class WidgetFiles(StaticFiles):
    """Static files of the widget build; a missing build is a clear 404, not a crash, and is
    picked up as soon as it appears."""

    def __init__(self, directory: Path) -> None:
        # Builds may link runtime files from node_modules: follow links, `..` is still refused.
        super().__init__(directory=directory, check_dir=False, follow_symlink=True)

    async def get_response(self, path: str, scope: Scope) -> Response:
        accepted = _accepted(Headers(scope=scope).get("accept-encoding", ""))
        for suffix, encoding in ENCODINGS:
            if encoding not in accepted or scope["method"] not in ("GET", "HEAD"):
                continue
            full_path, stat_result = await anyio.to_thread.run_sync(self.lookup_path, path + suffix)
            if stat_result is None or not stat.S_ISREG(stat_result.st_mode):
                continue
            response = self.file_response(full_path, stat_result, scope)
            kind = CONTENT_TYPES.get(PurePosixPath(path).suffix.lower())
            response.headers["content-type"] = kind or "application/octet-stream"
            response.headers["content-encoding"] = encoding
            return response
        return await super().get_response(path, scope)

    async def check_config(self) -> None:
        if not await anyio.to_thread.run_sync(os.path.isdir, str(self.directory)):
            raise HTTPException(404, NOT_BUILT)

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        content_type = CONTENT_TYPES.get(PurePosixPath(str(full_path)).suffix.lower())
        if content_type is not None:
            response.headers["content-type"] = content_type
        inside = os.path.relpath(full_path, os.path.abspath(self.directory or "."))
        immutable = PurePosixPath(Path(inside).as_posix()).parts[0] == IMMUTABLE_DIR
        response.headers["cache-control"] = IMMUTABLE if immutable else "no-cache"
        response.headers["vary"] = "Accept-Encoding"
        return response


def _one_file(files: WidgetFiles, name: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        await files.check_config()
        return await files.get_response(name, request.scope)

    return endpoint


def routes(widget_dir: Path, console_file: str) -> list[BaseRoute]:
    """`console_file` is the console page's path inside the build."""
    files = WidgetFiles(widget_dir)
    return [
        Route("/widget.js", _one_file(files, "widget.js"), methods=["GET", "HEAD"]),
        Route("/console", _one_file(files, console_file), methods=["GET", "HEAD"]),
        Mount("/w", files),
    ]
