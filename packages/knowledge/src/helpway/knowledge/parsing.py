"""Choose a parser by format or file name, and parse a document into sections."""

from __future__ import annotations

from pathlib import PurePath

from .documents import FORMATS, Format, ParsedDocument
from .html_sections import parse_html
from .markdown_sections import parse_markdown
from .text_sections import parse_text

# File suffixes ingested from folders; anything else (images, CSS, archives) is not a document.
SUFFIX_FORMATS: dict[str, Format] = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".txt": "text",
}


def format_for_path(path: PurePath) -> Format | None:
    """The format of a file by its suffix, or None when it is not a document we read."""
    return SUFFIX_FORMATS.get(path.suffix.lower())


def parse_document(content: str, format: Format, title: str | None = None) -> ParsedDocument:
    """Parse `content` of the given format; a non-empty `title` wins over the one found inside."""
    if format == "markdown":
        doc = parse_markdown(content)
    elif format == "html":
        doc = parse_html(content)
    elif format == "text":
        doc = parse_text(content)
    else:
        raise ValueError(f"unknown document format {format!r}; expected one of {FORMATS}")
    if title and title.strip():
        return ParsedDocument(title=title.strip(), sections=doc.sections, lang=doc.lang)
    return doc
