"""Helpway edge: the Worker app, the local edge runtime and the CLI."""
