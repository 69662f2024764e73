"""Helpway store: D1 migrations, the Database port, its SQLite adapter and repositories."""
