"""The MicroPython-safe frame codec: decode and validate JSON frames against `wire_spec`.

The browser apps run this instead of pydantic. It implements exactly the subset of JSON Schema
that `spec_export` emits, so keep it free of `typing`, dataclasses and anything else MicroPython
lacks (annotations use builtins only; MicroPython parses and ignores them). Results are
tuples rather than exceptions so callers on either runtime stay simple.

Each runtime's `json` module is lenient in its own way (MicroPython's accepts trailing commas,
raw control characters, bad escapes and leading zeros, mangles escaped surrogate pairs and has
no NaN; CPython's accepts lone surrogates and recurses without bound), so `decode` first scans
the text with the grammar pydantic's parser applies and only then hands it to `json.loads`.
`tests/test_wire_micropython.py` holds all three to one corpus.
"""

import json

try:
    from . import errors, limits
except ImportError:  # the widget bundle ships these modules flat, not as a package
    import errors  # type: ignore[no-redef]
    import limits  # type: ignore[no-redef]

# A value may sit inside at most this many arrays/objects: the recursion limit of pydantic's JSON
# parser, so both refuse the same frames (and CPython's json never recurses too deep).
MAX_JSON_DEPTH = 200

# Code point ranges that draw nothing: Unicode White_Space, and the default-ignorable format
# characters (zero-width spaces and joiners, bidi controls, variation selectors, tags, fillers).
# A text made only of them would be an empty-looking bubble, so a text needs one character
# outside them. Checked by code point on both runtimes because `re` differs: MicroPython's `\s`
# is ASCII-only, CPython's adds U+001C..U+001F.
_INVISIBLE = (
    (0x9, 0xD), (0x20, 0x20), (0x85, 0x85), (0xA0, 0xA0), (0xAD, 0xAD), (0x34F, 0x34F),
    (0x61C, 0x61C), (0x115F, 0x1160), (0x1680, 0x1680), (0x17B4, 0x17B5), (0x180B, 0x180F),
    (0x2000, 0x200F), (0x2028, 0x202F), (0x205F, 0x206F), (0x3000, 0x3000), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)  # fmt: skip
# The C0 control characters a text may not hold: all but tab and line feed. Nobody types them
# (a textarea gives line feeds only); they come pasted from binary files or from broken
# clients, and a NUL cuts the text short in C code, terminals and some databases downstream
# (exports, e-mail, search). Carriage return is one of them: the apps send line feeds.
_CONTROLS = ((0x0, 0x8), (0xB, 0x1F))
BLANK = "must contain a visible character, not only spaces or invisible ones"
CONTROL = "must not contain control characters (U+0000 to U+001F) other than tab and newline"


def _class(ranges: tuple) -> str:
    return "".join(chr(a) if a == b else chr(a) + "-" + chr(b) for a, b in ranges)


# The pattern pydantic applies to `frames.Text`: no control character anywhere, and one
# character outside the invisible ones. pydantic's regex crate and the codec below (by code
# point, not `re`) say the same; the codec also says which of the two failed.
TEXT = (
    "^[^" + _class(_CONTROLS) + "]*"
    "[^" + _class(_INVISIBLE) + _class(_CONTROLS) + "]"
    "[^" + _class(_CONTROLS) + "]*$"
)  # fmt: skip


def text_problem(text: str) -> str | None:
    """Why a typed text may not be sent (`BLANK` or `CONTROL`), None when it may."""
    visible = False
    for char in text:
        point = ord(char)
        if point < 32 and point != 9 and point != 10:
            return CONTROL
        if not visible and not any(low <= point <= high for low, high in _INVISIBLE):
            visible = True
    return None if visible else BLANK


def unseen(char: str) -> bool:
    """Whether a character draws nothing or controls: a C0 or C1 control, DEL, white space or an
    invisible format character (a bidi control among them). A URL holds none of them: a browser
    percent-encodes them, and shown raw they hide or reverse part of it."""
    point = ord(char)
    if point < 32 or 0x7F <= point <= 0x9F:
        return True
    return any(low <= point <= high for low, high in _INVISIBLE)


# A one-line field (a name, a title, a label): the text rule without tab and line feed either,
# since nothing draws them on one line and a name or a log line they split misleads.
_LINE_CONTROLS = ((0x0, 0x1F),)
LINE_CONTROL = "must not contain control characters (U+0000 to U+001F)"
LINE = (
    "^[^" + _class(_LINE_CONTROLS) + "]*"
    "[^" + _class(_INVISIBLE) + _class(_LINE_CONTROLS) + "]"
    "[^" + _class(_LINE_CONTROLS) + "]*$"
)  # fmt: skip
# An optional text (a rating's comment) or line (a launcher's label): empty, or held to the rule.
OPTIONAL_TEXT = "^$|" + TEXT
OPTIONAL_LINE = "^$|" + LINE


def line_problem(text: str) -> str | None:
    """Why a one-line field may not be saved (`BLANK` or `LINE_CONTROL`), None when it may."""
    for char in text:
        if ord(char) < 32:
            return LINE_CONTROL
    return text_problem(text)


def optional_text_problem(text: str) -> str | None:
    """`text_problem`, but nothing at all is fine too."""
    return None if text == "" else text_problem(text)


def optional_line_problem(text: str) -> str | None:
    """`line_problem`, but nothing at all is fine too."""
    return None if text == "" else line_problem(text)


# The patterns of typed text, each with what says why a value fails it (the codec's words, and
# the edge's in its refusals); any other pattern `spec_export` emits refuses every value until
# the codec learns it.
PATTERNS = {
    TEXT: text_problem,
    LINE: line_problem,
    OPTIONAL_TEXT: optional_text_problem,
    OPTIONAL_LINE: optional_line_problem,
}


def _type_ok(value: object, kind: str) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "array":
        return isinstance(value, list)
    if kind == "object":
        return isinstance(value, dict)
    if kind == "null":
        return value is None
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return False


def _check_string(value: str, schema: dict, path: str) -> str | None:
    if len(value) < schema.get("minLength", 0):
        return path + ": too short"
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        return path + ": too long"
    if "pattern" in schema:
        why = PATTERNS.get(schema["pattern"])
        problem = "malformed" if why is None else why(value)
        if problem is not None:
            return path + ": " + problem
    return None


def _check_number(value: float, schema: dict, path: str) -> str | None:
    if "minimum" in schema and value < schema["minimum"]:
        return path + ": too small"
    if "maximum" in schema and value > schema["maximum"]:
        return path + ": too large"
    return None


def _check_array(value: list, schema: dict, path: str) -> str | None:
    if len(value) < schema.get("minItems", 0):
        return path + ": too few items"
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        return path + ": too many items"
    items = schema.get("items")
    if items is not None:
        for i, item in enumerate(value):
            problem = check(item, items, path + "[" + str(i) + "]")
            if problem is not None:
                return problem
    return None


def _check_object(value: dict, schema: dict, path: str) -> str | None:
    props = schema.get("properties", {})
    for name in schema.get("required", ()):
        if name not in value:
            return path + "." + name + ": required"
    for name in value:
        if name not in props:
            if schema.get("additionalProperties", True) is False:
                return path + "." + str(name) + ": unknown field"
            continue
        problem = check(value[name], props[name], path + "." + name)
        if problem is not None:
            return problem
    return None


def check(value: object, schema: dict, path: str = "$") -> str | None:
    """Return None when `value` fits `schema`, else a message naming the first bad path."""
    if "anyOf" in schema:
        for option in schema["anyOf"]:
            if check(value, option, path) is None:
                return None
        return path + ": no allowed form matches"
    if "const" in schema and value != schema["const"]:
        return path + ": must be " + json.dumps(schema["const"])
    if "enum" in schema and value not in schema["enum"]:
        return path + ": not an allowed value"
    kind = schema.get("type")
    if kind is not None and not _type_ok(value, kind):
        return path + ": must be " + kind
    if isinstance(value, str):
        return _check_string(value, schema, path)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _check_number(value, schema, path)
    if isinstance(value, list):
        return _check_array(value, schema, path)
    if isinstance(value, dict):
        return _check_object(value, schema, path)
    return None


# ---------------------------------------------------------------- strict JSON scan

_SPACE = b" \t\n\r"
_DIGITS = b"0123456789"
_HEX = b"0123456789abcdefABCDEF"
_ESCAPES = b'"\\/bfnrt'
# pydantic's parser reads NaN and the infinities as floats; MicroPython's json has no such
# words, so they are rewritten as an overflowing number, which every json module reads as a
# float. Only the type check sees the value, and it refuses floats wherever the spec has ints.
_LITERALS = (
    (b"true", None),
    (b"false", None),
    (b"null", None),
    (b"NaN", b"1e999"),
    (b"Infinity", b"1e999"),
    (b"-Infinity", b"-1e999"),
)


def _skip_space(data: bytes, i: int) -> int:
    n = len(data)
    while i < n and data[i] in _SPACE:
        i += 1
    return i


def _hex4(data: bytes, i: int) -> int:
    digits = data[i : i + 4]
    if len(digits) != 4:
        return -1
    for digit in digits:
        if digit not in _HEX:
            return -1
    return int(digits, 16)


def _has_control(data: bytes, start: int, end: int) -> bool:
    return any(data[i] < 32 for i in range(start, end))


def _string(data: bytes, i: int, fixes: list, controls: bool) -> int:
    """Index just past the string opening at `data[i]`, or -1 if it is malformed.

    Escaped surrogate pairs are queued in `fixes` to be replaced by the character they encode.
    """
    i += 1
    quote = data.find(b'"', i)
    while True:
        if quote < 0:
            return -1
        slash = data.find(b"\\", i, quote)
        if controls and _has_control(data, i, quote if slash < 0 else slash):
            return -1
        if slash < 0:
            return quote + 1
        i = slash + 1
        if i == quote:  # an escaped quote: the string ends further on
            quote = data.find(b'"', i + 1)
        if i < len(data) and data[i] in _ESCAPES:
            i += 1
            continue
        if data[i : i + 1] != b"u":
            return -1
        code = _hex4(data, i + 1)
        if code < 0 or 0xDC00 <= code <= 0xDFFF:
            return -1
        i += 5
        if 0xD800 <= code <= 0xDBFF:
            low = _hex4(data, i + 2) if data[i : i + 2] == b"\\u" else -1
            if not 0xDC00 <= low <= 0xDFFF:
                return -1
            i += 6
            char = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            fixes.append((slash, i, chr(char).encode("utf-8")))


def _digits_end(data: bytes, i: int) -> int:
    n = len(data)
    while i < n and data[i] in _DIGITS:
        i += 1
    return i


def _number(data: bytes, i: int) -> int:
    """Index just past the number at `data[i]`, or -1 if it is malformed."""
    if data[i] == 45:  # -
        i += 1
    if data[i : i + 1] == b"0":
        i += 1
    else:
        end = _digits_end(data, i)
        if end == i:
            return -1
        i = end
    if data[i : i + 1] == b".":
        end = _digits_end(data, i + 1)
        if end == i + 1:
            return -1
        i = end
    if data[i : i + 1] in (b"e", b"E"):
        i += 1
        if data[i : i + 1] in (b"+", b"-"):
            i += 1
        end = _digits_end(data, i)
        if end == i:
            return -1
        i = end
    return i


def _scalar(data: bytes, i: int, fixes: list, controls: bool) -> int:
    """Index just past the string, number or literal at `data[i]`, or -1."""
    if data[i] == 34:  # "
        return _string(data, i, fixes, controls)
    for word, spelling in _LITERALS:
        if data[i : i + len(word)] == word:
            if spelling is not None:
                fixes.append((i, i + len(word), spelling))
            return i + len(word)
    if data[i] == 45 or data[i] in _DIGITS:
        return _number(data, i)
    return -1


def _key(data: bytes, i: int, fixes: list, controls: bool) -> int:
    """Index of the value after `"key":` at `data[i]`, or -1."""
    if data[i : i + 1] != b'"':
        return -1
    i = _string(data, i, fixes, controls)
    if i < 0:
        return -1
    i = _skip_space(data, i)
    if data[i : i + 1] != b":":
        return -1
    return _skip_space(data, i + 1)


def _scan(data: bytes) -> tuple:
    """Check that `data` is one JSON text as pydantic's parser reads it.

    Returns `(problem, text)`: `problem` is None or why the text is not JSON; `text` is what to
    give `json.loads`, with the `_LITERALS` and escaped surrogate pairs rewritten.
    """
    controls = len(data) > 0 and min(data) < 32  # rare: only then look for them in strings
    fixes: list = []
    closers: list = []  # the byte closing each open array/object, innermost last
    i = _skip_space(data, 0)
    want_value = True
    while True:
        if want_value:
            if i >= len(data):
                return "unexpected end", None
            if len(closers) > MAX_JSON_DEPTH:
                return "nested too deeply", None
            opener = data[i]
            if opener == 123 or opener == 91:  # { [
                closers.append(125 if opener == 123 else 93)
                i = _skip_space(data, i + 1)
                if i < len(data) and data[i] == closers[-1]:  # empty
                    closers.pop()
                    i += 1
                    want_value = False
                elif opener == 123:
                    i = _key(data, i, fixes, controls)
                    if i < 0:
                        return "expected a string key and a colon", None
                continue
            i = _scalar(data, i, fixes, controls)
            if i < 0:
                return "malformed value", None
            want_value = False
            continue
        i = _skip_space(data, i)
        if not closers:
            if i < len(data):
                return "trailing characters", None
            break
        if i < len(data) and data[i] == closers[-1]:
            closers.pop()
            i += 1
        elif data[i : i + 1] == b",":
            i = _skip_space(data, i + 1)
            if closers[-1] == 125:
                i = _key(data, i, fixes, controls)
                if i < 0:
                    return "expected a string key and a colon", None
            want_value = True
        else:
            return "expected a comma or a closing bracket", None
    if not fixes:
        return None, data
    parts = []
    done = 0
    for start, end, text in fixes:
        parts.append(data[done:start])
        parts.append(text)
        done = end
    parts.append(data[done:])
    return None, b"".join(parts)


# ---------------------------------------------------------------- frames


def decode(raw: str | bytes, frames: dict) -> tuple:
    """Parse and validate one frame against `frames` (`wire_spec.CLIENT` or `.SERVER`).

    Returns `(frame, None)` or `(None, (error_code, message))`.
    """
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    if len(data) > limits.MAX_FRAME_BYTES:
        return None, (errors.TOO_LARGE, "frame is larger than " + str(limits.MAX_FRAME_BYTES))
    if data is raw:  # a str encodes to UTF-8 by construction; bytes must be checked
        try:
            data.decode("utf-8")
        except ValueError:
            return None, (errors.BAD_FRAME, "frame is not UTF-8")
    problem, text = _scan(data)
    if problem is not None:
        return None, (errors.BAD_FRAME, "frame is not JSON: " + problem)
    try:
        obj = json.loads(text)
    except ValueError:  # the scan accepts only what every json module parses
        return None, (errors.BAD_FRAME, "frame is not JSON")
    if not isinstance(obj, dict):
        return None, (errors.BAD_FRAME, "frame is not an object")
    kind = obj.get("type")
    if not isinstance(kind, str) or kind not in frames:
        return None, (errors.BAD_FRAME, "unknown frame type")
    problem = check(obj, frames[kind])
    if problem is not None:
        return None, (errors.INVALID, problem)
    return obj, None


def encode(frame: dict) -> str:
    """Serialise a frame dict compactly (the same bytes on CPython and MicroPython)."""
    return json.dumps(frame, separators=(",", ":"))
