-- Knowledge base: ingested documents, their chunks, and two FTS5 indexes over the chunks.
-- Chunk vectors live in the vector index (Vectorize / the local index) under the chunk's id;
-- these rows are the source of truth: a vector whose chunk row is gone is ignored.
-- Times are Unix milliseconds. Plain SQLite that D1 accepts: no PRAGMA, no transactions.

CREATE TABLE kb_documents (
    id TEXT PRIMARY KEY,                 -- hash of (site_id, url)
    site_id TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    url TEXT NOT NULL,                   -- without #anchor
    title TEXT NOT NULL,
    format TEXT NOT NULL CHECK (format IN ('markdown', 'html', 'text')),
    source TEXT,                         -- the folder or file it was ingested from, if any
    content_hash TEXT NOT NULL,          -- of the raw content: unchanged documents are skipped
    chunk_count INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (site_id, url)
);
CREATE INDEX kb_documents_by_source ON kb_documents (site_id, source);

-- Chunks are immutable: a changed document gets its chunks deleted and inserted again.
-- `seq` is the FTS rowid (an INTEGER PRIMARY KEY survives VACUUM, a plain rowid may not).
CREATE TABLE kb_chunks (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,             -- also the vector id: hash of (site, url, content)
    document_id TEXT NOT NULL REFERENCES kb_documents (id) ON DELETE CASCADE,
    site_id TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    url TEXT NOT NULL,                   -- document url + #anchor of the section
    title TEXT NOT NULL,                 -- the document's title
    heading TEXT NOT NULL,               -- the section's heading
    heading_path TEXT NOT NULL,          -- title and headings down to the section, joined by ' › '
    lang TEXT,
    text TEXT NOT NULL,
    content_hash TEXT NOT NULL
);
CREATE INDEX kb_chunks_by_document ON kb_chunks (document_id, ordinal);
CREATE INDEX kb_chunks_by_site ON kb_chunks (site_id);

-- Lexical search. Two tokenizers, because no single one serves every language:
--  * kb_chunks_fts: words, Porter-stemmed, diacritics folded — for languages written with
--    spaces (English, Spanish, Indonesian, Portuguese, ...): "upgraded" finds "upgrade".
--  * kb_chunks_trigram_fts: character trigrams — for scripts written without spaces (Thai,
--    Chinese, Japanese, ...) that unicode61 cannot split into words.
-- Both are external-content tables over kb_chunks (no second copy of the text), kept in sync by
-- the triggers below.
CREATE VIRTUAL TABLE kb_chunks_fts USING fts5(
    title, heading_path, text,
    content = 'kb_chunks', content_rowid = 'seq',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE kb_chunks_trigram_fts USING fts5(
    title, heading_path, text,
    content = 'kb_chunks', content_rowid = 'seq',
    tokenize = 'trigram'
);

CREATE TRIGGER kb_chunks_after_insert AFTER INSERT ON kb_chunks BEGIN
    INSERT INTO kb_chunks_fts (rowid, title, heading_path, text)
        VALUES (new.seq, new.title, new.heading_path, new.text);
    INSERT INTO kb_chunks_trigram_fts (rowid, title, heading_path, text)
        VALUES (new.seq, new.title, new.heading_path, new.text);
END;

CREATE TRIGGER kb_chunks_after_delete AFTER DELETE ON kb_chunks BEGIN
    INSERT INTO kb_chunks_fts (kb_chunks_fts, rowid, title, heading_path, text)
        VALUES ('delete', old.seq, old.title, old.heading_path, old.text);
    INSERT INTO kb_chunks_trigram_fts (kb_chunks_trigram_fts, rowid, title, heading_path, text)
        VALUES ('delete', old.seq, old.title, old.heading_path, old.text);
END;

CREATE TRIGGER kb_chunks_after_update AFTER UPDATE ON kb_chunks BEGIN
    INSERT INTO kb_chunks_fts (kb_chunks_fts, rowid, title, heading_path, text)
        VALUES ('delete', old.seq, old.title, old.heading_path, old.text);
    INSERT INTO kb_chunks_trigram_fts (kb_chunks_trigram_fts, rowid, title, heading_path, text)
        VALUES ('delete', old.seq, old.title, old.heading_path, old.text);
    INSERT INTO kb_chunks_fts (rowid, title, heading_path, text)
        VALUES (new.seq, new.title, new.heading_path, new.text);
    INSERT INTO kb_chunks_trigram_fts (rowid, title, heading_path, text)
        VALUES (new.seq, new.title, new.heading_path, new.text);
END;
