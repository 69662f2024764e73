"""Canned responses in the composer: which ones a draft asks for, and the draft once one is
picked. Pure, no browser calls.

Typing "/" and the start of a shortcut at the end of the draft ("/ref", or "Hi! /ref") offers
the site's responses whose shortcut starts so; picking one puts its text in place of the
"/word". A slash inside a word or a URL ("and/or", "https://") offers nothing.
"""

MAX_OFFERS = 8
_SPACE = " \t\n"


def _slash_word(draft: str) -> tuple | None:
    """(where the "/" is, the lower-cased word after it) when the draft ends in one."""
    at = draft.rfind("/")
    if at < 0 or (at > 0 and draft[at - 1] not in _SPACE):
        return None
    word = draft[at + 1 :]
    for char in word:
        if char in _SPACE:
            return None
    return at, word.lower()


def offers(responses: list, draft: str) -> list:
    """The responses to offer for `draft`: an exact shortcut first, then by shortcut."""
    found = _slash_word(draft)
    if found is None:
        return []
    word = found[1]
    matching = [r for r in responses if r["shortcut"].startswith(word)]
    matching.sort(key=lambda r: (r["shortcut"] != word, r["shortcut"]))
    return matching[:MAX_OFFERS]


def expand(draft: str, response: dict) -> str:
    """The draft with its trailing "/word" replaced by the response's text."""
    found = _slash_word(draft)
    at = len(draft) if found is None else found[0]
    return draft[:at] + response["text"]


def is_response(data: object) -> bool:
    """A canned response as `GET /api/sites/{id}/canned` lists it (what the composer needs)."""
    if not isinstance(data, dict):
        return False
    return all(isinstance(data.get(name), str) for name in ("id", "shortcut", "title", "text"))
