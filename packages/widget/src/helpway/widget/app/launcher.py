"""The launcher's look for a site: the rules added to the loader's stylesheet, its label and text.

One set of rules for both places that dress the launcher: the edge, which inlines the look in
the loader it serves for a site (so the launcher is painted in the site's colours with no
request of its own), and the widget app, which hands it to the loader again once it knows the
visitor's language (`frame.js` passes it on). The loader's own code stays within its 2 KB
budget: these rules live here. Pure, tested on CPython and on MicroPython.
"""

_HEX = "0123456789abcdefABCDEF"


def accent(color: object) -> str:
    """The site's colour if it is a CSS hex colour (#rgb to #rrggbb), else "": only a hex
    colour may reach a stylesheet, so a stored value can never add rules of its own."""
    if not isinstance(color, str) or not color.startswith("#") or not 4 <= len(color) <= 7:
        return ""
    for char in color[1:]:
        if char not in _HEX:
            return ""
    return color


def css(config: dict) -> str:
    """The rules for the site's colour, side and, with a launcher text, a pill shape."""
    rules = ""
    color = accent(config.get("color"))
    if color:
        rules += ":host{--hw-accent:" + color + "}"
    if config.get("position") == "left":
        rules += ":host{right:auto!important;left:20px!important}iframe{right:auto;left:0}"
    if config.get("launcher_text"):
        rules += (
            "button{width:auto;padding:0 18px;border-radius:28px;grid-auto-flow:column;gap:8px;"
            "font:600 15px sans-serif;white-space:nowrap}"
        )
    return rules


def look(config: dict, label: str) -> dict:
    """What the loader applies: `{helpway: "look", css, label, text}`; `label` is the
    launcher's accessible name in the visitor's language."""
    text = config.get("launcher_text")
    return {
        "helpway": "look",
        "css": css(config),
        "label": label,
        "text": text if isinstance(text, str) else "",
    }
