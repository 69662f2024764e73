"""Documents ingested from local folders, served at `/kb/<site_id>/<path>` so their citations
are working links.

`helpway kb ingest` without `--base-url` publishes a folder's documents under `kb_base_url(site)`;
this route maps such a URL back to its file. Only what the KB holds is served: the URL must be a
document of that site (or an asset beside one, below), and the file must still lie inside the
folder or file it was ingested from once links are resolved, so no request reaches any other
file. HTML and text are served as they are, Markdown rendered with the heading ids that ingest
cites.

Stylesheets and images inside a source folder of the site's `/kb/` documents are served too, so
a help page looks as its authors meant (the Debian FAQ links `debian.css` and `images/*.png`);
nothing else is, hidden files included.

Every response carries `Content-Security-Policy: sandbox`: these pages come from the site
owner's folder and share the edge's origin, where the console keeps the agent's token; sandboxed,
their scripts run in an opaque origin that cannot read it.
"""

from __future__ import annotations

import html
from pathlib import Path, PurePosixPath
from string import Template
from typing import cast
from urllib.parse import quote, unquote

import anyio
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from helpway.knowledge.documents import Format
from helpway.knowledge.markdown_sections import render_markdown
from helpway.knowledge.parsing import format_for_path
from helpway.knowledge.sources import document_url
from helpway.shared import errors
from helpway.store import kb

from ..errors import ApiError
from ..services import services

PREFIX = "/kb/"
PAGE = Template(Path(__file__).with_name("kb_page.html").read_text(encoding="utf-8"))
DOCUMENT_TYPES: dict[str, str] = {
    "html": "text/html; charset=utf-8",
    "text": "text/plain; charset=utf-8",
}
ASSET_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
}
HEADERS = {
    "content-security-policy": "sandbox allow-scripts allow-popups",
    "x-content-type-options": "nosniff",
    "cache-control": "no-cache",
}


def kb_base_url(site_id: str) -> str:
    """Where the local edge publishes the documents of `site_id` ingested without a base URL."""
    return f"{PREFIX}{quote(site_id, safe='')}/"


def _plain(path: str) -> PurePosixPath | None:
    """`path` as a relative path that only goes down through visible names, else None."""
    parts = path.split("/")
    if "\0" in path or any(not part or part.startswith(".") for part in parts):
        return None
    return PurePosixPath(*parts)


def _inside(root: Path, relative: PurePosixPath) -> Path | None:
    """The file `root/relative` if, with every link resolved, it is a file inside `root`."""
    try:
        real = (root / relative).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    return real if real.is_relative_to(root.resolve()) and real.is_file() else None


def _document_file(source: Path, url_path: str, fmt: Format) -> Path | None:
    """The file ingested from `source` that `document_url` published at `url_path` (the URL
    after its base). Markdown URLs drop the suffix, so those are found by listing the folder;
    every candidate must map back to exactly `url_path`. A file ingested on its own is served
    only as itself (ingest recorded its real path)."""
    if source.is_file():
        published = document_url(PurePosixPath(source.name), fmt) == url_path
        return source if published and not source.is_symlink() else None
    relative = _plain(unquote(url_path))
    if relative is None:
        return None
    names = [relative.name]
    if fmt == "markdown":
        try:
            listed = (source / relative.parent).iterdir()
            names = sorted(p.name for p in listed if p.name.startswith(relative.name + "."))
        except OSError:
            return None
    for name in names:
        candidate = relative.parent / name
        if format_for_path(candidate) == fmt and document_url(candidate, fmt) == url_path:
            found = _inside(source, candidate)
            if found is not None:
                return found
    return None


def _asset_file(sources: list[Path], url_path: str) -> Path | None:
    relative = _plain(unquote(url_path))
    if relative is None or relative.suffix.lower() not in ASSET_TYPES:
        return None
    for source in sources:
        found = _inside(source, relative)
        if found is not None:
            return found
    return None


def _markdown_page(title: str, markdown: str) -> str:
    return PAGE.substitute(title=html.escape(title), body=render_markdown(markdown))


async def _document(request: Request, site_id: str, url_path: str) -> Response | None:
    db = services(request).db
    document = await kb.get_document(db, site_id, kb_base_url(site_id) + url_path)
    if document is None or document.source is None:
        return None
    fmt = cast(Format, document.format)  # the table's CHECK constraint holds it to these
    file = await anyio.to_thread.run_sync(_document_file, Path(document.source), url_path, fmt)
    if file is None:
        return None
    if fmt == "markdown":
        markdown = await anyio.Path(file).read_text(encoding="utf-8", errors="replace")
        return HTMLResponse(_markdown_page(document.title, markdown), headers=HEADERS)
    return FileResponse(file, media_type=DOCUMENT_TYPES[fmt], headers=HEADERS)


async def _asset(request: Request, site_id: str, url_path: str) -> Response | None:
    """A stylesheet or image from the folders the site's `/kb/` documents came from (read from
    the KB rows on each request: a local help centre has a few folders, and none go stale)."""
    base = kb_base_url(site_id)
    documents = await kb.list_documents(services(request).db, site_id)
    sources = sorted({d.source for d in documents if d.source and d.url.startswith(base)})
    folders = [Path(s) for s in sources]
    file = await anyio.to_thread.run_sync(_asset_file, folders, url_path)
    if file is None:
        return None
    return FileResponse(file, media_type=ASSET_TYPES[file.suffix.lower()], headers=HEADERS)


async def kb_file(request: Request) -> Response:
    site_id: str = request.path_params["site_id"]
    url_path = quote(request.path_params["path"], safe="/")
    response = await _document(request, site_id, url_path)
    if response is None:
        response = await _asset(request, site_id, url_path)
    if response is None:
        raise ApiError(errors.NOT_FOUND, "no such document")
    return response


ROUTES: list[BaseRoute] = [
    Route(PREFIX + "{site_id}/{path:path}", kb_file, methods=["GET", "HEAD"])
]
