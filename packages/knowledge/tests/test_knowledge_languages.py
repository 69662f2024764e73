"""Language of visitor questions and KB text, and the assistant's own words in that language."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from helpway.knowledge.chunking import chunk_document
from helpway.knowledge.evaluation import DEBIAN_FAQ_SETS
from helpway.knowledge.html_sections import parse_html
from helpway.knowledge.knowledge_base import KnowledgeBase
from helpway.knowledge.languages import SUPPORTED, detect
from helpway.knowledge.markdown_sections import parse_markdown
from helpway.knowledge.wording import ENGLISH, WORDINGS, wording_for
from helpway.store import kb as kb_rows

DATA = Path(__file__).with_name("data")


def labelled_questions() -> list[tuple[str, str]]:
    """Every question of our labelled sets, with the language its author wrote it in."""
    files = [*DEBIAN_FAQ_SETS.values(), DATA / "demo-kb-eval.jsonl"]
    return [
        (item["question"], item.get("lang", "en"))
        for path in files
        for item in map(json.loads, path.read_text(encoding="utf-8").splitlines())
    ]


def test_questions_are_recognised_in_every_language() -> None:
    right: Counter[str] = Counter()
    asked: Counter[str] = Counter()
    for question, lang in labelled_questions():
        asked[lang] += 1
        right[lang] += detect(question) == lang
    assert set(asked) == {"en", "es", "id", "pt", "th"}
    for lang in asked:
        assert right[lang] / asked[lang] >= 0.95, (lang, right[lang], asked[lang])


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Como faço para cancelar minha assinatura?", "pt"),
        ("como cambio mi contrasena", "es"),  # no accents, as typed on a phone
        ("Bagaimana cara mengganti kata sandi saya?", "id"),
        ("ฉันจะเปลี่ยนรหัสผ่านได้อย่างไร", "th"),
        ("كيف أغير كلمة المرور؟", "ar"),
        ("איך אני משנה את הסיסמה?", "he"),
        ("How do I install Debian on a laptop?", "en"),
        ("ขอ refund ได้ไหม", "th"),  # mostly Thai, one English word
    ],
)
def test_short_questions(text: str, lang: str) -> None:
    assert detect(text) == lang


@pytest.mark.parametrize("text", ["", "   ", "42", "apt-mark", "OK"])
def test_text_that_tells_nothing_has_no_language(text: str) -> None:
    assert detect(text) is None
    assert wording_for(text) is ENGLISH


def test_every_language_has_all_of_our_sentences() -> None:
    assert set(WORDINGS) == set(SUPPORTED)
    for lang, wording in WORDINGS.items():
        assert all(part.strip() for part in wording), lang
        assert wording.quoting.count("{}") == wording.see_also.count("{}") == 1, lang
        if lang != "en":  # written in the language itself, not left in English
            assert wording.decline != ENGLISH.decline
            assert detect(wording.decline) == lang, lang


def test_chunks_keep_the_declared_language_else_the_written_one() -> None:
    declared = parse_html(
        '<html lang="en"><body><h1 id="a">Título</h1>'
        "<p>Hola a todos, ¿cómo están?</p></body></html>"
    )
    assert {c.lang for c in chunk_document(declared, "p.html")} == {"en"}
    markdown = parse_markdown(
        "# Facturación\n\n## Métodos de pago\n\n"
        "¿Puedo pagar con PayPal? Sí, aceptamos tarjetas y PayPal.\n\n"
        "## ข้อมูลการชำระเงิน\n\nเรารับบัตรเครดิตและพร้อมเพย์\n"
    )
    assert [c.lang for c in chunk_document(markdown, "/help/billing")] == ["es", "th"]


async def test_ingested_chunks_store_their_language(kb: KnowledgeBase) -> None:
    spanish = (
        "# Facturación\n\n## Métodos de pago\n\n¿Puedo pagar con PayPal? Sí, aceptamos PayPal.\n"
    )
    english = "# Billing\n\n## Payment methods\n\nYou can pay by card or with PayPal.\n"
    await kb.ingest_document("site-a", "/es/billing", None, spanish, "markdown")
    await kb.ingest_document("site-a", "/help/billing", None, english, "markdown")
    rows = await kb.db.all(
        "SELECT url, lang FROM kb_chunks WHERE site_id = ? ORDER BY url", ["site-a"]
    )
    assert {(r["url"], r["lang"]) for r in rows} == {
        ("/es/billing#métodos-de-pago", "es"),
        ("/help/billing#payment-methods", "en"),
    }
    assert await kb_rows.count_chunks(kb.db, "site-a") == 2
