"""Citations of locally ingested documents are working links: `helpway kb ingest` without
`--base-url` publishes a folder at /kb/<site>/, and the running edge serves exactly those
documents (plus the stylesheets and images beside them) and nothing else."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

SITE = "manual"
SANDBOX = "sandbox allow-scripts allow-popups"
GUIDE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Package guide</title>
<link rel="stylesheet" href="style.css"></head>
<body><h1>Package guide</h1><img src="images/logo.png" alt="">
<h2 id="holding">How do I hold a package back?</h2>
<p>Mark it with apt-mark hold and the upgrade leaves the package at its version.</p>
<h2 id="removing">Removing a package</h2><p>apt remove deletes the program, purge its settings.</p>
</body></html>
"""
SETUP = """# Setup & install

## Install the agent

Download the agent installer and run it as an administrator.

## Tune the sampling rate {#tuning}

The sampling rate is set in agent.conf with the key `rate`.
"""
NOTES = "Release notes\n\nVersion 2 adds dark mode to the dashboard.\n"
FAQ = "# Billing FAQ\n\n## Refund policy\n\nRefunds are paid within fourteen days of a request.\n"
PNG = b"\x89PNG\r\n\x1a\n fake image bytes"


@dataclass(frozen=True)
class Published:
    folder: Path
    first: str  # the summary of the ingest with a published base URL
    second: str  # the summary of the ingest without one


@pytest.fixture(scope="module")
def published(edge, helpway, tmp_path_factory: pytest.TempPathFactory) -> Published:
    root = tmp_path_factory.mktemp("kb-files")
    (root / "outside.html").write_text("<h1>Outside</h1><p>Kept outside the help folder.</p>")
    (root / "outside.css").write_text("body { color: red }")
    folder = root / "manual"
    (folder / "images").mkdir(parents=True)
    (folder / "guide.en.html").write_text(GUIDE)
    (folder / "guide.html").symlink_to("guide.en.html")  # a duplicate: not ingested
    (folder / "setup.md").write_text(SETUP)
    (folder / "notes.txt").write_text(NOTES)
    (folder / "style.css").write_text("h1 { color: navy }")
    (folder / "images" / "logo.png").write_bytes(PNG)
    (folder / "linked.html").symlink_to("../outside.html")  # ingested, but leads out
    (folder / "escape.css").symlink_to("../outside.css")
    (folder / ".draft.html").write_text("<h1>Draft</h1>")
    (folder / ".theme.css").write_text("body { color: green }")
    (folder / "config.yaml").write_text("password: hunter2\n")
    single = root / "extra"
    single.mkdir()
    (single / "faq.md").write_text(FAQ)
    (single / "other.md").write_text("# Other\n\nNot ingested.\n")
    (single / "picture.png").write_bytes(PNG)

    helpway(edge.data, "sites", "create", "--id", SITE, "--name", "Manual")
    base = ("--base-url", "https://docs.example/manual/")
    first = helpway(edge.data, "kb", "ingest", "--site", SITE, *base, str(folder)).stdout
    second = helpway(
        edge.data, "kb", "ingest", "--site", SITE, str(folder), str(single / "faq.md")
    ).stdout
    (folder / "later.html").write_text("<h1>Later</h1><p>Written after the ingest.</p>")
    return Published(folder, first, second)


async def _search(client, query: str, k: int = 10) -> list[str]:
    response = await client.http.get("/api/kb/search", params={"site_id": SITE, "q": query, "k": k})
    assert response.status_code == 200, response.text
    return [hit["url"] for hit in response.json()["hits"]]


async def test_reingest_without_base_url_replaces_the_published_urls(
    client, published: Published
) -> None:
    assert "4 documents (4 added)" in published.first
    # The folder's four documents again under /kb/, the old URLs deleted, and the single file.
    assert "9 documents (5 added, 4 deleted)" in published.second
    urls = [
        url for q in ("hold a package", "refund", "install") for url in await _search(client, q)
    ]
    assert urls and all(url.startswith(f"/kb/{SITE}/") for url in urls), urls


@pytest.mark.parametrize(
    ("question", "cited"),
    [
        ("How do I hold a package back?", f"/kb/{SITE}/guide.en.html#holding"),
        ("install the agent", f"/kb/{SITE}/setup#install-the-agent"),
        ("tune the sampling rate", f"/kb/{SITE}/setup#tuning"),
        ("refund policy", f"/kb/{SITE}/faq#refund-policy"),
    ],
)
async def test_a_cited_url_opens_the_page_holding_its_anchor(
    client, published: Published, question: str, cited: str
) -> None:
    assert (await _search(client, question))[0] == cited
    page, anchor = cited.split("#")
    response = await client.http.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert f'id="{anchor}"' in response.text


async def test_documents_are_served_in_their_format(client, published: Published) -> None:
    html = await client.http.get(f"/kb/{SITE}/guide.en.html")
    assert html.content == (published.folder / "guide.en.html").read_bytes()
    assert html.headers["content-security-policy"] == SANDBOX

    markdown = await client.http.get(f"/kb/{SITE}/setup")
    assert markdown.headers["content-type"] == "text/html; charset=utf-8"
    assert "<title>Setup &amp; install</title>" in markdown.text
    assert '<h2 id="install-the-agent">Install the agent</h2>' in markdown.text
    assert '<h2 id="tuning">Tune the sampling rate</h2>' in markdown.text
    assert markdown.headers["content-security-policy"] == SANDBOX

    text = await client.http.get(f"/kb/{SITE}/notes.txt")
    assert text.headers["content-type"] == "text/plain; charset=utf-8"
    assert text.text == NOTES
    assert text.headers["x-content-type-options"] == "nosniff"


async def test_stylesheets_and_images_beside_the_documents_are_served(
    client, published: Published
) -> None:
    css = await client.http.get(f"/kb/{SITE}/style.css")
    assert css.status_code == 200
    assert css.headers["content-type"] == "text/css; charset=utf-8"
    assert css.text == "h1 { color: navy }"
    image = await client.http.get(f"/kb/{SITE}/images/logo.png")
    assert image.headers["content-type"] == "image/png"
    assert image.content == PNG
    assert image.headers["content-security-policy"] == SANDBOX


async def _raw_get(port: int, target: str) -> tuple[int, dict[str, str]]:
    """GET `target` byte for byte: HTTP clients would tidy `..` and `//` away before sending."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    writer.write(request.encode())
    await writer.drain()
    raw = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    await writer.wait_closed()
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


@pytest.mark.parametrize(
    "target",
    [
        f"/kb/{SITE}/../outside.html",
        f"/kb/{SITE}/%2e%2e/outside.html",
        f"/kb/{SITE}/%2E%2E%2Foutside.html",
        f"/kb/{SITE}/images/../../outside.css",
        f"/kb/{SITE}/./guide.en.html",
        f"/kb/{SITE}//etc/passwd",
        f"/kb/{SITE}/%2Fetc%2Fpasswd",
        f"/kb/{SITE}/notes.txt%00.css",
        f"/kb/{SITE}/",
        "/kb/demo/guide.en.html",  # another site's id
        "/kb/nosuch/guide.en.html",
        f"/kb/{SITE}/linked.html",  # in the KB, but its file lies outside the folder
        f"/kb/{SITE}/escape.css",  # an asset name, but its file lies outside the folder
        f"/kb/{SITE}/guide.html",  # a duplicate the ingest skipped
        f"/kb/{SITE}/.draft.html",  # hidden: never ingested
        f"/kb/{SITE}/.theme.css",  # hidden, so not served though a stylesheet
        f"/kb/{SITE}/config.yaml",  # neither a document nor an asset
        f"/kb/{SITE}/later.html",  # added after the ingest
        f"/kb/{SITE}/setup.md",  # Markdown is published at its URL, not as source
        f"/kb/{SITE}/other",  # beside an ingested single file, not ingested itself
        f"/kb/{SITE}/picture.png",  # beside a single file: that is no source folder
    ],
)
async def test_nothing_else_is_served(edge, published: Published, target: str) -> None:
    status, body = await _raw_get(edge.port, target)
    assert (status, body["code"]) == (404, "not_found"), body


async def test_an_absolute_path_to_an_ingested_file_is_not_served(
    edge, published: Published
) -> None:
    target = f"/kb/{SITE}/" + quote(str(published.folder / "guide.en.html"))
    status, body = await _raw_get(edge.port, target)
    assert (status, body["code"]) == (404, "not_found")
