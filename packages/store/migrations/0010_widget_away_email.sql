-- The e-mail a visitor leaves outside the site's business hours, for the team to reply to, and
-- when they left it (Unix ms). The widget's own settings (languages, theme, hours) live in the
-- JSON `sites.config`, which takes new keys without a migration.
ALTER TABLE visitors ADD COLUMN email TEXT;
ALTER TABLE visitors ADD COLUMN email_at INTEGER;
