"""Fetching the published help pages a manifest lists by URL.

Many help centres exist only as a website: the site owner can list its pages instead of
exporting files. A page is fetched as a browser would (redirects followed, a few seconds at
most), read as HTML, Markdown or text by its Content-Type (else its URL's suffix), and cited at
the URL it was listed under. An error status or another kind of file is that entry's failure,
reported like a file that cannot be read; a page too large or not UTF-8 text fails the same
check as a file (`sources.document_text`), so its download stops one byte past the limit.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from urllib.parse import urlsplit

import httpx

from .documents import Format
from .parsing import format_for_path
from .sources import MAX_DOCUMENT_BYTES, SourceFile

TIMEOUT_SECONDS = 15.0
MAX_REDIRECTS = 5
USER_AGENT = "Helpway-KB-ingest/1 (+https://github.com/helpway)"

_MEDIA_FORMATS: dict[str, Format] = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
    "text/plain": "text",
}


class FetchError(ValueError):
    """The page could not be fetched or is not a document we read."""


def _format(url: str, content_type: str) -> Format:
    media = content_type.split(";", 1)[0].strip().lower()
    by_type = _MEDIA_FORMATS.get(media)
    by_name = format_for_path(PurePosixPath(urlsplit(url).path or "/"))
    # Servers send Markdown and text files as text/plain: the suffix tells them apart.
    if by_type == "text" and by_name is not None:
        return by_name
    if by_type is not None:
        return by_type
    raise FetchError(f"{url} is {media or 'of no declared type'}, not HTML, Markdown or text")


def _client() -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(TIMEOUT_SECONDS),
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        headers={"User-Agent": USER_AGENT, "Accept": "text/html, text/markdown, text/plain"},
    )


async def fetch_page(url: str, client: httpx.AsyncClient | None = None) -> SourceFile:
    """The page at `url` as a document to ingest; `FetchError` says why it is not one."""
    own = client is None
    http = client or _client()
    try:
        async with http.stream("GET", url) as response:
            if response.status_code != 200:
                raise FetchError(f"{url} answered {response.status_code}")
            fmt = _format(str(response.url), response.headers.get("content-type", ""))
            body = bytearray()
            async for piece in response.aiter_bytes():
                body += piece
                if len(body) > MAX_DOCUMENT_BYTES:
                    del body[MAX_DOCUMENT_BYTES + 1 :]
                    break
    except httpx.HTTPError as exc:
        raise FetchError(f"cannot fetch {url}: {exc}") from None
    finally:
        if own:
            await http.aclose()
    name = PurePosixPath(urlsplit(url).path).name or "index"
    return SourceFile(path=None, relative=PurePosixPath(name), format=fmt, content=bytes(body))
