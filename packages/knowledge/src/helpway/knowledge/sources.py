"""Which files of a folder are documents, and the URL each is published at.

Help folders often hold the same page twice — `foo.html` as a symlink or copy of `foo.en.html`
for content negotiation, as in the Debian FAQ — and ingesting both would return every answer
twice under two URLs. So a file is read once per real path and once per content, keeping the
real file over a symlink and the more specific name (`foo.en.html`) over the shorter one.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from .documents import Format
from .parsing import format_for_path


@dataclass(frozen=True)
class SourceFile:
    path: Path | None  # None for a page fetched from its URL
    relative: PurePosixPath  # to the ingested folder; the file name for a single file
    format: Format
    content: bytes


def _preference(path: Path, relative: PurePosixPath) -> tuple[bool, int, str]:
    """Sort key: real files first, then more suffixes (`foo.en.html`), then name."""
    return (path.is_symlink(), -len(relative.suffixes), str(relative))


def discover(root: Path) -> list[SourceFile]:
    """The documents under `root` (a file or a folder), without duplicates, in path order.

    Hidden files and folders are skipped, and so is anything that is not Markdown, HTML or text.
    """
    if not root.exists():
        raise FileNotFoundError(f"no such file or folder: {root}")
    if root.is_file():
        fmt = format_for_path(root)
        if fmt is None:
            raise ValueError(f"{root} is not a Markdown, HTML or text file")
        return [SourceFile(root, PurePosixPath(root.name), fmt, root.read_bytes())]
    candidates: list[tuple[Path, PurePosixPath, Format]] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = Path(folder) / name
            fmt = format_for_path(path)
            if name.startswith(".") or fmt is None or not path.is_file():
                continue
            candidates.append((path, PurePosixPath(path.relative_to(root).as_posix()), fmt))
    candidates.sort(key=lambda c: _preference(c[0], c[1]))
    seen_paths: set[Path] = set()
    seen_contents: set[str] = set()
    kept: list[SourceFile] = []
    for path, relative, fmt in candidates:
        real = path.resolve()
        if real in seen_paths:
            continue
        seen_paths.add(real)
        content = path.read_bytes()
        digest = hashlib.sha256(content).hexdigest()
        if digest in seen_contents:
            continue
        seen_contents.add(digest)
        kept.append(SourceFile(path, relative, fmt, content))
    return sorted(kept, key=lambda f: str(f.relative))


def document_url(relative: PurePosixPath, fmt: Format, base_url: str | None = None) -> str:
    """`base_url` + the path relative to the ingested folder.

    Markdown is published rendered, so its URL drops the `.md` suffix (`/help/billing`);
    HTML and text keep their file names (`pkg-basics.en.html`).
    """
    path = relative.with_suffix("") if fmt == "markdown" else relative
    url = quote(path.as_posix(), safe="/")
    if base_url:
        return base_url.rstrip("/") + "/" + url
    return url
