"""Where a citation link may point.

Citations come from ingested documents, so their URLs are data, not trusted markup: only web
and mail links become links. Relative URLs name the help pages the edge serves, so they resolve
against the edge's origin, not the page the widget happens to be on.
"""

_SCHEMES = ("https://", "http://", "mailto:")


def citation_href(url: str, origin: str) -> str | None:
    """The href for a citation `url`, or None to show its title as plain text.

    `origin` is the edge's origin, e.g. "https://chat.example.com" (no trailing slash).
    """
    lower = url.lower()
    for scheme in _SCHEMES:
        if lower.startswith(scheme):
            return url
    if url.startswith("//"):
        return origin.split(":")[0] + ":" + url
    # Anything else naming a scheme (javascript:, data:, a space or tab before one, ...) is
    # refused: browsers strip such characters and would still run it.
    head = url
    for stop in "/?#":
        cut = head.find(stop)
        if cut >= 0:
            head = head[:cut]
    if ":" in head:
        return None
    if url.startswith("/"):
        return origin + url
    return origin + "/" + url
