"""Manifests: a file listing what a site's KB is made of, so one command ingests it all.

A help centre is often not one folder: a few folders, single pages from elsewhere, each
published at its own URL. A manifest lists them; ingesting it again after an entry is removed
deletes that entry's documents, as a folder does for a removed file.

Two forms, by suffix:

- `.json`: `{"base_url": "...", "documents": [entry, ...]}` or just the list, where an entry
  is a path, a page's URL, `{"path": "...", "url": "...", "title": "..."}` or
  `{"url": "https://...", "title": "..."}`.
- anything else, text: one entry per line, `path`, `path URL` or a page's `URL`; blank lines
  and lines starting with `#` are skipped.

Paths are local — relative to the manifest's folder, or absolute. An entry's `url` is where the
file is published, or, for a folder, the base URL of its documents; without one the ingest's
base URL applies. An entry that is only an `http(s)://` URL is a published page: it is fetched
and cited at that URL (see `fetching`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_WEB = re.compile(r"^https?://[^/\s]+(/\S*)?$", re.IGNORECASE)


@dataclass(frozen=True)
class ManifestEntry:
    path: Path | None  # resolved against the manifest's folder; None for a page to fetch
    url: str | None = None  # the file's URL, a folder's base URL, or the page to fetch
    title: str | None = None  # a single file's title, over the one found inside it

    @property
    def page(self) -> str | None:
        """The URL to fetch, for an entry that is a published page rather than a local path."""
        return self.url if self.path is None else None


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
    for name, value in (("path", path), ("url", url), ("title", title)):
        if value is not None and not isinstance(value, str):
            raise ManifestError(f"{where}: {name} must be a string")
    if path is not None and _SCHEME.match(path.strip()) and url is None:
        path, url = None, path.strip()  # a bare URL: the page itself
    if path is None or not path.strip():
        if url is None or path is not None:
            raise ManifestError(f"{where}: an entry needs a path or a page's URL")
        if not _WEB.match(url):
            raise ManifestError(f"{where}: {url!r} is not an http(s) URL to fetch")
        return ManifestEntry(None, url.split("#", 1)[0], title or None)
    if _SCHEME.match(path):
        raise ManifestError(f"{where}: {path!r} is a URL; give it alone, not with a url")
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
