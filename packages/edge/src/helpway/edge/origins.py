"""Which page origins may use a site's widget.

An allowed entry is an origin (`https://shop.example`); one without a port matches every port of
that scheme and host, so `http://localhost` covers any local dev server. `*` allows all, and so
does an empty list: a site that has not named its origins yet is not locked down (the CLI says
so when it creates one). Requests without an `Origin` header (the CLI, curl, server-to-server)
are not browsers running a foreign page, and pass. The widget runs in a frame the edge
serves, so its own calls (and its sockets: browsers send `Origin` on upgrades too) carry the
edge's origin, which `page_origin` lets through (the page that framed it was checked when its
session started); any other page origin must be one of the site's.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit


def http_origin(url: str) -> str:
    """The http(s) origin of a request URL (ws → http, wss → https)."""
    parts = urlsplit(url)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    return f"{scheme}://{parts.netloc}"


def page_origin(origin: str | None, own_origin: str) -> str | None:
    """The page origin still to check: None for a request without `Origin` or from the edge's
    own origin (the widget frame, the console)."""
    return None if origin is None or origin == own_origin else origin


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
