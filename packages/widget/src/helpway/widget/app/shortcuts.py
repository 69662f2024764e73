"""The console's keyboard shortcuts, as one table: pure, no browser calls.

A shortcut names an action; the console app maps each action to what it does, and the help
overlay lists the table, so adding a shortcut is a row here and an entry in the app's map.
Single keys act only outside text fields (typing "j" in the reply stays a "j"); Alt+key and
Escape act everywhere. Keys are `KeyboardEvent.key` values; Shift is ignored ("?" arrives as
Shift+/), Ctrl and Cmd combinations are left to the browser.
"""

# (key, with Alt, action, what the help overlay says)
SHORTCUTS = [
    ("j", False, "next", "Next conversation"),
    ("k", False, "previous", "Previous conversation"),
    ("ArrowDown", True, "next", "Next conversation"),
    ("ArrowUp", True, "previous", "Previous conversation"),
    ("r", False, "reply", "Write a reply"),
    ("t", False, "takeover", "Take over from the assistant"),
    ("a", False, "assign", "Assign to…"),
    ("c", False, "close", "Close / reopen the conversation"),
    ("/", False, "search", "Search messages"),
    ("?", False, "help", "Show keyboard shortcuts"),
    ("Escape", False, "escape", "Close this help, or leave the search"),
]
_SHOWN = {"ArrowDown": "↓", "ArrowUp": "↑", "Escape": "Esc"}
_ANYWHERE = ("Escape",)


def action(key: str, alt: bool, ctrl_or_meta: bool, in_field: bool) -> str | None:
    """The action a key press asks for, or None (the browser keeps the key)."""
    if ctrl_or_meta:
        return None
    for shortcut_key, with_alt, name, _what in SHORTCUTS:
        if shortcut_key == key and with_alt == alt:
            if in_field and not with_alt and key not in _ANYWHERE:
                return None
            return name
    return None


def label(key: str, with_alt: bool) -> str:
    shown = _SHOWN.get(key, key)
    return "Alt+" + shown if with_alt else shown


def help_rows(actions: dict) -> list:
    """(keys, what) per action the app handles (the keys of `actions`), in table order, the
    keys of one action together: [("j or Alt+↓", "Next conversation"), ...]."""
    rows: list = []
    keys_of: dict = {}
    for key, with_alt, name, what in SHORTCUTS:
        if name not in actions:
            continue
        if name not in keys_of:
            keys_of[name] = []
            rows.append((name, what))
        keys_of[name].append(label(key, with_alt))
    return [(" or ".join(keys_of[name]), what) for name, what in rows]
