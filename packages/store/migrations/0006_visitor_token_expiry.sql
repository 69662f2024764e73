-- Visitor tokens are short-lived: each has an expiry, pushed back while the visitor is active
-- and renewed (a new token) by the visitor session within a refresh window after it passed.
-- Rows from before this migration have none until their next session renews them.
ALTER TABLE visitors ADD COLUMN token_expires_at INTEGER;
