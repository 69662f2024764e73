-- Chat tables: sites, agents and their sessions, visitors, conversations and their log.
-- Times are Unix milliseconds (the unit of the wire frames); JSON columns hold JSON text.
-- Applied by `wrangler d1 migrations apply` on D1 and by helpway.store.migrate locally, so this
-- file stays plain SQLite that D1 accepts: no PRAGMA, no ATTACH, no transactions.

CREATE TABLE sites (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    allowed_origins TEXT NOT NULL DEFAULT '[]',
    config TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL
);

CREATE TABLE agents (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE site_agents (
    site_id TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    agent_id TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    role TEXT NOT NULL DEFAULT 'agent' CHECK (role IN ('agent', 'admin')),
    PRIMARY KEY (site_id, agent_id)
);
CREATE INDEX site_agents_by_agent ON site_agents (agent_id);

-- Only the SHA-256 of a session token is kept: a leaked table cannot be replayed.
CREATE TABLE agent_sessions (
    token_hash TEXT PRIMARY KEY,
    agent_id TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX agent_sessions_by_agent ON agent_sessions (agent_id);

CREATE TABLE visitors (
    id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    locale TEXT,
    page_url TEXT,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);

-- The summary columns (status, last_*) mirror the room's log; they are written only by
-- applying committed log entries, so D1 converges on what the room holds.
CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    visitor_id TEXT NOT NULL REFERENCES visitors (id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'waiting_human', 'closed')),
    last_seq INTEGER NOT NULL DEFAULT 0,
    last_text TEXT NOT NULL DEFAULT '',
    last_author_role TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX conversations_inbox ON conversations (site_id, updated_at DESC);
CREATE INDEX conversations_by_visitor ON conversations (visitor_id, created_at DESC);

-- One row per log entry of a room: a message or an event, in the room's sequence.
CREATE TABLE messages (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('message', 'event')),
    author_id TEXT NOT NULL,
    author_role TEXT NOT NULL,
    author_name TEXT NOT NULL,
    text TEXT,
    client_id TEXT,
    citations TEXT,
    answer_id TEXT,
    resolution TEXT,
    event_name TEXT,
    status TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, seq)
);
