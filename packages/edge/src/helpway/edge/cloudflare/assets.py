"""Static-asset rules for the widget build that wrangler's `[assets]` uploads.

Locally the edge serves `/widget.js`, `/console` and `/w/<path>` from the widget build; on
Cloudflare the assets service serves the same folder, before the Worker runs, so three files
written into the build tell it what the local routes do:

- `_redirects`: `/w/<path>` is the build's `<path>` (a rewrite, status 200, not a redirect);
  `/console` finds `console.html` by the default `html_handling`.
- `_headers`: the widget runs on other sites' pages, so `/widget.js` and everything under
  `/w/` is served with `Access-Control-Allow-Origin: *`; caching per kind of file. Rules match
  the requested path and overlapping rules add up (two `Cache-Control`s would be joined), so
  each top-level entry of the build gets exactly one rule.
- `.assetsignore`: the widget build's own manifest is not a public asset, nor are the build's
  precompressed `.br`/`.gz` siblings (Cloudflare compresses on its own).

Caching: the loader and the two pages (`frame.html`, `console.html`) change with every deploy,
so caches keep them five minutes; everything they load lives under `v/<fingerprint>/`, named by
its bytes, so it is cached for good (`immutable`). Every response also carries an ETag, so a
revalidation costs a 304.

`python -m helpway.edge.cloudflare.assets [BUILD_DIR]` writes them (wrangler's `[build]`
command runs it after building the widget).
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..local.widget_build import WIDGET_BUILD_DIR

CORS = "Access-Control-Allow-Origin: *"
SHORT = "Cache-Control: public, max-age=300"
IMMUTABLE = "Cache-Control: public, max-age=31536000, immutable"
# The build's folder of fingerprinted files.
IMMUTABLE_DIRS = {"v"}
BUILD_MANIFEST = ".helpway-build.json"


def _rule(path: str, *headers: str) -> str:
    return "\n".join([path, *(f"  {header}" for header in headers)])


def headers(build_dir: Path) -> str:
    rules = [
        "# Written by helpway.edge.cloudflare.assets: see its docstring.",
        _rule("/widget.js", CORS, SHORT),
        _rule("/console", "Cache-Control: no-cache"),
    ]
    for entry in sorted(build_dir.iterdir()):
        if entry.name.startswith((".", "_")):
            continue
        if entry.is_dir():
            cache = IMMUTABLE if entry.name in IMMUTABLE_DIRS else SHORT
            rules.append(_rule(f"/w/{entry.name}/*", CORS, cache))
        else:
            rules.append(_rule(f"/w/{entry.name}", CORS, SHORT))
    return "\n".join(rules) + "\n"


REDIRECTS = "# Written by helpway.edge.cloudflare.assets.\n/w/*  /:splat  200\n"
ASSETS_IGNORE = f"{BUILD_MANIFEST}\n*.br\n*.gz\n"


def write_rules(build_dir: Path) -> None:
    """Write `_headers`, `_redirects` and `.assetsignore` into a built widget folder."""
    if not (build_dir / "widget.js").is_file():
        raise FileNotFoundError(f"{build_dir} holds no widget build: run `helpway build-widget`")
    contents = {
        "_headers": headers(build_dir),
        "_redirects": REDIRECTS,
        ".assetsignore": ASSETS_IGNORE,
    }
    for name, text in contents.items():
        path = build_dir / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")


def main(argv: list[str]) -> int:
    build_dir = Path(argv[1]) if len(argv) > 1 else WIDGET_BUILD_DIR
    try:
        write_rules(build_dir)
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"asset rules written in {build_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
