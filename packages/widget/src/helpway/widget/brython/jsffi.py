"""MicroPython's `jsffi` on Brython, which converts on its own: a Python callable handed to
JavaScript becomes a function that stays alive as long as JavaScript holds it, so a proxy is the
callable itself. `to_js` makes the plain JavaScript object or array `fetch` options need: a
round trip through JSON, because Brython's own conversion leaves a symbol key on every object,
which `fetch` refuses in its headers."""

import json

from browser import window  # type: ignore[import-not-found]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


def create_proxy(function: "Callable") -> "Callable":
    return function


def to_js(value: object) -> object:
    return window.JSON.parse(json.dumps(value))
