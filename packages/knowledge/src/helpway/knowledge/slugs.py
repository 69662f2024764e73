"""GitHub-style heading slugs, so Markdown anchors match what authors see on GitHub.

The rule follows github-slugger: lower-case, drop punctuation and symbols (keeping letters, marks,
digits, `-` and `_` in any script), spaces become `-`; a repeated slug gets `-1`, `-2`, ...
"""

from __future__ import annotations

import unicodedata


def github_slug(text: str) -> str:
    """The slug GitHub gives a heading with this plain text (before de-duplication)."""
    out: list[str] = []
    for char in text.strip().lower():
        if char == " ":
            out.append("-")
        elif char in "-_" or unicodedata.category(char)[0] in "LMN":
            out.append(char)
    return "".join(out)


class Slugger:
    """Hands out unique slugs within one document, remembering ids already taken.

    Each base slug remembers the last suffix it handed out: ids are only ever added, so every
    suffix below it is still taken, and the search resumes there — a page repeating one heading
    thousands of times would otherwise try every suffix again for each, quadratic in the page.
    """

    def __init__(self, taken: set[str] | None = None) -> None:
        self._taken: set[str] = set(taken or ())
        self._last: dict[str, int] = {}

    def reserve(self, anchor: str) -> None:
        """Mark an explicit id as used so generated slugs never collide with it."""
        self._taken.add(anchor)

    def slug(self, text: str) -> str:
        base = github_slug(text) or "section"
        n = self._last.get(base, 0)
        candidate = f"{base}-{n}" if n else base
        while candidate in self._taken:
            n += 1
            candidate = f"{base}-{n}"
        self._last[base] = n
        self._taken.add(candidate)
        return candidate
