"""KB administration: `GET /api/kb/documents` (a site's documents with their ingest status, for
its agents) and `helpway kb ingest --manifest`."""

from __future__ import annotations

import json
from pathlib import Path


async def test_agents_list_their_sites_documents_with_status(client) -> None:
    agent = await client.agent()
    auth = {"authorization": f"Bearer {agent['token']}"}
    document = {
        "site_id": "demo",
        "url": "/help/api-test-status",
        "title": "Status page",
        "content": "# Status page\n\n## Uptime\n\nSee status.example.com for incidents.\n",
    }
    created = await client.http.post("/api/kb/documents", json=document, headers=auth)
    assert created.status_code == 200, created.text
    assert created.json() == {
        "document_url": "/help/api-test-status",
        "status": "added",
        "chunks": 1,
        "embedded": 1,
    }
    again = await client.http.post("/api/kb/documents", json=document, headers=auth)
    assert (again.json()["status"], again.json()["embedded"]) == ("unchanged", 0)
    broken = {**document, "url": "/help/api-test-broken", "format": "html"}
    broken["content"] = "<div>" * 5000
    refused = await client.http.post("/api/kb/documents", json=broken, headers=auth)
    assert refused.status_code == 422, refused.text

    listed = await client.http.get("/api/kb/documents", params={"site_id": "demo"}, headers=auth)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["site_id"] == "demo"
    by_url = {d["url"]: d for d in body["documents"]}
    status = by_url["/help/api-test-status"]
    assert (status["title"], status["status"], status["chunks"]) == ("Status page", "indexed", 1)
    assert status["error"] is None and status["updated_at"] > 0
    failed = by_url["/help/api-test-broken"]
    assert (failed["status"], failed["chunks"]) == ("failed", 0) and failed["error"]
    assert any(
        d["url"].startswith("/help/") and d["status"] == "indexed" for d in body["documents"]
    )

    get = client.http.get
    unauthorized = await get("/api/kb/documents", params={"site_id": "demo"})
    assert (unauthorized.status_code, unauthorized.json()["code"]) == (401, "unauthorized")
    other = await get("/api/kb/documents", params={"site_id": "another-site"}, headers=auth)
    assert (other.status_code, other.json()["code"]) == (403, "forbidden")
    missing = await get("/api/kb/documents", headers=auth)
    assert (missing.status_code, missing.json()["code"]) == (422, "invalid")


async def test_a_deleted_document_is_cited_no_more(client) -> None:
    agent = await client.agent()
    auth = {"authorization": f"Bearer {agent['token']}"}
    document = {
        "site_id": "demo",
        "url": "/help/api-test-gift-cards",
        "content": "# Gift cards\n\n## Redeem a gift card\n\nEnter the code under Billing.\n",
    }
    assert (await client.http.post("/api/kb/documents", json=document, headers=auth)).is_success
    search = {"site_id": "demo", "q": "How do I redeem a gift card?"}
    before = (await client.http.get("/api/kb/search", params=search)).json()["hits"]
    assert before[0]["url"] == "/help/api-test-gift-cards#redeem-a-gift-card"
    target = {"site_id": "demo", "url": "/help/api-test-gift-cards"}
    delete = client.http.delete
    assert (await delete("/api/kb/documents", params=target)).status_code == 401
    other = await delete("/api/kb/documents", params={**target, "site_id": "x"}, headers=auth)
    assert (other.status_code, other.json()["code"]) == (403, "forbidden")
    deleted = await delete("/api/kb/documents", params=target, headers=auth)
    assert deleted.status_code == 204, deleted.text
    after = (await client.http.get("/api/kb/search", params=search)).json()["hits"]
    assert all(not hit["url"].startswith("/help/api-test-gift-cards") for hit in after)
    listed = await client.http.get("/api/kb/documents", params={"site_id": "demo"}, headers=auth)
    assert "/help/api-test-gift-cards" not in {d["url"] for d in listed.json()["documents"]}
    twice = await delete("/api/kb/documents", params=target, headers=auth)
    assert (twice.status_code, twice.json()["code"]) == (404, "not_found")


def test_cli_ingests_a_manifest_and_drops_what_it_no_longer_lists(tmp_path: Path, helpway) -> None:
    data = tmp_path / "data"
    help_dir = tmp_path / "help"
    (help_dir / "guides").mkdir(parents=True)
    (help_dir / "guides" / "returns.md").write_text(
        "# Returns\n\n## Return window\n\nYou may return shoes within 30 days.\n"
    )
    (help_dir / "care.txt").write_text(
        "Shoe care\n\n1.1. How do I clean suede?\n\n    Brush it dry with a suede brush.\n"
    )
    manifest = help_dir / "kb.manifest"
    manifest.write_text("guides\ncare.txt https://shoes.example/care\n")
    helpway(data, "sites", "create", "--id", "shop", "--name", "Shoe shop")
    first = helpway(data, "kb", "ingest", "--site", "shop", "--manifest", str(manifest))
    assert "2 documents (2 added)" in first.stdout
    found = helpway(data, "kb", "search", "--site", "shop", "--json", "cleaning suede shoes")
    assert json.loads(found.stdout)["hits"][0]["url"] == (
        "https://shoes.example/care#11-how-do-i-clean-suede"
    )
    manifest.write_text("guides\n")
    again = helpway(data, "kb", "ingest", "--site", "shop", "--manifest", str(manifest))
    assert "2 documents (1 unchanged, 1 deleted)" in again.stdout
    manifest.write_text("ftp://shoes.example/faq.html\n")
    refused = helpway(data, "kb", "ingest", "--site", "shop", "--manifest", str(manifest), ok=False)
    assert "not an http(s) URL" in refused.stderr
    manifest.write_text("guides\nhttp://127.0.0.1:9/faq.html\n")  # nothing listens there
    unreachable = helpway(
        data, "kb", "ingest", "--site", "shop", "--manifest", str(manifest), ok=False
    )
    assert "failed: http://127.0.0.1:9/faq.html: cannot fetch" in unreachable.stderr
    assert "1 unchanged" in unreachable.stdout
    nothing = helpway(data, "kb", "ingest", "--site", "shop", ok=False)
    assert "--manifest" in nothing.stderr
