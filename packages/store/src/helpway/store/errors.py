"""Exceptions the repositories raise for conditions a caller must turn into an answer."""

from __future__ import annotations


class StoreError(Exception):
    """Base of the store's own errors."""


class Conflict(StoreError):
    """A row with the same unique key already exists (e.g. an agent's email)."""


class NotFound(StoreError):
    """A row the operation needs does not exist (e.g. the conversation of a log entry)."""
