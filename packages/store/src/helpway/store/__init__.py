"""Helpway store: D1 migrations, the Database port, its SQLite adapter and repositories.

Repositories are modules of async functions taking a `Database`: `sites`, `agents` (with
`passwords`), `agent_sessions`, `visitors`, `conversations` (the inbox, and `apply_entries`, the
rooms' outbox target), `messages` (history pages). `ids` draws ids and tokens at call time.
"""
