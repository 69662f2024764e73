-- Knowledge base: each document's ingest status, and the manifest that listed it.
-- Plain SQLite that D1 accepts: no PRAGMA, no transactions.

-- 'indexed': the document's chunks are its current content. 'failed': its last ingest failed
-- (`error` says why); chunks of an earlier good version, if any, still answer until it is fixed.
ALTER TABLE kb_documents ADD COLUMN status TEXT NOT NULL DEFAULT 'indexed'
    CHECK (status IN ('indexed', 'failed'));
ALTER TABLE kb_documents ADD COLUMN error TEXT;

-- The manifest file a document was ingested from, if any: documents it no longer lists are
-- deleted when it is ingested again (`source` stays the listed file or folder, which the local
-- edge serves from).
ALTER TABLE kb_documents ADD COLUMN manifest TEXT;
CREATE INDEX kb_documents_by_manifest ON kb_documents (site_id, manifest);
