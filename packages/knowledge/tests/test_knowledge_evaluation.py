"""The evaluation matches expected sections wherever the KB was published."""

from __future__ import annotations

from helpway.knowledge.evaluation import EvalQuestion, evaluate, same_section
from helpway.knowledge.knowledge_base import KnowledgeBase

BILLING = """\
# Billing

## Payment methods

We accept Visa, Mastercard and PayPal.

## Invoices

Download every invoice as a PDF from Settings, Billing, Invoices.
"""


def test_same_section_matches_whole_path_segments_under_any_base() -> None:
    expected = "pkg-basics.en.html#puttingonhold"
    assert same_section(expected, expected)
    assert same_section("/kb/faq/pkg-basics.en.html#puttingonhold", expected)
    assert same_section("https://example.org/faq/pkg-basics.en.html#puttingonhold", expected)
    assert not same_section("/kb/faq/old-pkg-basics.en.html#puttingonhold", expected)
    assert not same_section("/kb/faq/pkg-basics.en.html#puttingonhold2", expected)
    assert not same_section("/kb/faq/pkg-basics.en.html", expected)


async def test_eval_of_a_site_published_under_a_base_url(kb: KnowledgeBase) -> None:
    await kb.ingest_document("site-a", "/kb/site-a/billing", None, BILLING, "markdown")
    questions = [
        EvalQuestion("Can I pay with PayPal?", ("billing#payment-methods",), "en"),
        EvalQuestion("Where do I find my invoices?", ("billing#invoices",), "en"),
        EvalQuestion("How do I repair a bicycle chain?", (), "en"),
    ]
    report = await evaluate(kb, "site-a", questions)
    assert report.recall(1) == 1.0, report.to_dict()
    assert report.decline_rate == 1.0, report.to_dict()
