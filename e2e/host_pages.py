"""A host site of the widget's for e2e tests: pages on their own loopback origin (`localhost`,
while the edge is `127.0.0.1`), each with the headers a test gives it (a strict CSP, say), and
axe-core from node_modules at `/axe.js` (never a CDN)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


def widget_tag(edge_url: str) -> str:
    """The one tag a site owner pastes for the demo site's widget (the console's snippet)."""
    return f'<script src="{edge_url}/widget/demo.js" async></script>'


def widget_page(edge_url: str, title: str, body: str) -> str:
    """A host page holding `body` and, last, the demo site's widget tag."""
    return f'<!doctype html><html lang="en"><title>{title}</title>{body}{widget_tag(edge_url)}'


@dataclass
class HostSite:
    url: str = ""
    # path → (body, extra headers); a path may be served for several (an SPA's routes).
    pages: dict[str, tuple[bytes, dict[str, str]]] = field(default_factory=dict)

    def page(self, path: str, body: str, **headers: str) -> str:
        self.pages[path] = (body.encode(), {k.replace("_", "-"): v for k, v in headers.items()})
        return self.url + path


@contextmanager
def host_site() -> Iterator[HostSite]:
    site = HostSite()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/axe.js":
                found: tuple[bytes, dict[str, str]] | None = (AXE.read_bytes(), {})
            else:
                found = site.pages.get(path)
            if found is None:
                self.send_error(404)
                return
            body, headers = found
            kind = TYPES.get(Path(path).suffix, TYPES[".html"])
            self.send_response(200)
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(body)))
            self.send_header("cache-control", "no-store")
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    site.url = f"http://localhost:{server.server_address[1]}"
    try:
        yield site
    finally:
        server.shutdown()
        thread.join()
