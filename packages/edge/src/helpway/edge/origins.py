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
