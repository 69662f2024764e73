"""Which language a piece of text is in, among the ones Helpway's visitors write most.

The assistant's own words (a decline, "See also", a cut-off note) must be in the visitor's
language, and every KB chunk records its language. A statistical detector would need a model
file and still guesses badly on a six-word question, while the languages we serve are told
apart reliably by their script (Thai, Arabic, Hebrew) or, for the Latin-script ones, by the
function words every sentence is full of, plus the letters only one of them uses (Spanish "ñ"
and "¿", Portuguese "ã" and "ç"). That is pure Python, so it runs the same on the Worker.
"""

from __future__ import annotations

import re
import unicodedata

SUPPORTED = ("en", "es", "pt", "id", "th", "ar", "he")

_SCRIPTS = {
    "th": re.compile("[\u0e00-\u0e7f]"),
    "ar": re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]"),
    "he": re.compile("[\u0590-\u05ff\ufb1d-\ufb4f]"),
}
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)

# Frequent words that (nearly) only one of the four Latin-script languages uses; words they
# share ("de", "para", "que", "a") tell nothing and are left out. Compared without accents.
_FUNCTION_WORDS = {
    "en": """the and is are was of to in it you your my i do does did how what why when where
        which can could should would will with for on this that have has not be there from
        at an or if get""",
    "es": """el la los las es del y en un una mi mis tu cómo qué cuál cuándo dónde por puedo
        hay está están esto este esta con pero sí hacer tengo quiero cuenta contraseña usted""",
    "pt": """o os as um uma é não do da dos das no na nos nas em meu minha você vocês posso
        faço fazer tenho quero isso está estão com mas sim qual quando onde pelo pela conta
        senha""",
    "id": """yang dan di ke dari ini itu apa apakah bagaimana saya kamu anda bisa untuk dengan
        tidak ada atau akan sudah cara mengapa kenapa kapan dimana mana kami kita akun juga
        harus jika""",
}
# Letters only one of them writes: each counts as two function words.
_MARKS = {"es": re.compile("[ñ¿¡]"), "pt": re.compile("[ãõç]")}


def _fold(word: str) -> str:
    """Lower case without accents: visitors on phones often skip them ("como" for "cómo")."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_WORDS = {lang: frozenset(_fold(w) for w in text.split()) for lang, text in _FUNCTION_WORDS.items()}


def _latin_score(lang: str, words: list[str], lowered: str) -> int:
    marks = _MARKS.get(lang)
    return sum(w in _WORDS[lang] for w in words) + (2 * len(marks.findall(lowered)) if marks else 0)


def detect(text: str) -> str | None:
    """The language of `text` among `SUPPORTED`, or None when nothing in it tells."""
    letters = len(_LETTERS.findall(text))
    if not letters:
        return None
    for lang, script in _SCRIPTS.items():
        if len(script.findall(text)) * 2 >= letters:
            return lang
    words = [_fold(w) for w in _WORD.findall(text)]
    lowered = text.lower()
    scores = {lang: _latin_score(lang, words, lowered) for lang in _WORDS}
    best = max(scores, key=scores.__getitem__)
    runner_up = max(score for lang, score in scores.items() if lang != best)
    return best if scores[best] > runner_up else None
