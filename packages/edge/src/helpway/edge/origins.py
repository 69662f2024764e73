"""Which page origins may use a site's widget.

An allowed entry is an origin (`https://shop.example`); one without a port matches every port of
that scheme and host, so `http://localhost` covers any local dev server. `*` allows all, and so
does an empty list: a site that has not named its origins yet is not locked down (the CLI says
so when it creates one). Requests without an `Origin` header (the CLI, curl, server-to-server)
are not browsers running a foreign page, and pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection


def caller_allowed(connection: HTTPConnection, allowed: Iterable[str]) -> bool:
    """May this request, made for a visitor of a site with `allowed` origins, proceed? The
    widget runs in a frame the edge serves, so its own calls carry the edge's origin (the page
    that framed it was checked when its session started); any other page origin must be one
    of the site's. For WebSocket upgrades the browser sends `Origin` too, and http(s) is what
    it names, so the edge's own origin is computed with the matching scheme."""
    origin = connection.headers.get("origin")
    if origin is not None and origin == _http_origin(connection):
        return True
    return origin_allowed(origin, allowed)


def _http_origin(connection: HTTPConnection) -> str:
    scheme = {"ws": "http", "wss": "https"}.get(connection.url.scheme, connection.url.scheme)
    return f"{scheme}://{connection.url.netloc}"


def origin_allowed(origin: str | None, allowed: Iterable[str]) -> bool:
    allowed = list(allowed)
    if origin is None or not allowed:
        return True
    try:
        asked = urlsplit(origin)
        asked_port = asked.port
    except ValueError:
        return False
    for entry in allowed:
        if entry == "*":
            return True
        want = urlsplit(entry.rstrip("/"))
        if (want.scheme, want.hostname) != (asked.scheme, asked.hostname):
            continue
        if want.port is None or want.port == asked_port:
            return True
    return False
