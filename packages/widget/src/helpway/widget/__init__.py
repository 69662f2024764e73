"""Helpway's widget and agent console: the loader, the Python apps and their asset build.

`build(out_dir)` writes everything the edge serves under `/widget.js`, `/console` and `/w/`.
"""

from .bundle import build

__all__ = ["build"]
