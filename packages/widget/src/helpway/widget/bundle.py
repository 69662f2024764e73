"""Build every file the edge serves for the widget and the agent console.

`build(out_dir)` writes (the edge serves `/widget.js`, `/console`, and `/w/<path>` from
`out_dir/<path>`):

    widget.js                  the loader site owners paste (its PyScript config inlined)
    console.html               the agent console page
    chat.css, console.css      conversation items (both apps); the console's layout
    app/*.py, app/bridge.js    the Python apps and the shared codec, flat, as PyScript loads them
    runtime/pyscript/...       PyScript, only the files a page loads (see `runtime`)
    runtime/micropython/...    MicroPython (WebAssembly)

The PyScript config is JSON (a TOML config costs a parser download) and is inlined: in the
loader with asset paths made absolute at run time (the widget runs on other sites), in the
console page with root-relative paths.

The build is deterministic and idempotent: the same inputs give the same bytes, a file whose
bytes did not change is not rewritten (so its mtime and the edge's ETag stay), and files an
earlier build wrote that this one does not are removed. It never deletes anything it did not
write: what it wrote is listed in `.helpway-build.json`.
"""

from __future__ import annotations

import ast
import html
import json
import re
from pathlib import Path

from helpway.shared import wire

from . import runtime

PACKAGE = Path(__file__).parent
APP_DIR = PACKAGE / "app"
STATIC_DIR = PACKAGE / "static"
CODEC_DIR = Path(wire.__file__).parent
MANIFEST = ".helpway-build.json"
ASSET_PREFIX = "@/"  # marks asset paths in the PyScript config until they are made absolute
CONSOLE_ASSETS = "/w/"

CODEC = ("errors", "limits", "wire_spec", "wire")
COMMON = (*CODEC, "drafts", "state", "keyed", "pacing", "links", "transport", "chat_dom")
# The modules each app loads, and the entry script PyScript runs.
APPS = {
    "widget": (*COMMON, "widget_view", "widget_app"),
    "console": (*COMMON, "inbox", "console_view", "console_app"),
}
ENTRIES = {"widget": "widget_main", "console": "console_main"}
# JavaScript modules the apps import through PyScript's `js_modules` (name → file in app/).
JS_MODULES = {"bridge": "bridge.js"}

_BUILD_SLOT = re.compile(r"/\*@build\*/[^;]*;")


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
    files: dict[str, bytes] = {}
    runtime_sources = runtime.runtime_files(node_modules)
    for name, source in runtime_sources.items():
        files[name] = source.read_bytes()
    for module in sorted({m for modules in APPS.values() for m in modules} | set(ENTRIES.values())):
        files[f"app/{module}.py"] = _module_source(module).read_bytes()
    for js_file in JS_MODULES.values():
        files[f"app/{js_file}"] = (STATIC_DIR / js_file).read_bytes()
    for css in ("chat.css", "console.css"):
        files[css] = (STATIC_DIR / css).read_bytes()
    files["widget.js"] = loader(sorted(runtime_sources)).encode()
    files["console.html"] = console_page(sorted(runtime_sources)).encode()
    return files


def pyscript_config(app: str) -> dict:
    """PyScript's config for `app`; asset paths start with `ASSET_PREFIX`."""
    return {
        "interpreter": ASSET_PREFIX + runtime.INTERPRETER,
        "files": {f"{ASSET_PREFIX}app/{m}.py": f"./{m}.py" for m in APPS[app]},
        "js_modules": {
            "main": {f"{ASSET_PREFIX}app/{file}": name for name, file in JS_MODULES.items()}
        },
        "plugins": ["!" + plugin for plugin in runtime.PYSCRIPT_PLUGINS],
    }


def boot_plan(app: str, runtime_names: list[str]) -> dict:
    """What a page loads to boot `app`, relative to the assets: the PyScript config, the entry
    script, the runtime's entry module, and every file of the chain to preload at once."""
    entry = f"app/{ENTRIES[app]}.py"
    modules = [name for name in runtime_names if name.endswith((".js", ".mjs"))]
    modules = [name for name in modules if name != runtime.PYSCRIPT_ENTRY]
    modules += [f"app/{file}" for file in JS_MODULES.values()]
    fetches = [name for name in runtime_names if name.endswith(".wasm")]
    fetches += [entry] + [f"app/{m}.py" for m in APPS[app]]
    return {
        "config": pyscript_config(app),
        "entry": entry,
        "core": runtime.PYSCRIPT_ENTRY,
        "modules": modules,
        "fetches": fetches,
    }


def loader(runtime_names: list[str]) -> str:
    """The loader with its boot plan filled in, whole-line comments and indentation removed."""
    template = (PACKAGE / "loader" / "widget.js").read_text("utf-8")
    plan = json.dumps(boot_plan("widget", runtime_names), sort_keys=True, separators=(",", ":"))
    filled, count = _BUILD_SLOT.subn(lambda _match: plan + ";", template)
    if count != 1:
        raise ValueError("the loader template must hold exactly one /*@build*/ slot")
    lines = []
    for line in filled.splitlines():
        line = line.strip()
        if line and not line.startswith("//"):
            lines.append(line)
    return "\n".join(lines) + "\n"


def console_page(runtime_names: list[str]) -> str:
    plan = boot_plan("console", runtime_names)
    config = json.dumps(plan["config"], sort_keys=True, separators=(",", ":"))
    config = config.replace('"' + ASSET_PREFIX, '"' + CONSOLE_ASSETS)
    hints = [f'<link rel="modulepreload" href="{CONSOLE_ASSETS}{m}">' for m in plan["modules"]]
    hints += [
        f'<link rel="preload" as="fetch" crossorigin href="{CONSOLE_ASSETS}{f}">'
        for f in plan["fetches"]
    ]
    page = (STATIC_DIR / "console.html").read_text("utf-8")
    for slot, value in (
        ("{{hints}}", "\n    ".join(hints)),
        ("{{config}}", html.escape(config, quote=True)),
        ("{{plugins}}", html.escape(json.dumps({"plugins": plan["config"]["plugins"]}))),
        ("{{entry}}", CONSOLE_ASSETS + plan["entry"]),
        ("{{core}}", CONSOLE_ASSETS + plan["core"]),
    ):
        if page.count(slot) != 1:
            raise ValueError(f"console.html must hold {slot} exactly once")
        page = page.replace(slot, value)
    return page


def _module_source(module: str) -> Path:
    return CODEC_DIR / f"{module}.py" if module in CODEC else APP_DIR / f"{module}.py"


def _check_imports(app: str) -> None:
    """Fail the build when an app module imports a sibling the app does not ship."""
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
