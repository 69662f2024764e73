"""Manifests: a file listing what a site's KB is made of, so one command ingests it all.

A help centre is often not one folder: a few folders, single pages from elsewhere, each
published at its own URL. A manifest lists them; ingesting it again after an entry is removed
deletes that entry's documents, as a folder does for a removed file.

Two forms, by suffix:

- `.json`: `{"base_url": "...", "documents": [entry, ...]}` or just the list, where an entry
  is a path or `{"path": "...", "url": "...", "title": "..."}`.
- anything else, text: one entry per line, `path` or `path URL`; blank lines and lines
  starting with `#` are skipped.

Paths are local — relative to the manifest's folder, or absolute. Nothing is fetched: an entry
that is a URL (`https://...`) is refused. An entry's `url` is where the file is published, or,
for a folder, the base URL of its documents; without one the ingest's base URL applies.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


@dataclass(frozen=True)
class ManifestEntry:
    path: Path  # resolved against the manifest's folder
    url: str | None = None  # the file's URL, or a folder's base URL
    title: str | None = None  # a single file's title, over the one found inside it


@dataclass(frozen=True)
class Manifest:
    path: Path
    entries: tuple[ManifestEntry, ...]
    base_url: str | None = None


class ManifestError(ValueError):
    """The manifest cannot be read: nothing of it is ingested."""


def _looks_like_url(text: str) -> bool:
    return bool(_SCHEME.match(text)) or text.startswith("/")


def _entry(folder: Path, path: Any, url: Any, title: Any, where: str) -> ManifestEntry:
    if not isinstance(path, str) or not path.strip():
        raise ManifestError(f"{where}: an entry needs a path")
    if _SCHEME.match(path):
        raise ManifestError(f"{where}: {path!r} is a URL; list local files (nothing is fetched)")
    for name, value in (("url", url), ("title", title)):
        if value is not None and not isinstance(value, str):
            raise ManifestError(f"{where}: {name} must be a string")
    return ManifestEntry(folder / Path(path.strip()).expanduser(), url or None, title or None)


def _from_json(path: Path, text: str) -> Manifest:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ManifestError(f"{path}: not valid JSON: {exc}") from None
    base_url = None
    if isinstance(data, dict):
        base_url = data.get("base_url")
        if base_url is not None and not isinstance(base_url, str):
            raise ManifestError(f"{path}: base_url must be a string")
        data = data.get("documents")
    if not isinstance(data, list):
        raise ManifestError(f"{path}: expected a list of documents")
    entries = []
    for n, item in enumerate(data, start=1):
        where = f"{path} entry {n}"
        if isinstance(item, dict):
            unknown = set(item) - {"path", "url", "title"}
            if unknown:
                raise ManifestError(f"{where}: unknown field(s) {sorted(unknown)}")
            entry = _entry(path.parent, item.get("path"), item.get("url"), item.get("title"), where)
        else:
            entry = _entry(path.parent, item, None, None, where)
        entries.append(entry)
    return Manifest(path, tuple(entries), base_url or None)


def _from_lines(path: Path, text: str) -> Manifest:
    entries = []
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.rsplit(maxsplit=1)
        if len(parts) == 2 and _looks_like_url(parts[1]) and not _SCHEME.match(parts[0]):
            file, url = parts
        else:
            file, url = line, None
        entries.append(_entry(path.parent, file, url, None, f"{path} line {n}"))
    return Manifest(path, tuple(entries))


def read_manifest(path: Path) -> Manifest:
    """The manifest at `path`; `ManifestError` if it is malformed or lists a URL to fetch."""
    path = path.resolve()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"cannot read the manifest {path}: {exc}") from None
    manifest = _from_json(path, text) if path.suffix.lower() == ".json" else _from_lines(path, text)
    if not manifest.entries:
        raise ManifestError(f"{path} lists no documents")
    return manifest
