"""Markdown, HTML and plain text to sections and anchors, chunking, and which files are read."""

from __future__ import annotations

import gzip
import itertools
import os
import sys
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from types import FrameType
from typing import Any

import pytest
from selectolax.lexbor import LexborHTMLParser

import helpway.knowledge
from helpway.knowledge.chunking import chunk_document, split_text
from helpway.knowledge.demo import demo_articles, render_article_html
from helpway.knowledge.documents import Format
from helpway.knowledge.evaluation import DEBIAN_FAQ_DIR
from helpway.knowledge.html_sections import parse_html
from helpway.knowledge.markdown_sections import parse_markdown, render_markdown
from helpway.knowledge.parsing import parse_document
from helpway.knowledge.slugs import Slugger, github_slug
from helpway.knowledge.sources import discover, document_url
from helpway.knowledge.text_sections import parse_text

MARKDOWN = """\
# Resetting your password

Forgot it? Set a new one.

## Reset your password

1. Click **Forgot password?**
2. Enter your email.
   - the one you signed up with

```
reset --now
```

## If you didn't get the email

| Folder | Check |
|---|---|
| Spam | yes |

## Reset your password

Second section with the same heading.

### Plans & pricing {#pricing}

Explicit id.

## Überprüfung der E-Mail

Unicode heading.
"""


def test_github_slugs() -> None:
    assert github_slug("If you didn't get the email") == "if-you-didnt-get-the-email"
    assert github_slug("Plans & pricing") == "plans--pricing"
    assert github_slug("Überprüfung der E-Mail") == "überprüfung-der-e-mail"
    assert github_slug("การตั้งค่า บัญชี") == "การตั้งค่า-บัญชี"  # Thai vowel marks are kept
    slugger = Slugger({"taken"})
    assert [slugger.slug("Taken"), slugger.slug("A"), slugger.slug("a")] == ["taken-1", "a", "a-1"]
    slugger = Slugger({"a-2"})
    assert [slugger.slug("a") for _ in range(4)] == ["a", "a-1", "a-3", "a-4"]


def _lines_run(work: Callable[[], object]) -> int:
    """How many lines of the knowledge package's own code `work` executes: its work, counted
    (the parsers' libraries are left out), which a loaded machine cannot skew as it would a
    clock."""
    package = str(Path(helpway.knowledge.__file__).parent)
    lines = 0

    def in_package(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal lines
        lines += event == "line"
        return in_package

    def calls(frame: FrameType, event: str, arg: Any) -> Any:
        return in_package if frame.f_code.co_filename.startswith(package) else None

    sys.settrace(calls)
    try:
        work()
    finally:
        sys.settrace(None)
    return lines


@pytest.mark.parametrize(
    ("fmt", "head", "section"),
    [
        ("html", "<h1>a</h1>", "<h2>s</h2><p>p</p>"),
        ("markdown", "# a\n\n", "## s\n\np\n\n"),
        ("text", "a\n=\n\n", "Step\n----\n\np\n\n"),
    ],
)
def test_parsing_and_chunking_work_grows_linearly_with_the_document(
    fmt: Format, head: str, section: str
) -> None:
    """Every section repeating one heading made each new slug try every suffix taken before:
    8x the sections cost 64x the work, and a 360 KB page took minutes on the event loop."""

    def ingest_work(sections: int) -> int:
        content = head + section * sections
        return _lines_run(lambda: chunk_document(parse_document(content, fmt), "/doc"))

    assert ingest_work(2400) < 10 * ingest_work(300)


def test_markdown_sections_keep_headings_anchors_and_text() -> None:
    doc = parse_markdown(MARKDOWN)
    assert doc.title == "Resetting your password"
    anchors = [s.anchor for s in doc.sections]
    assert anchors == [
        "resetting-your-password",
        "reset-your-password",
        "if-you-didnt-get-the-email",
        "reset-your-password-1",
        "pricing",
        "überprüfung-der-e-mail",
    ]
    steps = doc.sections[1]
    assert steps.path == ("Resetting your password", "Reset your password")
    assert steps.text.split("\n\n") == [
        "1. Click Forgot password?\n2. Enter your email.\n  - the one you signed up with",
        "reset --now",
    ]
    assert doc.sections[2].text == "Folder | Check\nSpam | yes"
    pricing = doc.sections[4]
    assert pricing.heading == "Plans & pricing"  # the {#id} suffix is not part of the text
    assert pricing.path[-2:] == ("Reset your password", "Plans & pricing")


def test_rendered_markdown_carries_the_ingested_anchors() -> None:
    html = render_markdown(MARKDOWN)
    ids = [node.id for node in LexborHTMLParser(html).css("h1, h2, h3")]
    assert ids == [s.anchor for s in parse_markdown(MARKDOWN).sections]
    assert "{#pricing}" not in html


def test_every_demo_article_renders_with_its_cited_anchors() -> None:
    articles = demo_articles()
    assert len(articles) >= 10
    for article in articles:
        sections = parse_markdown(article.markdown).sections
        assert len([s for s in sections if s.path and len(s.path) == 2]) >= 3, article.slug
        tree = LexborHTMLParser(render_article_html(article))
        ids = {node.id for node in tree.css("[id]")}
        assert {s.anchor for s in sections} <= ids, article.slug
        assert article.title == sections[0].heading


HTML = """<!DOCTYPE html>
<html lang="en"><head><title>Chapter 7. Packages</title><style>h2 {}</style></head>
<body>
<div class="navheader"><a href="x.html">Next: How do I put a package on hold?</a></div>
<div class="toc"><a href="#hold">How do I put a package on hold?</a></div>
<h1><a id="pkgs"></a>Chapter 7. Packages</h1>
<p>Intro <em>text</em>.</p>
<h2 class="title"><a id="puttingonhold"></a>7.12. How do I put a package on hold?</h2>
<p>There are two ways:</p>
<pre class="screen">
apt-mark hold package_name
</pre>
<ul><li><p>first item</p></li><li>second item</li></ul>
<a id="legacy"></a>
<h3>Legacy anchor</h3>
<p>Old style.</p>
<h3 id="own">Own id</h3>
<p>Table: <table><tr><td>a</td><td>b</td></tr></table></p>
<h3>No id at all</h3>
<script>alert("never text")</script>
<p>Generated.</p>
<h3></h3>
<footer>Copyright footer</footer>
</body></html>
"""


def test_html_sections_take_the_browsers_anchor() -> None:
    doc = parse_html(HTML)
    assert doc.title == "Chapter 7. Packages"
    assert doc.lang == "en"
    assert [s.anchor for s in doc.sections] == [
        "pkgs",
        "puttingonhold",
        "legacy",
        "own",
        "no-id-at-all",
    ]
    hold = doc.sections[1]
    assert hold.heading == "7.12. How do I put a package on hold?"
    assert hold.path == ("Chapter 7. Packages", "7.12. How do I put a package on hold?")
    assert hold.text.split("\n\n") == [
        "There are two ways:",
        "apt-mark hold package_name",
        "- first item\n- second item",
    ]
    everything = " ".join(s.text for s in doc.sections)
    for noise in ("Next:", "never text", "Copyright footer", "h2 {}"):
        assert noise not in everything
    assert doc.sections[2].path[-1] == "Legacy anchor"
    assert doc.sections[3].text == "Table:\n\na | b"  # HTML5: a <table> closes the <p>


def test_plain_text_and_unknown_format() -> None:
    doc = parse_document("First  para\nline.\n\n\nSecond.", "text", title="Notes")
    assert doc.title == "Notes"
    assert doc.sections[0].text == "First para line.\n\nSecond."
    with pytest.raises(ValueError, match="unknown document format"):
        parse_document("x", "pdf")  # type: ignore[arg-type]


PLAIN_TEXT = """\
Acme Notes help

Billing
=======

How we charge you.

Payment methods
---------------
We accept Visa and PayPal. 2024 prices
are on the pricing page.

To change your card:

1. Open Settings.
2. Click Billing and
   then Card.

Contents

1. Accounts
  1.1. Sign in
  1.2. Two-factor
2. Sync

3.1. What if sync is stuck
on one device?

    Sign out and in again.
"""


def test_plain_text_headings_lists_and_contents() -> None:
    doc = parse_text(PLAIN_TEXT)
    assert doc.title == "Acme Notes help"
    assert [(s.anchor, s.path) for s in doc.sections] == [
        ("", ()),
        ("billing", ("Billing",)),
        ("payment-methods", ("Billing", "Payment methods")),
        (
            "31-what-if-sync-is-stuck-on-one-device",
            ("Billing", "3.1. What if sync is stuck on one device?"),  # level 2, under Billing
        ),
    ]
    payment = doc.sections[2].text
    assert payment.startswith("We accept Visa and PayPal. 2024 prices are on the pricing page.")
    assert "To change your card:\n\n1. Open Settings.\n2. Click Billing and then Card." in payment
    assert "Contents" in payment and "Two-factor" not in payment  # the contents block is dropped
    assert doc.sections[3].text == "Sign out and in again."


def test_the_debian_faq_as_plain_text_has_one_section_per_question() -> None:
    text_faq = DEBIAN_FAQ_DIR / "debian-faq.en.txt.gz"
    if not text_faq.is_file():
        pytest.fail(f"{text_faq} is missing: install the Debian package debian-faq")
    doc = parse_text(gzip.decompress(text_faq.read_bytes()).decode())
    assert doc.title == "The Debian GNU/Linux FAQ"
    hold = next(s for s in doc.sections if s.heading == "7.12. How do I put a package on hold?")
    assert hold.path[0] == "Chapter 7. Basics of the Debian package management system"
    assert "apt-mark hold" in hold.text
    assert len(doc.sections) > 150
    assert all("1.1. What is this FAQ?" not in s.text for s in doc.sections)  # no contents


def test_split_text_respects_the_size_and_overlaps() -> None:
    sentences = [f"Sentence number {i} says something useful about item {i}." for i in range(60)]
    text = " ".join(sentences[:30]) + "\n\n" + " ".join(sentences[30:])
    pieces = split_text(text, max_chars=400, overlap=120)
    assert len(pieces) > 5
    assert all(len(piece) <= 400 for piece in pieces)
    for before, after in itertools.pairwise(pieces):
        assert after.split(". ")[0].rstrip(".") in before  # each piece repeats the previous tail
    covered = " ".join(pieces)
    assert all(sentence in covered for sentence in sentences)
    assert split_text("short") == ["short"]
    assert split_text("   ") == []


def test_chunks_carry_title_heading_path_and_section_url() -> None:
    chunks = chunk_document(parse_html(HTML), "pkg-basics.en.html")
    hold = next(c for c in chunks if c.url.endswith("#puttingonhold"))
    assert hold.url == "pkg-basics.en.html#puttingonhold"
    assert hold.title == "Chapter 7. Packages"
    assert hold.heading == "7.12. How do I put a package on hold?"
    assert hold.embedding_text.startswith("Packages \u203a How do I put a package on hold?\n\n")
    assert hold.heading_text == "How do I put a package on hold?"


def test_document_urls() -> None:
    assert document_url(PurePosixPath("pkg-basics.en.html"), "html") == "pkg-basics.en.html"
    assert document_url(PurePosixPath("billing.md"), "markdown", "/help/") == "/help/billing"
    assert document_url(PurePosixPath("a b/c.md"), "markdown", "/help") == "/help/a%20b/c"


def test_discover_skips_twins_copies_hidden_and_non_documents(tmp_path: Path) -> None:
    (tmp_path / "faq.en.html").write_text("<h1>FAQ</h1>")
    os.symlink("faq.en.html", tmp_path / "faq.html")
    (tmp_path / "copy.en.html").write_text("<h1>Copy</h1>")
    (tmp_path / "copy.html").write_text("<h1>Copy</h1>")  # a twin that is a copy, not a link
    (tmp_path / "guide.md").write_text("# Guide")
    (tmp_path / "notes.txt").write_text("notes")
    (tmp_path / "style.css").write_text("h1 {}")
    (tmp_path / "archive.txt.gz").write_bytes(b"\x1f\x8b")
    (tmp_path / ".hidden.md").write_text("# Hidden")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "deep.md").write_text("# Deep")
    found = [str(f.relative) for f in discover(tmp_path)]
    assert found == ["copy.en.html", "faq.en.html", "guide.md", "notes.txt", "sub/deep.md"]
    single = discover(tmp_path / "guide.md")
    assert [(str(f.relative), f.format) for f in single] == [("guide.md", "markdown")]
    with pytest.raises(FileNotFoundError):
        discover(tmp_path / "missing")
    with pytest.raises(ValueError, match="not a Markdown"):
        discover(tmp_path / "style.css")


def test_debian_faq_files_are_read_once_each() -> None:
    faq = Path("/usr/share/doc/debian/FAQ")
    if not faq.is_dir():
        pytest.fail("install the Debian package debian-faq")
    names = [str(f.relative) for f in discover(faq)]
    assert "pkg-basics.en.html" in names
    assert "pkg-basics.html" not in names
    assert all(name.endswith(".en.html") for name in names)
    sections = parse_html((faq / "pkg-basics.en.html").read_text()).sections
    hold = next(s for s in sections if s.anchor == "puttingonhold")
    assert "apt-mark hold" in hold.text
