"""What a parsed help document is: a title and its sections, each under one heading.

Parsers (Markdown, HTML, plain text) produce this shape so that chunking, URLs and citations are
written once. A section is the text between one heading and the next heading of any level; its
`anchor` is the heading's `id`, so `page#anchor` links straight to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Format = Literal["markdown", "html", "text"]
FORMATS: tuple[Format, ...] = ("markdown", "html", "text")


@dataclass(frozen=True)
class Section:
    anchor: str  # the heading's id; "" for text before any heading
    heading: str  # the heading's plain text; "" for text before any heading
    path: tuple[str, ...]  # enclosing headings, outermost first, ending with `heading`
    text: str  # paragraphs separated by blank lines


@dataclass(frozen=True)
class ParsedDocument:
    title: str
    sections: tuple[Section, ...]
    lang: str | None = None


def section_path(stack: list[tuple[int, str]], level: int, heading: str) -> tuple[str, ...]:
    """Update the open-heading stack for a new heading and return its path.

    Shared by the Markdown and HTML parsers so both nest headings the same way.
    """
    while stack and stack[-1][0] >= level:
        stack.pop()
    stack.append((level, heading))
    return tuple(text for _, text in stack)
