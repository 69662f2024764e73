-- Identity verification: a site's secret (the site owner's server signs its user ids with it,
-- HMAC-SHA256) and whether the widget must present a verified identity; a visitor keeps the
-- user id it proved. D1 (like SQLite) adds columns in place; old rows read as unverified.
ALTER TABLE sites ADD COLUMN identity_secret TEXT;
ALTER TABLE sites ADD COLUMN identity_required INTEGER NOT NULL DEFAULT 0;
ALTER TABLE visitors ADD COLUMN user_id TEXT;
CREATE INDEX visitors_by_user ON visitors (site_id, user_id);
