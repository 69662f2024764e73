"""Shortening text for the wire without splitting a user-perceived character.

The protocol counts code points (`limits.MAX_TEXT_CHARS`), but a character on screen can be
several: an emoji with a skin tone or joined by ZWJ, a letter with combining accents, a flag made
of two regional indicators, CR LF. Cutting inside one shows a broken glyph, so the room cuts
before it. An approximation of UAX #29 that covers those cases (no Hangul jamo rules): enough for
the only text the room itself shortens, an assistant answer over the limit.
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
