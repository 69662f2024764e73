"""HTML help pages to sections, split on `<h1>` to `<h6>`, parsed with selectolax (lexbor).

A heading's anchor is the `id` a browser would scroll to: the heading's own `id`, else an anchor
inside it (`<h2><a id="x"></a>...`, as DocBook writes the Debian FAQ), else an empty anchor right
before it; only headings with none of these get a generated slug (which then links nowhere, but
stays stable). Navigation, tables of contents and scripts are dropped first: they repeat other
sections' words and would outrank the sections themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .documents import ParsedDocument, Section, section_path
from .slugs import Slugger

if TYPE_CHECKING:
    from selectolax.lexbor import LexborNode

_NOISE = (
    "script, style, noscript, template, nav, footer, aside, form, button, svg, iframe, "
    "[role=navigation], [hidden], .toc, .list-of-tables, .list-of-figures, .navheader, .navfooter"
)
_MAIN = "main, [role=main], article"
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_BLOCKS = {
    "address", "article", "blockquote", "caption", "dd", "details", "div", "dl", "dt",
    "figcaption", "figure", "header", "hr", "li", "main", "ol", "p", "pre", "section",
    "summary", "table", "tbody", "thead", "tfoot", "tr", "ul", "br",
}  # fmt: skip
_LISTS = {"ul", "ol", "dl"}
_CELLS = {"td", "th"}


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _anchor_of(heading: LexborNode) -> str | None:
    if heading.id:
        return heading.id
    inner = heading.css_first("[id], a[name]")
    if inner is not None:
        return inner.attributes.get("id") or inner.attributes.get("name")
    before = heading.prev
    while before is not None and before.is_text_node and not (before.text_content or "").strip():
        before = before.prev
    if before is not None and before.tag == "a" and not before.text(deep=True).strip():
        return before.attributes.get("id") or before.attributes.get("name")
    return None


class _Walker:
    """Walks the DOM in document order, cutting a new section at every heading."""

    def __init__(self, taken_ids: set[str]) -> None:
        self.sections: list[Section] = []
        self.headings: list[tuple[int, str]] = []
        self._slugger = Slugger(taken_ids)
        self._stack: list[tuple[int, str]] = []
        self._current = Section("", "", (), "")
        self._blocks: list[tuple[str, bool]] = []  # (text, part of a list or table)
        self._inline: list[str] = []
        self._prefix = ""
        self._lists = 0
        self._pre = 0

    def walk(self, node: LexborNode) -> None:
        for child in node.iter(include_text=True):
            tag = child.tag
            if child.is_text_node:
                self._inline.append(child.text_content or "")
            elif tag in _HEADINGS:
                self._heading(child, _HEADINGS[tag])
            elif tag in _CELLS:
                if self._inline and "".join(self._inline).strip():
                    self._inline.append(" | ")
                self.walk(child)
            elif tag == "pre":
                self._flush()
                self._pre += 1
                self.walk(child)
                self._pre -= 1
                self._flush()
            elif tag in _BLOCKS:
                self._flush()
                self._lists += tag in _LISTS
                if tag in ("li", "dt"):
                    self._prefix = "- " if tag == "li" else ""
                self.walk(child)
                self._flush()
                self._lists -= tag in _LISTS
            elif child.is_element_node:
                self.walk(child)

    def _flush(self) -> None:
        raw = "".join(self._inline)
        self._inline = []
        text = raw.strip("\n").rstrip() if self._pre else _collapse(raw)
        if text.strip():
            self._blocks.append((self._prefix + text, self._lists > 0 and not self._pre))
            self._prefix = ""

    def _heading(self, node: LexborNode, level: int) -> None:
        text = _collapse(node.text(deep=True, separator=""))
        if not text:
            return
        self._end_section()
        anchor = _anchor_of(node) or self._slugger.slug(text)
        self.headings.append((level, text))
        self._current = Section(anchor, text, section_path(self._stack, level, text), "")

    def _end_section(self) -> None:
        self._flush()
        parts: list[str] = []
        for i, (text, grouped) in enumerate(self._blocks):
            if i:
                parts.append("\n" if grouped and self._blocks[i - 1][1] else "\n\n")
            parts.append(text)
        body = "".join(parts)
        if body or self._current.heading:
            current = self._current
            self.sections.append(Section(current.anchor, current.heading, current.path, body))
        self._blocks = []

    def finish(self) -> list[Section]:
        self._end_section()
        return self.sections


def parse_html(content: str) -> ParsedDocument:
    # Imported here: selectolax has no Pyodide build, and the Worker imports this package.
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(content)
    html = tree.css_first("html")
    attrs = html.attributes if html is not None else {}
    lang = attrs.get("lang") or attrs.get("xml:lang") or None
    title_node = tree.css_first("head title")
    for node in tree.css(_NOISE):
        node.decompose()
    root = tree.css_first(_MAIN) or tree.body
    taken = {node.id for node in tree.css("[id]") if node.id}
    walker = _Walker(taken)
    if root is not None:
        try:
            walker.walk(root)
        except RecursionError as exc:
            raise ValueError("HTML nested too deeply to read") from exc
    sections = walker.finish()
    title = _collapse(title_node.text()) if title_node is not None else ""
    if not title:
        h1 = [text for level, text in walker.headings if level == 1]
        title = h1[0] if h1 else (walker.headings[0][1] if walker.headings else "")
    return ParsedDocument(title=title, sections=tuple(sections), lang=lang)
