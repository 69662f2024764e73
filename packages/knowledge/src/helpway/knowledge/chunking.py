"""Sections to chunks: the units that are embedded, indexed and cited.

A section that fits in `max_chars` is one chunk; a longer one is cut at paragraph, then sentence,
then word boundaries, each chunk repeating up to `overlap` characters of the previous one so an
answer that straddles a cut is still found whole in one of them. Every chunk carries its
document title, heading path, the URL of its section (`page#anchor`) and its language: the
document's own (HTML `lang`), else the one its text is written in.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from .documents import ParsedDocument
from .languages import detect

MAX_CHARS = 1200
OVERLAP = 200
PATH_SEPARATOR = " \u203a "  # a single right-pointing angle quotation mark

_NUMBERING = re.compile(r"^(?:(?:chapter|section|part)\s+)?\d+\.(?:\d+\.?)*\s+", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?\u3002\uff01\uff1f])\s+|\n")


@dataclass(frozen=True)
class Chunk:
    ordinal: int  # position in the document
    url: str  # the section's URL: document URL + "#anchor"
    title: str  # the document's title
    heading: str  # the section's heading ("" before the first heading)
    heading_path: tuple[str, ...]  # headings from the outermost to this section's
    text: str
    lang: str | None

    @property
    def embedding_text(self) -> str:
        """What is embedded as a passage: the heading path gives a short chunk its context."""
        context = PATH_SEPARATOR.join(strip_numbering(part) for part in self.context)
        return f"{context}\n\n{self.text}"

    @property
    def heading_text(self) -> str:
        """The section's headings below the title, embedded like a question.

        Help-centre headings are mostly questions or tasks ("How do I put a package on hold?",
        "Cancel your subscription"), so a visitor's question lands close to the heading of the
        section answering it; a match on the text alone misses short or list-like sections.
        """
        return PATH_SEPARATOR.join(strip_numbering(part) for part in self.context[1:])

    @property
    def context(self) -> tuple[str, ...]:
        """Title then headings, without repeating the title when the first heading is it."""
        path = self.heading_path
        if path and path[0] == self.title:
            path = path[1:]
        return tuple(part for part in (self.title, *path) if part)

    @property
    def content_hash(self) -> str:
        return text_hash(f"{self.url}\n{self.embedding_text}")


def strip_numbering(heading: str) -> str:
    """ "7.12. How do I ...?" -> "How do I ...?": section numbers only add noise to a match."""
    return _NUMBERING.sub("", heading, count=1) or heading


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def section_url(document_url: str, anchor: str) -> str:
    base = document_url.split("#", 1)[0]
    return f"{base}#{anchor}" if anchor else base


def _units(text: str, max_chars: int) -> list[tuple[str, str]]:
    """(separator before, piece) pieces no longer than `max_chars`, largest boundaries first."""
    out: list[tuple[str, str]] = []
    for p, paragraph in enumerate(text.split("\n\n")):
        sep = "\n\n" if p else ""
        if len(paragraph) <= max_chars:
            out.append((sep, paragraph))
            continue
        for s, sentence in enumerate(_SENTENCE_END.split(paragraph)):
            sentence_sep = sep if s == 0 else " "
            while len(sentence) > max_chars:
                cut = sentence.rfind(" ", 0, max_chars)
                cut = cut if cut > 0 else max_chars
                out.append((sentence_sep, sentence[:cut]))
                sentence, sentence_sep = sentence[cut:].lstrip(), " "
            if sentence:
                out.append((sentence_sep, sentence))
    return out


def _join(units: list[tuple[str, str]]) -> str:
    return "".join((sep if i else "") + piece for i, (sep, piece) in enumerate(units))


def split_text(text: str, max_chars: int = MAX_CHARS, overlap: int = OVERLAP) -> list[str]:
    """Cut `text` into pieces of about `max_chars`, consecutive ones sharing ~`overlap` chars."""
    text = text.strip()
    if len(text) <= max_chars:
        return [text] if text else []
    pieces: list[str] = []
    current: list[tuple[str, str]] = []
    for unit in _units(text, max_chars):
        if current and len(_join([*current, unit])) > max_chars:
            pieces.append(_join(current))
            tail: list[tuple[str, str]] = []
            for previous in reversed(current):
                if len(_join([previous, *tail])) > overlap:
                    break
                tail.insert(0, previous)
            current = tail
        current.append(unit)
    pieces.append(_join(current))
    return pieces


def chunk_document(
    doc: ParsedDocument,
    document_url: str,
    max_chars: int = MAX_CHARS,
    overlap: int = OVERLAP,
) -> list[Chunk]:
    chunks: list[Chunk] = []
    for section in doc.sections:
        for piece in split_text(section.text, max_chars, overlap):
            chunks.append(
                Chunk(
                    ordinal=len(chunks),
                    url=section_url(document_url, section.anchor),
                    title=doc.title,
                    heading=section.heading,
                    heading_path=section.path,
                    text=piece,
                    lang=doc.lang or detect(piece),
                )
            )
    return chunks
