"""Which files of a folder are documents, and the URL each is published at.

Help folders often hold the same page twice — `foo.html` as a symlink or copy of `foo.en.html`
for content negotiation, as in the Debian FAQ — and ingesting both would return every answer
twice under two URLs. So a file is read once per real path and once per content, keeping the
real file over a symlink and the more specific name (`foo.en.html`) over the shorter one.

A help page is UTF-8 text of reasonable size. A file that is not — a binary renamed `.md`, a dump
of many megabytes — would only cost minutes of parsing and embedding to answer nothing, so
`document_text` refuses it, and it becomes that document's failure while the rest ingests.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from helpway.shared import limits

from .documents import Format
from .parsing import format_for_path

# The largest document ingested, files and fetched pages alike: the API's cap, so a file
# ingests from the CLI exactly when it could be sent to the API.
MAX_DOCUMENT_BYTES = limits.MAX_DOCUMENT_BYTES


@dataclass(frozen=True)
class SourceFile:
    path: Path | None  # None for a page fetched from its URL
    relative: PurePosixPath  # to the ingested folder; the file name for a single file
    format: Format
    content: bytes  # at most MAX_DOCUMENT_BYTES + 1: enough to tell a document is too large


class NotADocumentError(ValueError):
    """The file is too large, is not UTF-8 text, or is not Markdown, HTML or text at all."""


def read_document(path: Path) -> bytes:
    """The file's bytes, stopping one past the limit so a huge file is never read whole."""
    with path.open("rb") as file:
        return file.read(MAX_DOCUMENT_BYTES + 1)


def document_text(file: SourceFile) -> str:
    """The file's text, checked before anything parses it.

    Text means valid UTF-8 (help pages are, and a legacy encoding would be silently garbled)
    without NUL bytes (valid UTF-8, but only ever found in binary files).
    """
    name = file.relative.as_posix()
    if len(file.content) > MAX_DOCUMENT_BYTES:
        raise NotADocumentError(f"{name} is larger than {MAX_DOCUMENT_BYTES} bytes")
    try:
        text = file.content.decode("utf-8")
    except UnicodeDecodeError:
        raise NotADocumentError(f"{name} is not a text document (not valid UTF-8)") from None
    if "\0" in text:
        raise NotADocumentError(f"{name} is not a text document (it holds NUL bytes)")
    return text


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
            raise NotADocumentError(f"{root.name} is not a Markdown, HTML or text file")
        return [SourceFile(root, PurePosixPath(root.name), fmt, read_document(root))]
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
        content = read_document(path)
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
