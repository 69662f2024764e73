"""The visitor's satisfaction rating (CSAT) of a closed conversation: what the widget's prompt
shows, whether a comment fits, the frame it goes out as. Pure, no browser calls; runs on
MicroPython (the widget, the console's stars) and CPython (tests).

The room takes one rating per conversation (the first stands), so the prompt asks only while
the conversation is closed and unrated, says "sending" while ours is on its way, and thanks the
visitor once the `rated` event is in the log, after a reload too. A reopen hides it.
"""

try:
    from helpway.shared import limits
    from helpway.widget.app import i18n, state
except ImportError:  # MicroPython: the codec modules sit flat on the path
    import i18n
    import limits
    import state

HIDDEN = ""
ASK = "ask"
SENDING = "sending"
THANKS = "thanks"
SCORES = tuple(range(limits.RATING_MIN, limits.RATING_MAX + 1))


def prompt(conversation: state.Conversation) -> str:
    """What the rating box shows: HIDDEN, ASK, SENDING or THANKS."""
    if conversation.status != "closed":
        return HIDDEN
    if conversation.rating is not None:
        return THANKS
    sent = conversation.rating_sent
    if sent is not None and not sent["error"]:
        return SENDING
    return ASK


def problem(score: int | None, comment: str, lang: str = i18n.DEFAULT) -> str | None:
    """Why this rating cannot be sent, said in `lang`; None when it can."""
    if score not in SCORES:
        return i18n.text(lang, "rate_pick")
    if len(comment) > limits.MAX_RATING_COMMENT_CHARS:
        params = {"count": len(comment), "limit": limits.MAX_RATING_COMMENT_CHARS}
        return i18n.text(lang, "rate_too_long", params)
    return None


def rating_frame(client_id: str, score: int, comment: str) -> dict:
    """The `rating.send` frame; a blank comment is left out."""
    frame = {"type": "rating.send", "client_id": client_id, "score": score}
    if comment.strip():
        frame["comment"] = comment
    return frame


def stars(score: int) -> str:
    """The score drawn as five stars, filled up to it: "★★★★☆" for 4."""
    score = max(0, min(limits.RATING_MAX, score))
    return "★" * score + "☆" * (limits.RATING_MAX - score)
