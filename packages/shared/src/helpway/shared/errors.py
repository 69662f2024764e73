"""Stable error codes for error frames and JSON error bodies.

Clients branch on these strings, so they never change meaning once released. Plain constants so
that the MicroPython widget can import this module as it is.
"""

BAD_FRAME = "bad_frame"  # not JSON, not an object, or no known `type`
TOO_LARGE = "too_large"  # frame or body over the byte limit
INVALID = "invalid"  # a field is missing, of the wrong type, or out of range
UNSUPPORTED_VERSION = "unsupported_version"
UNAUTHORIZED = "unauthorized"  # missing, malformed or expired credentials
FORBIDDEN = "forbidden"  # valid credentials, but not for this resource
NOT_FOUND = "not_found"
NOT_JOINED = "not_joined"  # a frame other than `join` before joining
ALREADY_JOINED = "already_joined"
RATE_LIMITED = "rate_limited"  # too many sends: slow down and retry the same client_id
ROOM_FULL = "room_full"  # the conversation has as many open sockets as it takes; retry join
CONVERSATION_CLOSED = "conversation_closed"
CONFLICT = "conflict"
INTERNAL = "internal"

ALL = (
    BAD_FRAME,
    TOO_LARGE,
    INVALID,
    UNSUPPORTED_VERSION,
    UNAUTHORIZED,
    FORBIDDEN,
    NOT_FOUND,
    NOT_JOINED,
    ALREADY_JOINED,
    RATE_LIMITED,
    ROOM_FULL,
    CONVERSATION_CLOSED,
    CONFLICT,
    INTERNAL,
)
