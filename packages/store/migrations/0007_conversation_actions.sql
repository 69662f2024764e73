-- Agents' conversation actions. A conversation's assignee mirrors the room's latest
-- `assigned`/`unassigned` event (NULL: unassigned), like the other summary columns; its name is
-- the agent's, read with the inbox. Log rows say whether only agents may see them (notes and
-- assignment events, `frames.agents_only`): the visitor's history never reads those. A note is
-- a row of kind 'message' marked internal; an assignment event names its assignee.
ALTER TABLE conversations ADD COLUMN assignee_id TEXT;
CREATE INDEX conversations_by_assignee ON conversations (site_id, assignee_id, updated_at DESC);
ALTER TABLE messages ADD COLUMN internal INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN assignee_id TEXT;
ALTER TABLE messages ADD COLUMN assignee_name TEXT;
