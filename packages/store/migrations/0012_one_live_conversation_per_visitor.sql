-- A visitor has at most one conversation that is not closed: two tabs (or a double click)
-- asking for the visitor's conversation at the same moment must end up in the same one
-- (`conversations.current_or_new_conversation`), whoever writes the row. A closed conversation
-- does not count, so an older closed one never blocks a new one.
CREATE UNIQUE INDEX conversations_one_live_per_visitor ON conversations (visitor_id)
    WHERE status != 'closed';
