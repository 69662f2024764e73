"""Summaries of real User-Agent headers for the console's context panel."""

from __future__ import annotations

import pytest

from helpway.edge.user_agents import summarise

CHROME_WIN = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


@pytest.mark.parametrize(
    ("header", "summary"),
    [
        (CHROME_WIN, "Chrome 131 on Windows"),
        (CHROME_WIN + " Edg/131.0.2903.86", "Edge 131 on Windows"),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari 17 on iPhone",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/131.0.6778.81 Mobile Safari/537.36",
            "Chrome 131 on Android",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
            "Firefox 128 on Linux",
        ),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5)", "macOS"),
        ("curl/8.5.0", None),
        ("", None),
        (None, None),
    ],
)
def test_summary(header: str | None, summary: str | None) -> None:
    assert summarise(header) == summary
