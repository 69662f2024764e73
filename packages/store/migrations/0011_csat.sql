-- The visitor's satisfaction rating of a closed conversation (CSAT, event `rated`). The log row
-- of the event holds the score and the comment; the conversation's `rating` mirrors the score of
-- its latest `rated` event (NULL: not rated), like the other summary columns, for the inbox.
-- Plain SQLite that D1 accepts: no PRAGMA, no transactions.
ALTER TABLE messages ADD COLUMN rating INTEGER CHECK (rating BETWEEN 1 AND 5);
ALTER TABLE messages ADD COLUMN rating_comment TEXT;
ALTER TABLE conversations ADD COLUMN rating INTEGER CHECK (rating BETWEEN 1 AND 5);
