"""The demo product's help centre: Markdown articles for "Acme Cloud Notes".

The local edge ingests them for the demo site with `base_url="/help/"` and serves each at
`/help/<slug>`, rendered by `render_article_html` with the same heading ids that ingest cites,
so every citation link lands on its section.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .markdown_sections import parse_markdown, render_markdown

DEMO_KB_DIR = Path(__file__).parent / "demo_kb"  # no resolve(): no file system call at import
DEMO_BASE_URL = "/help/"


@dataclass(frozen=True)
class DemoArticle:
    slug: str  # the file name without `.md`; the article is served at /help/<slug>
    title: str
    markdown: str


def demo_articles() -> list[DemoArticle]:
    """Every demo article, by slug."""
    articles = []
    for path in sorted(DEMO_KB_DIR.glob("*.md")):
        markdown = path.read_text(encoding="utf-8")
        articles.append(DemoArticle(path.stem, parse_markdown(markdown).title, markdown))
    return articles


def demo_article(slug: str) -> DemoArticle | None:
    """The article with this slug, or None (slugs are matched, never used as paths)."""
    return next((a for a in demo_articles() if a.slug == slug), None)


def render_article_html(article: DemoArticle) -> str:
    """The article's body as HTML; headings carry the ids that citations link to."""
    return render_markdown(article.markdown)
