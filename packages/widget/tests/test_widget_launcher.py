"""The launcher's look from a site's config: the rules the loader adds, its label and text.

Plain functions and asserts only, run by pytest on CPython and by
`test_widget_micropython.py` on MicroPython.
"""

try:
    from helpway.widget.app import launcher
except ImportError:  # MicroPython: the app modules sit flat on the path
    import launcher


def test_only_a_hex_colour_reaches_the_stylesheet():
    assert launcher.accent("#0a7") == "#0a7"
    assert launcher.accent("#00AA77") == "#00AA77"
    assert launcher.accent("red") == ""
    assert launcher.accent("#12345678") == ""
    assert launcher.accent("#0a7;}*{display:none") == ""
    assert launcher.accent(None) == ""
    assert launcher.css({"color": "red}button{display:none"}) == ""


def test_the_default_look_adds_no_rules():
    assert launcher.look({}, "Open chat") == {
        "helpway": "look",
        "css": "",
        "label": "Open chat",
        "text": "",
    }


def test_colour_side_and_text_each_add_their_rules():
    look = launcher.look(
        {"color": "#0a7", "position": "left", "launcher_text": "Help"}, "Abrir chat"
    )
    assert look["css"].startswith(":host{--hw-accent:#0a7}")
    assert "left:20px" in look["css"]
    assert "border-radius:28px" in look["css"]
    assert look["label"] == "Abrir chat" and look["text"] == "Help"
