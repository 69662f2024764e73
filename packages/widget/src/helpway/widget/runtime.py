"""The browser runtimes the apps boot on, taken from node_modules: PyScript + MicroPython, and
Brython for browsers without WebAssembly (the widget only).

Only files a page actually loads are shipped: PyScript's entry module with the chunks it imports
statically, plus the chunk of its `error` plugin, which PyScript imports even when the plugin is
turned off; and MicroPython's module and WebAssembly binary. The other PyScript chunks
(codemirror, the editor, xterm, Pyodide's package graph, TOML, zip) load only for features the
apps' config turns off, so they stay out of the build.

PyScript's core chunk ships without its `pyscript` Python package (`without_pyscript_package`).
Before every script PyScript writes the package's fourteen modules into MicroPython's file
system as source and imports it: on a cold page that was most of PyScript's Python start (50 to
140 ms in one task on the frame's thread, which phones share with the host page) and 8 KB of
the chunk's 36 (brotli). Our apps never import it: they use `polyscript.js_modules`, `js` and
`jsffi`, which PyScript's core provides without it (the build refuses an app module that
imports `pyscript`). It is the start-up code of the main thread and of workers alike; the apps
start no worker.

Brython ships its minified core and, of its 4.7 MB standard library bundle, only the modules the
widget's shims import (`BRYTHON_STDLIB`), re-bundled in the same virtual-file format.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

PYSCRIPT = "@pyscript/core"
MICROPYTHON = "@micropython/micropython-webassembly-pyscript"
BRYTHON = "brython"
# Every PyScript plugin; the apps' config turns each one off ("!name").
PYSCRIPT_PLUGINS = (
    "codemirror",
    "deprecations-manager",
    "donkey",
    "error",
    "py-editor",
    "py-game",
    "py-terminal",
)
PYSCRIPT_DIR = "runtime/pyscript"
MICROPYTHON_DIR = "runtime/micropython"
PYSCRIPT_ENTRY = PYSCRIPT_DIR + "/core.js"
INTERPRETER = MICROPYTHON_DIR + "/micropython.mjs"
BRYTHON_DIR = "runtime/brython"
BRYTHON_CORE = BRYTHON_DIR + "/brython.min.js"
BRYTHON_LIBRARY = BRYTHON_DIR + "/stdlib.js"
# What the shims in `brython/` import from Brython's standard library (its core has `browser`,
# `browser.aio` and `javascript`).
BRYTHON_STDLIB = ("_json",)

# `from"./x.js"` or `import"./x.js"`: static imports in minified ES modules. A dynamic
# `import("./x.js")` has a parenthesis before the quote and is not matched.
_STATIC_IMPORT = re.compile(r'\b(?:from|import)\s*"\./([\w.-]+\.js)"')


# PyScript's start-up Python, minified: `write(".", {pyscript: {"__init__.py": "…", …}})`, then
# `lines.push("import pyscript as _pyscript")`, `lines.push(...dels)`, `lines.push("\n")`, and
# `const code = lines.join("\n")`.
_PACKAGE_WRITE = re.compile(r'\b\w+\("\.",\{pyscript:\{')
_PACKAGE_IMPORT = re.compile(
    r'\}\}\),(?P<lines>\w+)\.push\("import pyscript as _pyscript"\),'
    r'(?P=lines)\.push\(\.\.\.\["_Path","_path","_os","_pyscript"\]\.map\(\w+=>`del \$\{\w+\}`\)\),'
    r'(?P=lines)\.push\("\\n"\);const (?P<code>\w+)=(?P=lines)\.join\("\\n"\)'
)


class RuntimeMissing(RuntimeError):
    """node_modules lacks the runtime packages."""


def find_node_modules(start: Path | None = None) -> Path:
    """`HELPWAY_NODE_MODULES`, else the nearest `node_modules` holding PyScript above `start`."""
    override = os.environ.get("HELPWAY_NODE_MODULES")
    if override:
        return Path(override).resolve()
    here = (start or Path(__file__)).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "node_modules"
        if (candidate / PYSCRIPT / "package.json").is_file():
            return candidate
    raise RuntimeMissing(f"no node_modules with {PYSCRIPT} above {here}: run `npm ci`")


def runtime_files(node_modules: Path) -> dict[str, bytes]:
    """Each runtime file's path in the build output → its bytes (from `node_modules`)."""
    dist = node_modules / PYSCRIPT / "dist"
    micropython = node_modules / MICROPYTHON
    for required in (dist / "core.js", micropython / "micropython.mjs"):
        if not required.is_file():
            raise RuntimeMissing(f"{required} is missing: run `npm ci`")
    names = _static_closure(dist, ["core.js", _one(dist, "error-*.js")])
    files = {f"{PYSCRIPT_DIR}/{name}": (dist / name).read_bytes() for name in sorted(names)}
    core = f"{PYSCRIPT_DIR}/{_one(dist, 'core-*.js')}"
    files[core] = without_pyscript_package(files[core].decode("utf-8")).encode("utf-8")
    for name in ("micropython.mjs", "micropython.wasm"):
        files[f"{MICROPYTHON_DIR}/{name}"] = (micropython / name).read_bytes()
    return files


def without_pyscript_package(chunk: str) -> str:
    """PyScript's core chunk with no Python run before each script: the code that writes the
    `pyscript` package's sources (a dict literal of them) and imports it becomes an empty string.
    Its minified names change between PyScript versions, the shape of the statement does not."""
    start = _PACKAGE_WRITE.findall(chunk)
    end = list(_PACKAGE_IMPORT.finditer(chunk))
    if len(start) != 1 or len(end) != 1 or chunk.index(start[0]) > end[0].start():
        raise RuntimeMissing(
            f"{PYSCRIPT}'s core chunk no longer writes its `pyscript` package as this build "
            "expects: update `without_pyscript_package`"
        )
    at = chunk.index(start[0])
    return chunk[:at] + f'const {end[0]["code"]}=""' + chunk[end[0].end() :]


def brython_files(node_modules: Path) -> dict[str, bytes]:
    """Brython's core and the part of its standard library the widget uses: path in the build
    output → bytes."""
    folder = node_modules / BRYTHON
    for required in ("brython.min.js", "brython_stdlib.js"):
        if not (folder / required).is_file():
            raise RuntimeMissing(f"{folder / required} is missing: run `npm ci`")
    library = brython_library(folder / "brython_stdlib.js")
    picked = {"$timestamp": library["$timestamp"]}
    for name in BRYTHON_STDLIB:
        if name not in library:
            raise RuntimeMissing(f"Brython's standard library has no {name}")
        picked[name] = library[name]
    return {
        BRYTHON_CORE: (folder / "brython.min.js").read_bytes(),
        BRYTHON_LIBRARY: brython_bundle(picked).encode(),
    }


def brython_library(path: Path) -> dict:
    """The modules of a Brython virtual-file bundle: `var scripts = {...}` then a call that
    registers them."""
    text = path.read_text("utf-8")
    start = text.index("var scripts = ") + len("var scripts = ")
    end = text.rindex("__BRYTHON__.update_VFS")
    return json.loads(text[start:end].strip().rstrip(";"))


def brython_bundle(modules: dict) -> str:
    """A script that registers `modules` (name → [".py" | ".js", source, imports, ...]) with
    Brython, the format of its own standard library bundle."""
    data = json.dumps(modules, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "__BRYTHON__.use_VFS = true;\n__BRYTHON__.update_VFS(" + data + ");\n"


def _one(folder: Path, pattern: str) -> str:
    found = sorted(folder.glob(pattern))
    if len(found) != 1:
        raise RuntimeMissing(f"expected one {pattern} in {folder}, found {len(found)}")
    return found[0].name


def _static_closure(dist: Path, roots: list[str]) -> set[str]:
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(_STATIC_IMPORT.findall((dist / name).read_text("utf-8")))
    return seen
