"""When the console tells an agent who is looking elsewhere: pure, no browser calls.

A hidden console tab gets a notification and a sound when a visitor starts a conversation or
says something more; the agent's own replies and the assistant's answers stay quiet. The tab's
title always carries the number of conversations with unread messages.
"""

BASE_TITLE = "Helpway · Agent console"


def news(held: dict | None, summary: dict) -> str | None:
    """What an inbox update `summary` arriving over the row `held` brings: "conversation"
    (one the inbox did not hold), "message" (a visitor said more) or None."""
    if summary["last_author_role"] != "visitor":
        return None
    if held is None:
        return "conversation"
    return "message" if summary["last_seq"] > held["last_seq"] else None


def title(unread: int) -> str:
    return "(" + str(unread) + ") " + BASE_TITLE if unread else BASE_TITLE


def notification(kind: str, visitor_name: str, text: str) -> tuple:
    """(title, body) of the browser notification."""
    heading = "New conversation" if kind == "conversation" else "New message"
    body = text if len(text) <= 120 else text[:119] + "…"
    return heading + " · " + visitor_name, body
