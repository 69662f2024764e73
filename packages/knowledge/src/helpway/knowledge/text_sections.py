"""Plain text: one untitled section whose paragraphs are the blank-line separated blocks."""

from __future__ import annotations

import re

from .documents import ParsedDocument, Section

_BLANK_LINES = re.compile(r"\n\s*\n")


def parse_text(content: str) -> ParsedDocument:
    paragraphs = [" ".join(block.split()) for block in _BLANK_LINES.split(content)]
    text = "\n\n".join(p for p in paragraphs if p)
    return ParsedDocument(title="", sections=(Section("", "", (), text),) if text else ())
