-- Site roles gain `owner` (who may delete the site and manage its admins), and agents are
-- invited by one-time links. SQLite cannot change a CHECK in place, so site_agents is copied
-- into a table with the new CHECK and renamed (nothing references site_agents). Plain SQLite
-- that D1 accepts: no PRAGMA, no transactions.
CREATE TABLE site_agents_0009 (
    site_id TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    agent_id TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    role TEXT NOT NULL DEFAULT 'agent' CHECK (role IN ('agent', 'admin', 'owner')),
    PRIMARY KEY (site_id, agent_id)
);
INSERT INTO site_agents_0009 (site_id, agent_id, role)
    SELECT site_id, agent_id, role FROM site_agents;
DROP TABLE site_agents;
ALTER TABLE site_agents_0009 RENAME TO site_agents;
CREATE INDEX site_agents_by_agent ON site_agents (agent_id);

-- An invite: a link for one e-mail to join one site with one role, used once, before it
-- expires. Only the SHA-256 of the link's token is kept (like sessions and API keys).
CREATE TABLE agent_invites (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    site_id TEXT NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('agent', 'admin')),
    invited_by TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);
CREATE INDEX agent_invites_by_site ON agent_invites (site_id);
