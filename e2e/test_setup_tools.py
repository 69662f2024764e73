"""scripts/setup-tools, the first step of `make setup` and `.ci/run`, in a HOME of its own.

Node.js cannot be installed from here, so an old or missing one must stop setup at once with
one line that says what to install, before anything is downloaded or written. A working uv is
left alone. (Installing uv needs PyPI, so its fallbacks for an "externally managed" Python are
not run here.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "setup-tools"
# What the script runs besides node, npm, python3 and uv.
COMMANDS = ("bash", "cat", "env", "id", "ln", "mkdir", "mktemp", "rm")


def tools_dir(tmp_path: Path, **stand_ins: str) -> Path:
    """A PATH folder with the shell tools and the given commands as small shell scripts."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for name in COMMANDS:
        found = shutil.which(name)
        assert found is not None, name
        (folder / name).symlink_to(found)
    for name, body in stand_ins.items():
        (folder / name).write_text("#!/bin/sh\n" + body + "\n")
        (folder / name).chmod(0o755)
    return folder


def setup_tools(home: Path, path: str) -> subprocess.CompletedProcess[str]:
    home.mkdir(exist_ok=True)
    return subprocess.run(
        [shutil.which("bash") or "bash", str(SCRIPT)],
        env={"HOME": str(home), "PATH": path},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_an_old_node_stops_setup_with_one_line(tmp_path: Path) -> None:
    node18 = 'case "$1" in -p) echo 18 ;; *) echo v18.19.0 ;; esac'
    path = tools_dir(tmp_path, node=node18, npm="echo 9.2.0")
    run = setup_tools(tmp_path / "home", str(path))
    assert run.returncode == 1
    assert run.stderr.splitlines() == [
        "setup: Helpway needs Node.js >= 20 with npm (found node v18.19.0, npm 9.2.0); "
        "install them (https://nodejs.org/en/download) and run this again"
    ]
    assert list((tmp_path / "home").iterdir()) == []


def test_a_missing_node_or_npm_stops_setup_with_one_line(tmp_path: Path) -> None:
    path = tools_dir(tmp_path)
    run = setup_tools(tmp_path / "home", str(path))
    assert run.returncode == 1
    assert run.stderr.splitlines() == [
        "setup: Helpway needs Node.js >= 20 with npm (found node none, npm none); "
        "install them (https://nodejs.org/en/download) and run this again"
    ]
    node = shutil.which("node")
    assert node is not None
    (path / "node").symlink_to(node)  # a real Node >= 20, without npm
    run = setup_tools(tmp_path / "home", str(path))
    assert run.returncode == 1
    assert "npm none" in run.stderr and len(run.stderr.splitlines()) == 1


def test_a_working_uv_is_left_alone(tmp_path: Path) -> None:
    uv, node, npm = shutil.which("uv"), shutil.which("node"), shutil.which("npm")
    assert uv is not None and node is not None and npm is not None
    path = tools_dir(tmp_path)
    for tool in (uv, node, npm):
        (path / Path(tool).name).symlink_to(tool)
    run = setup_tools(tmp_path / "home", os.pathsep.join([str(path), os.environ["PATH"]]))
    assert (run.returncode, run.stdout, run.stderr) == (0, "", "")
    assert list((tmp_path / "home").iterdir()) == []
