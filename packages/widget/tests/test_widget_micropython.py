"""The widget's pure modules pass their tests on MicroPython too, and every shipped module compiles.

The browser runs the apps on MicroPython, which lacks much of CPython (no `typing`, unordered
dicts, an unstable sort, a smaller `re`), so passing on CPython proves little. This runs the
same test functions (`test_widget_state.py`, `test_widget_helpers.py`, `test_widget_inbox.py`,
`test_widget_console_tools.py`, `test_widget_i18n.py`,
`test_widget_team.py`, `test_widget_admin_forms.py`, `test_widget_csat.py`)
on the npm MicroPython build in Node, one process for all, and compiles every module the build
ships with MicroPython's compiler.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

from helpway.widget import bundle, runtime

HERE = Path(__file__).parent
PURE_MODULES = (
    "i18n",
    "drafts",
    "state",
    "keyed",
    "pacing",
    "links",
    "inbox",
    "shortcuts",
    "canned_replies",
    "alerts",
    "team",
    "admin_forms",
    "csat",
    "launcher",
)
TEST_MODULES = (
    "test_widget_state",
    "test_widget_helpers",
    "test_widget_inbox",
    "test_widget_console_tools",
    "test_widget_i18n",
    "test_widget_team",
    "test_widget_admin_forms",
    "test_widget_csat",
    "test_widget_launcher",
)
HELPERS = ("conversation_frames",)  # what the test modules share, placed beside them


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _test_names() -> list[str]:
    """Every test function of the shared test modules, as CPython sees them."""
    names = []
    for module_name in TEST_MODULES:
        module = _load(module_name)
        names += [f"{module_name}.{name}" for name in dir(module) if name.startswith("test_")]
    return sorted(names)


def _shipped_modules() -> list[str]:
    """Every module the apps import, their entry modules, and the unpacking code the pages'
    entry scripts hold (MicroPython compiles that one at page load)."""
    shipped = {m for modules in bundle.APPS.values() for m in modules}
    return sorted(shipped | set(bundle.ENTRIES.values()) | {bundle.UNPACK})


@pytest.fixture(scope="module")
def micropython(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str | None]]:
    node = shutil.which("node")
    assert node, "Node is needed to run the widget tests under MicroPython"
    files = {f"{name}.py": str(bundle.APP_DIR / f"{name}.py") for name in PURE_MODULES}
    files.update({f"{name}.py": str(HERE / f"{name}.py") for name in (*TEST_MODULES, *HELPERS)})
    for name in _shipped_modules():
        files[f"{name}.py"] = str(bundle._module_source(name))
    plan = {"files": files, "tests": list(TEST_MODULES), "compile": _shipped_modules()}
    plan_file = tmp_path_factory.mktemp("mp") / "plan.json"
    plan_file.write_text(json.dumps(plan))
    interpreter = runtime.find_node_modules() / runtime.MICROPYTHON / "micropython.mjs"
    run = subprocess.run(
        [node, str(HERE / "micropython_tests.mjs"), str(interpreter), str(plan_file)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    assert run.stderr == "", run.stderr[-4000:]
    results: dict[str, dict[str, str | None]] = json.loads(run.stdout)
    return results


def test_micropython_ran_every_test_function(micropython: dict) -> None:
    assert sorted(micropython["tests"]) == _test_names()


@pytest.mark.parametrize("name", _test_names())
def test_passes_on_micropython(name: str, micropython: dict) -> None:
    failure = micropython["tests"][name]
    assert failure is None, failure


@pytest.mark.parametrize("module", _shipped_modules())
def test_shipped_module_compiles_on_micropython(module: str, micropython: dict) -> None:
    failure = micropython["compile"][module]
    assert failure is None, failure
