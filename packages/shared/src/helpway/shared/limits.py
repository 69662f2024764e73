"""Every size and count limit of the protocol, in one place.

This module is imported by the widget on MicroPython too, so it holds plain constants only.
"""

PROTOCOL_VERSION = 1

# A frame is refused before parsing when its UTF-8 encoding is larger than this.
MAX_FRAME_BYTES = 16384
# A WebSocket message this much bigger is not even read: the local edge's transport closes the
# socket with 1009 (message too big) instead of buffering it to answer it with an error frame.
# (Cloudflare's runtime reads messages up to 32 MiB, so there the room answers `too_large` and
# keeps the socket up to that size.)
MAX_SOCKET_MESSAGE_BYTES = 256 * 1024
# Message text is measured in code points, the unit both CPython and MicroPython count.
MAX_TEXT_CHARS = 4000
MAX_CLIENT_ID_CHARS = 64
MAX_ID_CHARS = 64
MAX_TOKEN_CHARS = 512
MAX_NAME_CHARS = 80
MAX_URL_CHARS = 2048
MAX_TITLE_CHARS = 200
MAX_CITATIONS = 8
MAX_QUERY_CHARS = 500
# A KB document, in the UTF-8 bytes of its text: what the API, the CLI and the console's
# uploads take alike (a file's size is its bytes; counting characters instead let the API take
# a Thai page three times the size the others refused).
MAX_DOCUMENT_BYTES = 2_000_000
# A visitor's satisfaction rating of a closed conversation: a score from 1 to 5 and an optional
# comment (code points, like message text).
RATING_MIN = 1
RATING_MAX = 5
MAX_RATING_COMMENT_CHARS = 1000
# The largest log sequence number: JavaScript's largest safe integer, so every seq is exact in
# a browser, and far inside SQLite's 64-bit integers (a bigger `after_seq` is refused, not a 500).
MAX_SEQ = 2**53 - 1
# History pages and resume catch-up are sent in slices of at most this many log entries.
HISTORY_PAGE = 200

# Liveness, shared by the server and the clients. A client pings at least this often…
HEARTBEAT_INTERVAL_S = 25
# …and the server drops a socket it has heard nothing from for this long (a background tab's
# timers may be throttled to one a minute, so this leaves room for one late ping).
IDLE_TIMEOUT_S = 90
# A typist repeats `typing` active this often while keys keep coming; one silent for
# TYPING_TTL_MS is no longer typing: the server then relays active=false itself.
TYPING_REPEAT_MS = 3000
TYPING_TTL_MS = 8000
# A site's presence frame lists at most this many agents with a live console (well inside
# MAX_FRAME_BYTES at MAX_NAME_CHARS each).
MAX_PRESENT_AGENTS = 50
