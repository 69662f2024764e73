"""How the real edge serves the widget: the loader and the frame revalidated on every load,
fingerprinted files cached for good, and the build's precompressed copies chosen by
`Accept-Encoding`."""

from __future__ import annotations

import gzip
import re

import brotli
import httpx
from edge_process import Edge

IMMUTABLE = "public, max-age=31536000, immutable"


def _fingerprinted(edge: Edge) -> list[str]:
    frame = httpx.get(edge.url + "/w/frame.html", headers={"accept-encoding": "identity"})
    assert frame.status_code == 200
    # The files frame.js preloads are named in its runtimes plan (JSON), the packed modules in
    # the PyScript config (an attribute, quotes escaped).
    paths = re.findall(r'"(/w/v/[^"]+)"', frame.text)
    return sorted({*paths, *re.findall(r"&quot;(/w/v/[^&]+)&quot;", frame.text)})


def test_pages_revalidate_and_fingerprinted_files_are_immutable(edge: Edge) -> None:
    for path in ("/widget.js", "/w/frame.html"):
        page = httpx.get(edge.url + path)
        assert page.status_code == 200
        assert page.headers["cache-control"] == "no-cache"
        assert page.headers["etag"]
    paths = _fingerprinted(edge)
    assert any(path.endswith("/core.js") for path in paths)
    assert any(path.endswith("/widget_modules.bin") for path in paths)
    for path in paths:
        asset = httpx.get(edge.url + path)
        assert asset.status_code == 200, path
        assert asset.headers["cache-control"] == IMMUTABLE


def test_precompressed_copies_follow_accept_encoding(edge: Edge) -> None:
    path = next(path for path in _fingerprinted(edge) if path.endswith("/micropython.mjs"))
    plain = httpx.get(edge.url + path, headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.headers["content-type"].startswith("text/javascript")

    # httpx would decode the body itself: read the bytes as they came.
    with httpx.stream("GET", edge.url + path, headers={"accept-encoding": "gzip, br"}) as br:
        raw = b"".join(br.iter_raw())
        assert br.headers["content-encoding"] == "br"
        assert br.headers["content-type"] == plain.headers["content-type"]
        assert "Accept-Encoding" in br.headers["vary"]
    assert brotli.decompress(raw) == plain.content
    assert len(raw) < len(plain.content) / 2

    with httpx.stream("GET", edge.url + path, headers={"accept-encoding": "gzip"}) as gz:
        raw = b"".join(gz.iter_raw())
        assert gz.headers["content-encoding"] == "gzip"
    assert gzip.decompress(raw) == plain.content

    refused = httpx.get(edge.url + path, headers={"accept-encoding": "br;q=0, gzip;q=0"})
    assert "content-encoding" not in refused.headers
    assert refused.content == plain.content
