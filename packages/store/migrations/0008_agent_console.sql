-- The agent console: search over conversation messages, a site's canned responses, and the
-- visitor context the widget reports besides page and language (time zone, browser).
-- Plain SQLite that D1 accepts: no PRAGMA, no transactions.

-- Message search. Two tokenizers, as for the knowledge base (0002_knowledge.sql):
--  * messages_fts: words, Porter-stemmed, diacritics folded, for languages written with spaces;
--  * messages_trigram_fts: character trigrams, for scripts written without spaces (Thai,
--    Chinese, Japanese, ...) that unicode61 cannot split into words.
-- Both are external-content tables over `messages` (no second copy of the text) keyed by its
-- rowid. `messages` has no INTEGER PRIMARY KEY, so a VACUUM could renumber its rowids: after
-- one, rebuild both (INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')). D1 never
-- vacuums a database behind its owner's back, and the local store does not vacuum at all.
-- Every row is indexed, events too: their NULL text adds no terms, and indexing exactly the
-- rows of the table keeps the triggers' deletes and a rebuild in agreement.
CREATE VIRTUAL TABLE messages_fts USING fts5(
    text,
    content = 'messages',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE messages_trigram_fts USING fts5(
    text,
    content = 'messages',
    tokenize = 'trigram'
);

CREATE TRIGGER messages_after_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, text) VALUES (new.rowid, new.text);
    INSERT INTO messages_trigram_fts (rowid, text) VALUES (new.rowid, new.text);
END;

CREATE TRIGGER messages_after_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
    INSERT INTO messages_trigram_fts (messages_trigram_fts, rowid, text)
        VALUES ('delete', old.rowid, old.text);
END;

CREATE TRIGGER messages_after_update AFTER UPDATE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
    INSERT INTO messages_trigram_fts (messages_trigram_fts, rowid, text)
        VALUES ('delete', old.rowid, old.text);
    INSERT INTO messages_fts (rowid, text) VALUES (new.rowid, new.text);
    INSERT INTO messages_trigram_fts (rowid, text) VALUES (new.rowid, new.text);
END;

-- Messages stored before this migration.
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
INSERT INTO messages_trigram_fts (messages_trigram_fts) VALUES ('rebuild');

-- Saved replies of a site, offered in the composer by shortcut ("/refund" -> shortcut
-- 'refund'). Site admins manage them; every agent of the site uses them.
CREATE TABLE canned_responses (
    id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    shortcut TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (site_id, shortcut)
);

-- What the visitor's browser says about itself: its IANA time zone (the widget sends it) and
-- its User-Agent header (the edge reads it off the session request).
ALTER TABLE visitors ADD COLUMN time_zone TEXT;
ALTER TABLE visitors ADD COLUMN user_agent TEXT;
