"""Measure retrieval and the answer/decline decision on a labelled question set.

A set is JSON lines `{"question", "expected": ["page#anchor", ...], "lang"}` as in
`shared/kb-eval/`; an empty `expected` means the KB does not answer it and the assistant must
decline. Recall@k counts a question as found when any expected section is among the first k
hits. `make eval` (the CLI's `kb eval`) prints this report for the Debian FAQ.

Expected URLs are written relative to where the KB is published (`pkg-basics.en.html#x`), while
hits carry the base URL they were ingested under (`/kb/faq/pkg-basics.en.html#x`), so a hit
matches when its URL is the expected one or ends with it after a `/`.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .knowledge_base import KnowledgeBase

KS = (1, 3, 5)
DEBIAN_FAQ_DIR = Path("/usr/share/doc/debian/FAQ")
# The question sets on the Debian FAQ, kept in the package so that `make eval` and the tests
# work from any clone. `dev` is a copy of `shared/kb-eval/debian-faq-dev.jsonl` (refresh it when
# the shared set changes); `heldout` holds questions written for Helpway and never tuned on, and
# `multilingual` ones in Indonesian, Spanish, Portuguese and Thai, which `dev` barely has.
DEBIAN_FAQ_SETS = {
    name: Path(__file__).with_name("eval_sets") / f"debian-faq-{name}.jsonl"
    for name in ("dev", "heldout", "multilingual")
}


@dataclass(frozen=True)
class EvalQuestion:
    question: str
    expected: tuple[str, ...]
    lang: str


def same_section(hit_url: str, expected: str) -> bool:
    """`hit_url` is `expected`, or `expected` under some base URL (whole path segments only:
    `basics.html#x` does not match `/kb/pkg-basics.html#x`)."""
    return hit_url == expected or hit_url.endswith("/" + expected.lstrip("/"))


@dataclass(frozen=True)
class EvalOutcome:
    question: EvalQuestion
    urls: tuple[str, ...]  # hits, best first
    top_similarity: float
    answered: bool  # the policy would answer (else decline)
    seconds: float

    def found_at(self, k: int) -> bool:
        return any(
            same_section(url, expected)
            for url in self.urls[:k]
            for expected in self.question.expected
        )


@dataclass
class EvalReport:
    outcomes: list[EvalOutcome] = field(default_factory=list)

    def _answerable(self, lang: str | None = None) -> list[EvalOutcome]:
        return [
            o
            for o in self.outcomes
            if o.question.expected and (lang is None or o.question.lang == lang)
        ]

    def recall(self, k: int, lang: str | None = None) -> float | None:
        rows = self._answerable(lang)
        return sum(o.found_at(k) for o in rows) / len(rows) if rows else None

    @property
    def languages(self) -> list[str]:
        return sorted({o.question.lang for o in self._answerable()})

    @property
    def out_of_kb(self) -> list[EvalOutcome]:
        return [o for o in self.outcomes if not o.question.expected]

    @property
    def decline_rate(self) -> float | None:
        """Share of out-of-KB questions declined (the target is 1.0)."""
        rows = self.out_of_kb
        return sum(not o.answered for o in rows) / len(rows) if rows else None

    @property
    def answer_rate(self) -> float | None:
        """Share of answerable questions answered rather than declined."""
        rows = self._answerable()
        return sum(o.answered for o in rows) / len(rows) if rows else None

    @property
    def correct_answer_rate(self) -> float | None:
        """Share of answerable questions answered from an expected section."""
        rows = self._answerable()
        return sum(o.answered and o.found_at(1) for o in rows) / len(rows) if rows else None

    def latency_ms(self, quantile: float) -> float:
        times = sorted(o.seconds for o in self.outcomes)
        if len(times) < 2:
            return times[0] * 1000 if times else 0.0
        cuts = statistics.quantiles(times, n=100, method="inclusive")
        return cuts[round(quantile * 100) - 1] * 1000

    def to_dict(self) -> dict[str, Any]:
        return {
            "questions": len(self.outcomes),
            "answerable": len(self._answerable()),
            "out_of_kb": len(self.out_of_kb),
            "recall": {
                lang: {f"@{k}": self.recall(k, None if lang == "all" else lang) for k in KS}
                for lang in ["all", *self.languages]
            },
            "answerable_by_language": {
                lang: len(self._answerable(lang)) for lang in self.languages
            },
            "decline_rate_out_of_kb": self.decline_rate,
            "answer_rate_answerable": self.answer_rate,
            "correct_answer_rate": self.correct_answer_rate,
            "latency_ms": {"p50": self.latency_ms(0.5), "p95": self.latency_ms(0.95)},
            "misses": [
                {"question": o.question.question, "expected": list(o.question.expected),
                 "got": list(o.urls[:3]), "answered": o.answered}
                for o in self.outcomes
                if (o.question.expected and not o.found_at(1))
                or (not o.question.expected and o.answered)
            ],
        }  # fmt: skip

    def table(self) -> str:
        """A short human-readable summary."""

        def pct(value: float | None) -> str:
            return "  -  " if value is None else f"{value * 100:5.1f}%"

        lines = [f"{'lang':6} {'n':>3} " + " ".join(f"{'R@' + str(k):>6}" for k in KS)]
        for lang in ["all", *self.languages]:
            key = None if lang == "all" else lang
            n = len(self._answerable(key))
            lines.append(f"{lang:6} {n:3d} " + " ".join(pct(self.recall(k, key)) for k in KS))
        lines.append(f"out-of-KB declined: {pct(self.decline_rate)} of {len(self.out_of_kb)}")
        lines.append(f"answerable answered: {pct(self.answer_rate)}")
        lines.append(f"search latency p50 {self.latency_ms(0.5):.1f} ms")
        return "\n".join(lines)


def load_questions(path: Path) -> list[EvalQuestion]:
    questions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            questions.append(
                EvalQuestion(item["question"], tuple(item["expected"]), item.get("lang", "en"))
            )
    return questions


async def evaluate(
    kb: KnowledgeBase, site_id: str, questions: Sequence[EvalQuestion], k: int = max(KS)
) -> EvalReport:
    """Search every question as the assistant would, and record what it would do."""
    report = EvalReport()
    for question in questions:
        started = time.perf_counter()
        hits = await kb.search(site_id, question.question, k=k)
        seconds = time.perf_counter() - started
        report.outcomes.append(
            EvalOutcome(
                question=question,
                urls=tuple(hit.url for hit in hits),
                top_similarity=hits[0].similarity if hits else 0.0,
                answered=kb.policy.confident(hits),
                seconds=seconds,
            )
        )
    return report
