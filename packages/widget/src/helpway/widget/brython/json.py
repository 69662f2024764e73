"""The part of `json` the apps use, on Brython's JavaScript `_json` (its full `json` package pulls
in `re` and `enum`, a large download). `loads` raises ValueError for bad text, as CPython's and
MicroPython's do, and it takes UTF-8 bytes as they do."""

import _json  # Brython's, not CPython's accelerator of the same name


def dumps(value: object, separators: tuple | None = None) -> str:
    return _json.dumps(value, 1, separators=separators)  # type: ignore[attr-defined]


def loads(text: str | bytes) -> object:
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("utf-8")
    try:
        return _json.loads(text)  # type: ignore[attr-defined]
    except Exception as error:  # Brython's JSONError is no ValueError
        raise ValueError(str(error)) from None
