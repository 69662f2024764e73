"""Helpway's widget and agent console: the loader, the Python apps and their asset build.

`build(out_dir)` writes everything the edge serves under `/widget.js`, `/console` and `/w/`.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["build"]


def build(out_dir: Path) -> None:
    """The build (`bundle.build`), imported only when called: the edge imports the pure app
    modules (`app.i18n`, `app.launcher`) on the Worker too, where the build's own dependencies
    (brotli, node_modules) are not."""
    from .bundle import build as build_assets

    build_assets(out_dir)
