"""Shortening and slicing text for the wire without splitting a user-perceived character.

The protocol counts code points (`limits.MAX_TEXT_CHARS`): the unit CPython, MicroPython (the
widget's counter) and the frame spec's `maxLength` all count alike, so the widget and the room
never disagree on whether a text fits, and nothing needs Unicode tables in the browser. A text
someone wrote is never shortened: one over the limit is refused whole (the widget says so before
sending; the room's door answers with an error frame naming its client id).

But a character on screen can be several code points: an emoji with a skin tone or joined by
ZWJ, a letter with combining accents, a Thai consonant with its vowel and tone marks, a flag
made of two regional indicators, CR LF. Cutting inside one shows a broken glyph, so where the
room shortens or slices text itself (an assistant answer over the limit, a citation's title,
the pieces of a long delta) it cuts before it. An approximation of UAX #29 that covers those
cases (no Hangul jamo or prepend rules).
"""

from __future__ import annotations

import unicodedata

_ZWJ = "\u200d"


def _extends(char: str) -> bool:
    """True for code points that attach to the one before them."""
    point = ord(char)
    return (
        unicodedata.category(char) in ("Mn", "Me", "Mc")
        or point == 0x200D
        or 0xFE00 <= point <= 0xFE0F  # variation selectors (emoji/text presentation)
        or 0x1F3FB <= point <= 0x1F3FF  # skin tones
        or 0xE0020 <= point <= 0xE007F  # tag sequences (subdivision flags)
        or point in (0x0E33, 0x0EB3)  # Thai and Lao SARA AM: spacing marks, yet letters (Lo)
    )


def _regional(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


def clip(text: str, max_chars: int) -> str:
    """`text` if it fits, else its longest prefix of at most `max_chars` code points that ends
    on a character boundary."""
    if len(text) <= max_chars:
        return text
    cut = max_chars
    while cut > 0 and (_extends(text[cut]) or text[cut - 1] == _ZWJ):
        cut -= 1
    if cut > 0 and text[cut - 1] == "\r" and text[cut] == "\n":
        cut -= 1
    if cut > 0 and _regional(text[cut - 1]) and _regional(text[cut]):
        run = 0
        while cut - run > 0 and _regional(text[cut - run - 1]):
            run += 1
        cut -= run % 2  # an odd run would end on half a flag
    return text[:cut]


def pieces(text: str, max_chars: int) -> list[str]:
    """`text` in consecutive pieces of at most `max_chars` code points, each ending on a
    character boundary (a character longer than `max_chars` is cut as a last resort)."""
    out = []
    while text:
        piece = clip(text, max_chars) or text[:max_chars]
        out.append(piece)
        text = text[len(piece) :]
    return out
