"""The MicroPython-safe frame codec: decode and validate JSON frames against `wire_spec`.

The browser apps run this instead of pydantic. It implements exactly the subset of JSON Schema
that `spec_export` emits, so keep it free of `typing`, dataclasses and anything else MicroPython
lacks (annotations use builtins only; MicroPython parses and ignores them). Results are
tuples rather than exceptions so callers on either runtime stay simple.
"""

import json
import re

try:
    from . import errors, limits
except ImportError:  # the widget bundle ships these modules flat, not as a package
    import errors  # type: ignore[no-redef]
    import limits  # type: ignore[no-redef]


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
    if "pattern" in schema and re.search(schema["pattern"], value) is None:
        return path + ": blank or malformed"
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


def decode(raw: str | bytes, frames: dict) -> tuple:
    """Parse and validate one frame against `frames` (`wire_spec.CLIENT` or `.SERVER`).

    Returns `(frame, None)` or `(None, (error_code, message))`.
    """
    size = len(raw.encode("utf-8")) if isinstance(raw, str) else len(raw)
    if size > limits.MAX_FRAME_BYTES:
        return None, (errors.TOO_LARGE, "frame is larger than " + str(limits.MAX_FRAME_BYTES))
    try:
        obj = json.loads(raw)
    except ValueError:
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
