"""`GET /api/kb/documents`: a site's KB documents with their ingest status, for its agents."""

from __future__ import annotations


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
