"""A User-Agent header in the few words an agent wants: which browser, which version, on what.

Pure, and deliberately rough: agents need "Safari 17 on iPhone" to picture what the visitor
sees, not a device database. Order matters, because browsers claim each other's names: Edge
and Opera say "Chrome", Chrome says "Safari", so the more specific tokens are tried first.
"""

from __future__ import annotations

import re

# (token in the header, the name shown); the first token found wins.
_BROWSERS = (
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Version/", "Safari"),  # Safari puts its own version after "Version/"
)
# (pattern, the system shown); the first that matches wins.
_SYSTEMS = (
    (re.compile(r"iPhone"), "iPhone"),
    (re.compile(r"iPad"), "iPad"),
    (re.compile(r"Android"), "Android"),
    (re.compile(r"Windows"), "Windows"),
    (re.compile(r"CrOS"), "ChromeOS"),
    (re.compile(r"Mac OS X|Macintosh"), "macOS"),
    (re.compile(r"Linux"), "Linux"),
)
_VERSION = re.compile(r"(\d+)")


def summarise(user_agent: str | None) -> str | None:
    """The summary ("Firefox 128 on Linux", "Chrome on Android", "Windows"); None when the
    header says nothing we know."""
    if not user_agent:
        return None
    browser = ""
    for token, name in _BROWSERS:
        at = user_agent.find(token)
        if at >= 0:
            version = _VERSION.match(user_agent, at + len(token))
            browser = f"{name} {version.group(1)}" if version else name
            break
    system = next((name for pattern, name in _SYSTEMS if pattern.search(user_agent)), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or None
