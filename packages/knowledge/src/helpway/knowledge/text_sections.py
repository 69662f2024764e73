"""Plain text to sections, finding the headings that text FAQs and manuals write by convention.

Plain text has no markup, but help text written by people and by converters (DocBook's text
output of the Debian FAQ, README files) marks headings in two ways this parser recognises:

- underlined: a line followed by a line of `=` (level 1), `-` (level 2) or `~`/`^`/`*` (3);
- numbered: a short block at the left margin starting `1.`, `7.12.`, `Chapter 3.` or
  `Section 2.1`, that does not end like a sentence; its level is how many numbers it has.

A block of numbered lines one after another is a table of contents and is dropped, as the HTML
parser drops `.toc`: it repeats every heading and would outrank the sections themselves. Body
blocks keep their paragraphs and list items; wrapped lines are joined. Anchors are slugs of the
headings (a text page cannot link to them, but each section is then its own, stable citation).
The title is a level-1 heading the text opens with, else a short first line standing alone.
"""

from __future__ import annotations

import re
from dataclasses import replace

from .documents import ParsedDocument, Section, section_path
from .slugs import Slugger

_BLANK_LINES = re.compile(r"\n\s*\n")
_UNDERLINE = re.compile(r"^\s*([=\-~^*])\1{2,}\s*$")
_UNDERLINE_LEVEL = {"=": 1, "-": 2}
_NUMBERED = re.compile(r"^(chapter\s+|section\s+|part\s+)?(\d+(?:\.\d+)*)(\.?)\s+\S", re.IGNORECASE)
_MAX_HEADING_CHARS = 200
_MAX_HEADING_LINES = 3
_MIN_TOC_LINES = 4
_ITEM = re.compile(r"^\s*(?:[-*+\u2022]|\d+[.)])\s+")


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _number(line: str) -> str | None:
    """The section number a line starts with: `1.`, `7.12`, `Chapter 3`; not a bare `2024`."""
    match = _NUMBERED.match(line)
    if match is None or not (match.group(1) or match.group(3) or "." in match.group(2)):
        return None
    return match.group(2)


def _underlined(lines: list[str]) -> tuple[int, str, list[str]] | None:
    if len(lines) >= 2 and lines[0].strip():
        match = _UNDERLINE.match(lines[1])
        if match:
            return _UNDERLINE_LEVEL.get(match.group(1), 3), _collapse(lines[0]), lines[2:]
    return None


def _numbered(lines: list[str]) -> tuple[int, str, list[str]] | None:
    """A numbered heading: its lines run until the first indented one, where its body starts."""
    number = _number(lines[0])
    if number is None:
        return None
    end = next((i for i, line in enumerate(lines) if i and line[:1].isspace()), len(lines))
    text = _collapse(" ".join(lines[:end]))
    if end > _MAX_HEADING_LINES or len(text) > _MAX_HEADING_CHARS:
        return None
    if text.endswith((".", ",", ";", ":")):
        return None  # a sentence: a numbered step, not a heading
    if any(_number(line) for line in lines[1:end]):
        return None  # consecutive numbered lines: a list, not one heading
    return number.count(".") + 1, text, lines[end:]


def _table_of_contents(lines: list[str]) -> bool:
    numbered = sum(1 for line in lines if _number(line.strip()))
    return len(lines) >= _MIN_TOC_LINES and numbered >= 0.6 * len(lines)


def _paragraph(lines: list[str]) -> str | None:
    """A body block's text, one line per list item; None for a rule line."""
    if not lines or all(_UNDERLINE.match(line) for line in lines):
        return None
    items: list[str] = []
    for line in lines:
        if items and not _ITEM.match(line):
            items[-1] += " " + line  # a wrapped line continues the item or the paragraph
        else:
            items.append(line)
    return "\n".join(_collapse(item) for item in items)


def parse_text(content: str) -> ParsedDocument:
    content = content.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    slugger = Slugger()
    stack: list[tuple[int, str]] = []
    sections: list[Section] = []
    current = Section("", "", (), "")
    paragraphs: list[str] = []
    title = ""
    for block in _BLANK_LINES.split(content):
        lines = [line.rstrip() for line in block.strip("\n").split("\n") if line.strip()]
        if not lines or _table_of_contents(lines):
            continue
        found = _underlined(lines) or _numbered(lines)
        if found is None:
            text = _paragraph(lines)
            if text:
                paragraphs.append(text)
            continue
        level, heading, body = found
        if paragraphs or current.heading:
            sections.append(replace(current, text="\n\n".join(paragraphs)))
        if level == 1 and not sections and not title:
            title = heading  # the document opens with it
        current = Section(slugger.slug(heading), heading, section_path(stack, level, heading), "")
        paragraphs = [text] if (text := _paragraph(body)) else []
    if paragraphs or current.heading:
        sections.append(replace(current, text="\n\n".join(paragraphs)))
    if not title and sections and not sections[0].heading:
        first = sections[0].text.split("\n\n", 1)[0]
        title = first if len(first) <= 100 and not first.endswith(".") else ""
    return ParsedDocument(title=title, sections=tuple(sections))
