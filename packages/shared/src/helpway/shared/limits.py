"""Every size and count limit of the protocol, in one place.

This module is imported by the widget on MicroPython too, so it holds plain constants only.
"""

PROTOCOL_VERSION = 1

# A frame is refused before parsing when its UTF-8 encoding is larger than this.
MAX_FRAME_BYTES = 16384
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
# History pages and resume catch-up are sent in slices of at most this many log entries.
HISTORY_PAGE = 200
