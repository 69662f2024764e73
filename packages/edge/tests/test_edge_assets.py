"""Serving the widget build: content types browsers insist on, revalidation, no escape from the
build folder, and a clear JSON 404 while the widget is not built."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from helpway.edge.errors import EXCEPTION_HANDLERS
from helpway.edge.routes import assets


@contextlib.asynccontextmanager
async def serving(build: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = Starlette(
        routes=assets.routes(build, "console.html"),
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://edge") as client:
        yield client


@pytest.fixture
def build(tmp_path: Path) -> Path:
    root = tmp_path / "build"
    files = {
        "widget.js": "/* loader */",
        "console.html": "<!doctype html><title>Console</title>",
        "runtime/pyscript/core.js": "export {}",
        "runtime/micropython/micropython.mjs": "export {}",
        "runtime/micropython/micropython.wasm": "\0asm",
        "app/widget_app.py": "print('hi')",
        "app/state.mpy": "M\x06\x00\x1f",
        "chat.css": "body{}",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (tmp_path / "secret.txt").write_text("outside the build")
    return root


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/widget.js", "text/javascript; charset=utf-8"),
        ("/console", "text/html; charset=utf-8"),
        ("/w/runtime/pyscript/core.js", "text/javascript; charset=utf-8"),
        ("/w/runtime/micropython/micropython.mjs", "text/javascript; charset=utf-8"),
        ("/w/runtime/micropython/micropython.wasm", "application/wasm"),
        ("/w/app/widget_app.py", "text/x-python; charset=utf-8"),
        ("/w/app/state.mpy", "application/octet-stream"),
        ("/w/chat.css", "text/css; charset=utf-8"),
    ],
)
async def test_assets_have_the_types_browsers_require(
    build: Path, path: str, content_type: str
) -> None:
    async with serving(build) as client:
        response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.headers["cache-control"] == "no-cache"


async def test_unchanged_assets_revalidate_with_304(build: Path) -> None:
    async with serving(build) as client:
        first = await client.get("/w/chat.css")
        again = await client.get("/w/chat.css", headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304


async def test_paths_cannot_leave_the_build(build: Path) -> None:
    async with serving(build) as client:
        response = await client.get("/w/%2e%2e/secret.txt")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


async def test_a_missing_build_is_a_clear_404_until_it_appears(build: Path) -> None:
    missing = build.parent / "not-yet"
    async with serving(missing) as client:
        for path in ("/widget.js", "/console", "/w/chat.css"):
            response = await client.get(path)
            assert response.status_code == 404
            assert "helpway build-widget" in response.json()["message"]
        build.rename(missing)  # noqa: ASYNC240 - the "build" lands while the edge serves
        assert (await client.get("/widget.js")).status_code == 200
