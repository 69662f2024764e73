-- API keys for a site's REST API: only the SHA-256 of a key is kept (it is shown once, when
-- made); scopes are a JSON list; a revoked key keeps its row (revoked_at) for the record.
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX api_keys_by_site ON api_keys (site_id);
