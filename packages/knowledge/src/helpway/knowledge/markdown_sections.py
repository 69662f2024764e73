"""Markdown (CommonMark + tables) to sections, and to HTML with the same heading ids.

One markdown-it core rule assigns every heading its `id` — an explicit `{#id}` suffix or inline
`<a id="...">` wins, else a GitHub-style slug — so the anchors cited by answers and the ids in the
rendered help pages are computed by the same code and cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from .documents import ParsedDocument, Section, section_path

if TYPE_CHECKING:
    from selectolax.lexbor import LexborHTMLParser
from .slugs import Slugger

_EXPLICIT_ID = re.compile(r"\s*\{#([A-Za-z][\w:.-]*)\}\s*$")


def _html(content: str) -> LexborHTMLParser:
    # Imported on use: selectolax has no Pyodide build, and the Worker imports this package.
    from selectolax.lexbor import LexborHTMLParser

    return LexborHTMLParser(content)


def _html_id(html: str) -> str | None:
    node = _html(html).css_first("[id], a[name]")
    if node is None:
        return None
    return node.attributes.get("id") or node.attributes.get("name")


def _inline_text(children: Sequence[Token] | None) -> str:
    out: list[str] = []
    for child in children or ():
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type == "softbreak":
            out.append(" ")
        elif child.type == "hardbreak":
            out.append("\n")
        elif child.type == "image":
            out.append(_inline_text(child.children))
    return "".join(out)


def _suffix_id(inline: Token) -> str | None:
    """Take a `{#id}` suffix off a heading's text and return the id."""
    children = inline.children or []
    if children and children[-1].type == "text":
        match = _EXPLICIT_ID.search(children[-1].content)
        if match:
            children[-1].content = children[-1].content[: match.start()]
            inline.content = _EXPLICIT_ID.sub("", inline.content)
            return match.group(1)
    return None


def _inline_html_id(inline: Token) -> str | None:
    """An id carried by inline HTML in the heading, such as `<a id="x"></a>`."""
    for child in inline.children or ():
        if child.type == "html_inline":
            found = _html_id(child.content)
            if found:
                return found
    return None


def _heading_ids(state: StateCore) -> None:
    """Core rule: record every heading's anchor on its heading_open token.

    The anchor is kept in `meta` for the section parser; it becomes the heading's `id` attribute
    unless inline HTML in the heading already carries it (an HTML id must be unique).
    """
    tokens = state.tokens
    headings = [i for i, tok in enumerate(tokens) if tok.type == "heading_open"]
    suffix = {i: _suffix_id(tokens[i + 1]) for i in headings}
    inline_html = {i: _inline_html_id(tokens[i + 1]) for i in headings}
    slugger = Slugger({a for a in [*suffix.values(), *inline_html.values()] if a})
    for i in headings:
        anchor = suffix[i] or inline_html[i]
        if anchor is None:
            anchor = slugger.slug(_inline_text(tokens[i + 1].children))
        tokens[i].meta["anchor"] = anchor
        if inline_html[i] is None or suffix[i]:
            tokens[i].attrSet("id", anchor)


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark").enable("table")
    md.core.ruler.push("heading_ids", _heading_ids)
    return md


_MD = _markdown()


def render_markdown(markdown: str) -> str:
    """HTML for a help article, with the heading ids that ingest cites as anchors."""
    return _MD.render(markdown)


class _SectionBuilder:
    """Collects block text between headings; list items and table rows stay one block."""

    def __init__(self) -> None:
        self.sections: list[Section] = []
        self.headings: list[tuple[int, str]] = []
        self._stack: list[tuple[int, str]] = []
        self._current = Section("", "", (), "")
        self._blocks: list[str] = []
        self._group: list[str] = []  # lines of the list or table being read

    def heading(self, level: int, anchor: str, text: str) -> None:
        self._flush()
        self.headings.append((level, text))
        self._current = Section(anchor, text, section_path(self._stack, level, text), "")

    def block(self, text: str, grouped: bool) -> None:
        text = text.strip("\n")
        if not text.strip():
            return
        if grouped:
            self._group.append(text)
        else:
            self.end_group()
            self._blocks.append(text)

    def end_group(self) -> None:
        if self._group:
            self._blocks.append("\n".join(self._group))
            self._group = []

    def _flush(self) -> None:
        self.end_group()
        text = "\n\n".join(self._blocks)
        if text or self._current.heading:
            current = self._current
            self.sections.append(Section(current.anchor, current.heading, current.path, text))
        self._blocks = []

    def finish(self) -> ParsedDocument:
        self._flush()
        h1 = [text for level, text in self.headings if level == 1]
        title = h1[0] if h1 else (self.headings[0][1] if self.headings else "")
        return ParsedDocument(title=title, sections=tuple(self.sections))


def _collapse(text: str) -> str:
    return "\n".join(" ".join(line.split()) for line in text.split("\n")).strip()


def parse_markdown(content: str) -> ParsedDocument:
    tokens = _MD.parse(content)
    builder = _SectionBuilder()
    lists: list[str] = []  # "-" or the next number, one per open list
    marker = ""
    row: list[str] = []
    for i, tok in enumerate(tokens):
        kind = tok.type
        parent = tokens[i - 1].type if i else ""
        if kind == "heading_open":
            text = _collapse(_inline_text(tokens[i + 1].children))
            builder.heading(int(tok.tag[1]), tok.meta["anchor"], text)
        elif kind in ("bullet_list_open", "ordered_list_open"):
            lists.append("-" if kind == "bullet_list_open" else str(tok.attrGet("start") or 1))
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
            if not lists:
                builder.end_group()
        elif kind == "list_item_open":
            bullet = lists[-1]
            if bullet != "-":
                lists[-1] = str(int(bullet) + 1)
                bullet += "."
            marker = "  " * (len(lists) - 1) + bullet + " "
        elif kind == "inline" and parent == "paragraph_open":
            text = _collapse(_inline_text(tok.children))
            if lists:
                builder.block(marker + text, grouped=True)
                marker = "  " * len(lists)
            else:
                builder.block(text, grouped=False)
        elif kind in ("fence", "code_block"):
            builder.block(tok.content, grouped=bool(lists))
        elif kind == "html_block":
            text = _collapse(_html(tok.content).text(separator=" "))
            builder.block(text, grouped=bool(lists))
        elif kind == "tr_open":
            row = []
        elif kind == "inline" and parent in ("th_open", "td_open"):
            row.append(_collapse(_inline_text(tok.children)))
        elif kind == "tr_close":
            builder.block(" | ".join(row), grouped=True)
        elif kind == "table_close":
            builder.end_group()
    return builder.finish()
