"""Which page origins may use a site's widget."""

from __future__ import annotations

import pytest

from helpway.edge.origins import origin_allowed

DEMO = ("http://localhost", "http://127.0.0.1", "https://shop.example:8443")


@pytest.mark.parametrize(
    ("origin", "allowed", "expected"),
    [
        (None, DEMO, True),  # not a browser page: the CLI, curl
        ("http://localhost:5173", DEMO, True),  # no port listed: any port
        ("http://127.0.0.1:8787", DEMO, True),
        ("https://localhost", DEMO, False),  # another scheme
        ("http://localhost.evil.example", DEMO, False),
        ("https://shop.example:8443", DEMO, True),
        ("https://shop.example", DEMO, False),  # a port listed: only that port
        ("https://evil.example", ("*",), True),
        ("https://evil.example", (), True),  # a site without origins is not locked down
        ("null", DEMO, False),  # sandboxed iframes and file:// pages
        ("http://localhost:99999", DEMO, False),  # malformed port
    ],
)
def test_origin_allowed(origin: str | None, allowed: tuple[str, ...], expected: bool) -> None:
    assert origin_allowed(origin, allowed) is expected
