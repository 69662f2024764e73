"""Visitor text to FTS5 MATCH expressions, one per lexical index.

Words of space-separated languages go to the Porter/unicode61 index as an OR of quoted terms
(bm25 then rewards chunks matching more, and rarer, terms). Runs of scripts written without
spaces (Thai, Lao, Khmer, Myanmar, Chinese, Japanese) cannot be split into words without a
dictionary, so they go to the trigram index as an OR of their character trigrams. Every term is
quoted: visitor text never becomes FTS syntax.
"""

from __future__ import annotations

import re

_NO_SPACE_SCRIPTS = (
    "\u0e00-\u0e7f"  # Thai
    "\u0e80-\u0eff"  # Lao
    "\u1000-\u109f"  # Myanmar
    "\u1780-\u17ff"  # Khmer
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3400-\u4dbf\u4e00-\u9fff"  # CJK ideographs
)
_NO_SPACE_RUN = re.compile(f"[{_NO_SPACE_SCRIPTS}]+")
_WORD = re.compile(r"\w+")
# Function words of the languages visitors write in most (English, Spanish, Portuguese,
# Indonesian): in an OR query they match nearly every chunk, so bm25 rewards long chunks for
# them instead of chunks about the question's subject.
_STOPWORDS_TEXT = """
    a about all also am an and any are as at be been being but by can could did do does doing
    for from get got had has have having he her here his how i if in into is it its just me
    my no not of on or our out so some than that the their them then there these they this
    those to too up us was we were what when where which who whom why will with would you your
    al como con cual cuando de del donde el en es esta este hay la las lo los mas mi mis no o
    para pero por puedo que se si sin sobre su sus un una uno y yo
    ao aos as com da das de do dos e em era eu foi isso mas meu minha na nas no nos o os ou
    para pela pelo por posso qual quando se sem seu sua um uma voce voces
    ada adalah akan apa apakah atau bagaimana bisa dan dari dengan di ini itu ke kami kamu
    saya untuk yang
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
MAX_TERMS = 32


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def word_terms(text: str) -> list[str]:
    """Distinct lower-cased content words of two or more characters, outside no-space
    scripts."""
    spaced = _NO_SPACE_RUN.sub(" ", text)
    words = [w.lower() for w in _WORD.findall(spaced)]
    words = [w for w in words if len(w) > 1 and not w.isdigit() and w not in STOPWORDS]
    return list(dict.fromkeys(words))[:MAX_TERMS]


def trigram_terms(text: str) -> list[str]:
    """Distinct character trigrams of the runs of no-space scripts."""
    grams: list[str] = []
    for run in _NO_SPACE_RUN.findall(text):
        grams += [run[i : i + 3] for i in range(max(len(run) - 2, 0))]
    return list(dict.fromkeys(grams))[: MAX_TERMS * 2]


def script_shares(text: str) -> tuple[float, float]:
    """The shares of `text`'s word characters that the word index and the trigram index read:
    (scripts written with spaces, scripts written without). A Thai question naming "Debian" is
    mostly Thai, so its word-index ranking — which sees only "Debian" — deserves little say."""
    unspaced = sum(len(run) for run in _NO_SPACE_RUN.findall(text))
    spaced = sum(len(word) for word in _WORD.findall(_NO_SPACE_RUN.sub(" ", text)))
    total = spaced + unspaced
    return (spaced / total, unspaced / total) if total else (0.0, 0.0)


def match_expression(terms: list[str]) -> str | None:
    """An FTS5 expression matching any of `terms`, or None when there are none."""
    return " OR ".join(_quote(t) for t in terms) if terms else None
