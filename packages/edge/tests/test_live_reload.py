"""The dev loop's watcher on real files: what counts as a change, and a failing build that
leaves the last good one in place; and the build command's own failure."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpway.edge.cli import main
from helpway.edge.local import live_reload
from helpway.edge.local.live_reload import LiveReload, changed_files, snapshot

WAIT_S = 10


def _touch(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_a_snapshot_sees_edits_additions_and_removals_but_not_compiled_files(
    tmp_path: Path,
) -> None:
    _touch(tmp_path / "app" / "view.py", "a = 1\n")
    _touch(tmp_path / "static" / "chat.css", "p{}")
    before = snapshot([tmp_path])
    _touch(tmp_path / "app" / "__pycache__" / "view.cpython-311.pyc", "x")
    _touch(tmp_path / "app" / "view.py.swp", "x")
    assert changed_files(before, snapshot([tmp_path])) == []

    _touch(tmp_path / "app" / "view.py", "a = 22\n")
    _touch(tmp_path / "app" / "new.py", "")
    (tmp_path / "static" / "chat.css").unlink()
    assert changed_files(before, snapshot([tmp_path])) == sorted(
        str(tmp_path / p) for p in ("app/view.py", "app/new.py", "static/chat.css")
    )


async def _until(condition: Callable[[], object], what: str) -> None:
    deadline = asyncio.get_running_loop().time() + WAIT_S
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def test_a_save_rebuilds_once_and_a_broken_build_keeps_the_build_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live_reload, "POLL_INTERVAL_S", 0.02)
    source = tmp_path / "src" / "app.py"
    _touch(source, "ok = True\n")
    built: list[str] = []
    said: list[str] = []

    def build() -> None:
        # A stand-in for the widget build with its one relevant trait: it reads the sources
        # and fails on a broken one.
        text = source.read_text()
        compile(text, str(source), "exec")
        built.append(text)

    live = LiveReload([tmp_path / "src"], build, said.append)
    first = live.build_id
    async with live.running():
        await asyncio.sleep(0.1)
        _touch(source, "ok = 'edited'\n")
        await _until(lambda: built, "a rebuild")
        second = live.build_id
        assert second != first

        _touch(source, "ok = (\n")
        await _until(lambda: any("failed" in line for line in said), "the failure report")
        assert live.build_id == second
        assert "app.py changed" in said[-1]

        _touch(source, "ok = 'fixed'\n")
        await _until(lambda: len(built) == 2, "the rebuild after the fix")
        assert live.build_id != second
    assert built == ["ok = 'edited'\n", "ok = 'fixed'\n"]


def test_building_without_the_js_runtimes_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It used to end in a traceback from the widget package."""
    monkeypatch.setenv("HELPWAY_NODE_MODULES", str(tmp_path / "node_modules"))
    result = CliRunner().invoke(main, ["build-widget", "--out", str(tmp_path / "build")])
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "is missing: run `npm ci`" in result.output
    assert "Traceback" not in result.output
