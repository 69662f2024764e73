"""Manifests and per-document status: real files, real SQLite, the real model."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from helpway.knowledge.knowledge_base import KnowledgeBase
from helpway.knowledge.manifest import ManifestError, read_manifest
from helpway.knowledge.sources import MAX_DOCUMENT_BYTES

BILLING = "# Billing\n\n## Payment methods\n\nWe accept Visa, Mastercard and PayPal.\n"
SYNC = "# Sync\n\n## Offline\n\nNotes made offline sync when you reconnect.\n"
FAQ_TEXT = "Shipping FAQ\n\n1.1. How long does delivery take?\n\n    Three to five working days.\n"


def help_tree(root: Path) -> Path:
    (root / "guides").mkdir(parents=True)
    (root / "guides" / "billing.md").write_text(BILLING)
    (root / "guides" / "sync.md").write_text(SYNC)
    (root / "shipping.txt").write_text(FAQ_TEXT)
    return root


def test_text_and_json_manifests_read_the_same_entries(tmp_path: Path) -> None:
    text = tmp_path / "kb.manifest"
    text.write_text(
        "# our help centre\n\nguides\nshipping.txt https://example.com/shipping\n"
        "/srv/help/extra.md\n"
    )
    listed = tmp_path / "kb.json"
    listed.write_text(
        json.dumps(
            {
                "base_url": "/help/",
                "documents": [
                    "guides",
                    {"path": "shipping.txt", "url": "https://example.com/shipping"},
                    {"path": "/srv/help/extra.md", "title": "Extra"},
                ],
            }
        )
    )
    from_text, from_json = read_manifest(text), read_manifest(listed)
    assert [(e.path, e.url) for e in from_text.entries] == [
        (tmp_path / "guides", None),
        (tmp_path / "shipping.txt", "https://example.com/shipping"),
        (Path("/srv/help/extra.md"), None),
    ]
    assert [(e.path, e.url) for e in from_json.entries] == [
        (e.path, e.url) for e in from_text.entries
    ]
    assert (from_json.base_url, from_json.entries[2].title) == ("/help/", "Extra")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("urls.txt", "ftp://example.com/faq.html\n", "not an http\\(s\\) URL"),
        ("urls.json", '["file:///etc/passwd"]', "not an http\\(s\\) URL"),
        ("both.json", '[{"path": "https://a.example/x", "url": "/x"}]', "give it alone"),
        ("none.json", '[{"title": "T"}]', "needs a path or a page"),
        ("bad.json", "{", "not valid JSON"),
        ("odd.json", '[{"path": "a.md", "href": "x"}]', "unknown field"),
        ("empty.txt", "# nothing\n", "lists no documents"),
    ],
)
def test_bad_manifests_are_refused_whole(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    (tmp_path / name).write_text(content)
    with pytest.raises(ManifestError, match=message):
        read_manifest(tmp_path / name)


async def test_manifest_ingest_then_an_entry_removed(kb: KnowledgeBase, tmp_path: Path) -> None:
    root = help_tree(tmp_path / "help")
    manifest = root / "kb.manifest"
    manifest.write_text("guides\nshipping.txt /pages/shipping\n")
    report = await kb.ingest_manifest("site-a", manifest, base_url="/kb/site-a/")
    assert sorted((d.url, d.status) for d in report.documents) == [
        ("/kb/site-a/billing", "added"),
        ("/kb/site-a/sync", "added"),
        ("/pages/shipping", "added"),
    ]
    hits = await kb.search("site-a", "How many days until my parcel arrives?")
    assert hits[0].url == "/pages/shipping#11-how-long-does-delivery-take"
    assert hits[0].title == "Shipping FAQ"
    documents = await kb.documents("site-a")
    assert {d.source for d in documents} == {str(root / "guides"), str(root / "shipping.txt")}
    assert all(d.status == "indexed" and d.manifest == str(manifest) for d in documents)

    manifest.write_text("guides\n")
    again = await kb.ingest_manifest("site-a", manifest, base_url="/kb/site-a/")
    assert sorted((d.url, d.status) for d in again.documents) == [
        ("/kb/site-a/billing", "unchanged"),
        ("/kb/site-a/sync", "unchanged"),
        ("/pages/shipping", "deleted"),
    ]
    hits = await kb.search("site-a", "How long does delivery take?", k=10)
    assert all(not h.url.startswith("/pages/") for h in hits)


async def test_a_missing_entry_fails_and_prunes_nothing(kb: KnowledgeBase, tmp_path: Path) -> None:
    root = help_tree(tmp_path / "help")
    manifest = root / "kb.manifest"
    manifest.write_text("guides\nshipping.txt\n")
    await kb.ingest_manifest("site-a", manifest)
    (root / "shipping.txt").unlink()
    seen = []
    report = await kb.ingest_manifest("site-a", manifest, progress=seen.append)
    assert [(p.done, p.total) for p in seen] == [(1, 3), (2, 3), (3, 3)]
    failed = [d for d in report.documents if d.status == "failed"]
    assert len(failed) == 1 and "no such file" in (failed[0].error or "")
    assert "shipping.txt" in [d.url for d in await kb.documents("site-a")]  # kept for now


async def test_documents_list_failures_and_keep_the_last_good_version(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    folder = tmp_path / "help"
    folder.mkdir()
    (folder / "ok.md").write_text(BILLING)
    page = folder / "page.html"
    page.write_text(
        "<html><body><h2 id='a'>Refunds</h2><p>Refunds take five days.</p></body></html>"
    )
    await kb.ingest_path("site-a", folder, base_url="/help/")
    page.write_text("<div>" * 5000 + "deep" + "</div>" * 5000)
    report = await kb.ingest_path("site-a", folder, base_url="/help/")
    assert {d.url: d.status for d in report.documents}["/help/page.html"] == "failed"
    listed = {d.url: d for d in await kb.documents("site-a")}
    assert listed["/help/ok"].status == "indexed" and listed["/help/ok"].error is None
    broken = listed["/help/page.html"]
    assert (broken.status, broken.chunk_count) == ("failed", 1)
    assert broken.error
    hits = await kb.search("site-a", "How long do refunds take?")
    assert hits[0].url == "/help/page.html#a"  # the last good version still answers
    with pytest.raises(ValueError):
        await kb.ingest_document("site-a", "/help/new", None, "<div>" * 5000, "html")
    new = {d.url: d for d in await kb.documents("site-a")}["/help/new"]
    assert (new.status, new.chunk_count, new.title) == ("failed", 0, "New")


class HelpSite:
    """A published help centre on loopback: path -> (status, content type, body)."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[int, str, bytes]] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, kind, body = site.pages.get(self.path, (404, "text/plain", b"no"))
                self.send_response(status)
                if status in (301, 302):
                    self.send_header("Location", body.decode())
                    body = b""
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def help_site() -> Iterator[HelpSite]:
    site = HelpSite()
    yield site
    site.close()


REFUNDS_HTML = (
    b'<html lang="en"><head><title>Refunds</title></head><body><h1>Refunds</h1>'
    b'<h2 id="how-long">How long does a refund take?</h2><p>Refunds reach your card within'
    b" five working days.</p></body></html>"
)


async def test_pages_listed_by_url_are_fetched_and_cited_there(
    kb: KnowledgeBase, tmp_path: Path, help_site: HelpSite
) -> None:
    help_site.pages = {
        "/help/refunds": (200, "text/html; charset=utf-8", REFUNDS_HTML),
        "/help/billing.md": (200, "text/plain; charset=utf-8", BILLING.encode()),
        "/old/refunds": (301, "text/html", b"/help/refunds"),
        "/help/logo.png": (200, "image/png", b"\x89PNG"),
    }
    b = help_site.base
    manifest = tmp_path / "kb.json"
    manifest.write_text(
        json.dumps(
            [
                f"{b}/help/refunds",
                {"url": f"{b}/help/billing.md", "title": "Paying us"},
                f"{b}/old/refunds",  # redirected: cited where it was listed
                f"{b}/help/logo.png",
                f"{b}/help/gone",
            ]
        )
    )
    report = await kb.ingest_manifest("site-a", manifest)
    status = {d.url: (d.status, d.error) for d in report.documents}
    assert status[f"{b}/help/refunds"] == ("added", None)
    assert status[f"{b}/help/billing.md"] == ("added", None)
    assert status[f"{b}/old/refunds"] == ("added", None)
    assert "image/png" in (status[f"{b}/help/logo.png"][1] or "")
    assert "answered 404" in (status[f"{b}/help/gone"][1] or "")
    hits = await kb.search("site-a", "When will my refund arrive?")
    assert hits[0].url in {f"{b}/help/refunds#how-long", f"{b}/old/refunds#how-long"}
    paypal = await kb.search("site-a", "Can I pay with PayPal?")
    assert paypal[0].url == f"{b}/help/billing.md#payment-methods"
    assert paypal[0].title == "Paying us"
    documents = {d.url: d for d in await kb.documents("site-a")}
    assert documents[f"{b}/help/refunds"].source == f"{b}/help/refunds"

    # The site fails for a moment: every entry fails and nothing is pruned.
    published, help_site.pages = help_site.pages, {}
    down = await kb.ingest_manifest("site-a", manifest)
    assert {d.status for d in down.documents} == {"failed"}
    assert len(await kb.documents("site-a")) == 3
    # Back, with two pages dropped from the list: they leave the KB, the other is unchanged.
    help_site.pages = published
    manifest.write_text(json.dumps([{"url": f"{b}/help/billing.md", "title": "Paying us"}]))
    again = await kb.ingest_manifest("site-a", manifest)
    assert sorted((d.url, d.status, d.embedded) for d in again.documents) == [
        (f"{b}/help/billing.md", "unchanged", 0),
        (f"{b}/help/refunds", "deleted", 0),
        (f"{b}/old/refunds", "deleted", 0),
    ]


async def test_fetched_pages_that_are_not_text_or_too_large_fail_and_keep_the_last_good_version(
    kb: KnowledgeBase, tmp_path: Path, help_site: HelpSite
) -> None:
    help_site.pages = {"/help/refunds": (200, "text/html", REFUNDS_HTML)}
    b = help_site.base
    manifest = tmp_path / "kb.txt"
    manifest.write_text(f"{b}/help/refunds\n{b}/help/huge.md\n")
    first = await kb.ingest_manifest("site-a", manifest)
    assert {d.url: d.status for d in first.documents}[f"{b}/help/refunds"] == "added"
    help_site.pages = {
        "/help/refunds": (200, "text/html", b"\xff\xfe" + REFUNDS_HTML),
        "/help/huge.md": (200, "text/markdown", b"# Huge\n\n" + b"x" * MAX_DOCUMENT_BYTES),
    }
    again = await kb.ingest_manifest("site-a", manifest)
    assert sorted((d.url, d.status, d.error) for d in again.documents) == [
        (f"{b}/help/huge.md", "failed", f"huge.md is larger than {MAX_DOCUMENT_BYTES} bytes"),
        (f"{b}/help/refunds", "failed", "refunds is not a text document (not valid UTF-8)"),
    ]
    listed = {d.url: d for d in await kb.documents("site-a")}
    assert (listed[f"{b}/help/refunds"].status, listed[f"{b}/help/refunds"].chunk_count) == (
        "failed",
        1,
    )
    hits = await kb.search("site-a", "When will my refund arrive?")
    assert hits[0].url == f"{b}/help/refunds#how-long"  # the last good version still answers
