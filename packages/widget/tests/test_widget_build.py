"""The asset build: what it ships, that it is deterministic and idempotent, and that every file
a page asks for is in it."""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path

import pytest

from helpway.widget import build, bundle, runtime

# PyScript files only features we turn off would load; shipping them would be dead weight.
UNWANTED = ("codemirror", "py-editor", "py-game", "py-terminal", "pyodide", "toml", "xterm", "zip")


def tree(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("build")
    build(folder)
    return folder


def boot_plan(out: Path) -> dict:
    match = re.search(r"^var BUILD = (\{.*\});$", (out / "widget.js").read_text(), re.M)
    assert match, "the loader carries its boot plan"
    plan: dict = json.loads(match.group(1))
    return plan


def test_layout(out: Path) -> None:
    files = set(tree(out))
    assert {"widget.js", "console.html", "chat.css", "console.css", "app/bridge.js"} <= files
    shipped = {m for modules in bundle.APPS.values() for m in modules} | set(
        bundle.ENTRIES.values()
    )
    assert {f"app/{m}.py" for m in shipped} <= files
    assert {"app/wire.py", "app/wire_spec.py", "app/limits.py", "app/errors.py"} <= files
    assert {
        runtime.PYSCRIPT_ENTRY,
        runtime.INTERPRETER,
        "runtime/micropython/micropython.wasm",
    } <= files
    for name in files:
        assert not any(word in name for word in UNWANTED), name
        assert not name.endswith(".map"), name
    assert {"app/__init__.py", "app/test_widget_state.py"}.isdisjoint(files)


def test_every_app_module_is_shipped_by_some_app() -> None:
    shipped = {m for modules in bundle.APPS.values() for m in modules} | set(
        bundle.ENTRIES.values()
    )
    sources = {path.stem for path in bundle.APP_DIR.glob("*.py")} - {"__init__"}
    assert sources <= shipped


def test_codec_ships_byte_for_byte(out: Path) -> None:
    for name in bundle.CODEC:
        assert (out / "app" / f"{name}.py").read_bytes() == (
            bundle.CODEC_DIR / f"{name}.py"
        ).read_bytes()


def test_build_is_deterministic(out: Path, tmp_path: Path) -> None:
    build(tmp_path / "again")
    assert tree(tmp_path / "again") == tree(out)


def test_rebuilding_rewrites_nothing_and_removes_only_what_it_wrote(tmp_path: Path) -> None:
    target = tmp_path / "out"
    build(target)
    before = {path: path.stat().st_mtime_ns for path in target.rglob("*") if path.is_file()}
    # A file an earlier build wrote (listed in the manifest) and a file of someone else's.
    manifest = target / bundle.MANIFEST
    (target / "runtime" / "pyscript" / "old-chunk.js").write_text("stale")
    manifest.write_text(
        json.dumps([*json.loads(manifest.read_text()), "runtime/pyscript/old-chunk.js"])
    )
    (target / "notes.txt").write_text("not ours")
    os.utime(manifest, ns=(before[manifest], before[manifest]))

    build(target)
    after = {path: path.stat().st_mtime_ns for path in target.rglob("*") if path.is_file()}
    assert not (target / "runtime" / "pyscript" / "old-chunk.js").exists()
    assert (target / "notes.txt").read_text() == "not ours"
    del after[target / "notes.txt"]
    changed = {path for path in before if before[path] != after.get(path)}
    assert changed <= {manifest}


def test_loader_boot_plan_points_at_built_files(out: Path) -> None:
    plan = boot_plan(out)
    config = plan["config"]
    prefix = bundle.ASSET_PREFIX
    paths = [config["interpreter"], *config["files"], *config["js_modules"]["main"]]
    assert all(path.startswith(prefix) for path in paths)
    paths = [path[len(prefix) :] for path in paths]
    paths += [plan["entry"], plan["core"], *plan["modules"], *plan["fetches"]]
    for path in paths:
        assert (out / path).is_file(), path
    assert sorted(config["files"].values()) == sorted(f"./{m}.py" for m in bundle.APPS["widget"])
    assert config["plugins"] == ["!" + name for name in runtime.PYSCRIPT_PLUGINS]


def test_loader_fetches_nothing_from_elsewhere(out: Path) -> None:
    text = (out / "widget.js").read_text()
    assert re.findall(r"https?://[^\s\"']+", text) == [
        "https://EDGE/widget.js",
        "http://www.w3.org/2000/svg",
    ]
    assert "cdn" not in text.lower()
    assert not any(line.startswith("//") for line in text.splitlines())  # comments stripped


def test_console_page_points_at_built_files(out: Path) -> None:
    page = (out / "console.html").read_text()
    config_attr = re.search(r'<script type="mpy" src="([^"]+)" config="([^"]+)"', page)
    assert config_attr
    entry, config = config_attr.group(1), json.loads(html.unescape(config_attr.group(2)))
    assert entry == bundle.CONSOLE_ASSETS + "app/console_main.py"
    assert config["interpreter"] == bundle.CONSOLE_ASSETS + runtime.INTERPRETER
    refs = re.findall(r'(?:href|src)="(/w/[^"]+)"', page) + list(config["files"])
    refs += list(config["js_modules"]["main"])
    assert refs
    for ref in refs:
        assert (out / ref[len(bundle.CONSOLE_ASSETS) :]).is_file(), ref
    plugins = re.search(r"<py-config hidden>([^<]+)</py-config>", page)
    assert plugins and json.loads(html.unescape(plugins.group(1))) == {"plugins": config["plugins"]}
