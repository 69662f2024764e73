"""When the console tells an agent who is looking elsewhere: pure, no browser calls.

A hidden console tab gets a notification and a sound when a visitor starts a conversation,
says something more, or asks for a human; the agents' own replies stay quiet, and so does the
assistant answering a question already announced. An inbox update is a summary, and the outbox
may publish a visitor's message and the assistant's answer in one: a summary that grew and
ends with the assistant's answer is news unless the row held before already ended with the
visitor's message. A visitor's first rating of a closed conversation is news too ("rating",
told with its score). The tab's title always carries the number of conversations with unread
messages.
"""

BASE_TITLE = "Helpway · Agent console"
WAITING = "waiting_human"
_HEADINGS = {
    "conversation": "New conversation",
    "message": "New message",
    "handoff": "Wants a human",
    "rating": "New rating",
}


def news(held: dict | None, summary: dict) -> str | None:
    """What an inbox update `summary` arriving over the row `held` brings: "conversation" (one
    the inbox did not hold), "handoff" (the visitor asked for a human), "rating" (the visitor
    rated it), "message" (the visitor said more) or None."""
    role = summary["last_author_role"]
    if held is None:
        return None if role == "agent" else "conversation"
    if summary["status"] == WAITING and held["status"] != WAITING:
        return "handoff"
    if summary.get("rating") and not held.get("rating"):
        return "rating"
    if summary["last_seq"] <= held["last_seq"] or role == "agent":
        return None
    if role == "assistant" and held["last_author_role"] == "visitor":
        return None  # the assistant answering what was announced
    return "message"


def title(unread: int) -> str:
    return "(" + str(unread) + ") " + BASE_TITLE if unread else BASE_TITLE


def notification(kind: str, visitor_name: str, text: str) -> tuple:
    """(title, body) of the browser notification; a rating's `text` is its score's words."""
    heading = _HEADINGS.get(kind, "New message")
    body = text if len(text) <= 120 else text[:119] + "…"
    return heading + " · " + visitor_name, body
