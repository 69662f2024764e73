"""Where the widget build lives, and building it through the widget package."""

from __future__ import annotations

from pathlib import Path

import anyio

from .settings import REPO_ROOT

WIDGET_BUILD_DIR = REPO_ROOT / "packages" / "widget" / "build"


class BuiltLoader:
    """The loader template (`services.LoaderTemplate`) from a widget build on disk, read on
    each request, so a rebuild shows at once."""

    def __init__(self, widget_dir: Path) -> None:
        self.path = widget_dir / "widget.js"

    async def template(self) -> str | None:
        try:
            return await anyio.Path(self.path).read_text("utf-8")
        except FileNotFoundError:
            return None


class WidgetUnavailable(RuntimeError):
    """The installed widget package cannot build (yet)."""


def build(out: Path | None = None) -> Path:
    target = (out or WIDGET_BUILD_DIR).resolve()
    try:
        from helpway.widget import build as build_widget
        from helpway.widget.runtime import RuntimeMissing
    except ImportError as exc:
        raise WidgetUnavailable(
            f"helpway.widget has no build() to call ({exc}); the widget package is not ready"
        ) from None
    try:
        build_widget(target)
    except RuntimeMissing as exc:
        raise WidgetUnavailable(str(exc)) from None
    return target


def sources() -> tuple[Path, ...]:
    """The folders a widget build reads: the widget package and the shared codec."""
    from helpway.widget import bundle

    return (bundle.PACKAGE, bundle.CODEC_DIR)
