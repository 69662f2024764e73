"""The widget's small pure helpers: list reconciliation, retry pacing, citation links, drafts.

Plain functions and asserts only, run by pytest on CPython and by
`test_widget_micropython.py` on MicroPython.
"""

try:
    from helpway.shared import limits, wire, wire_spec
    from helpway.widget.app import drafts, keyed, links, pacing
except ImportError:  # MicroPython: the app modules sit flat on the path
    import drafts
    import keyed
    import limits
    import links
    import pacing
    import wire
    import wire_spec


class Lcg:
    """A tiny deterministic random source that gives the same numbers on both runtimes."""

    def __init__(self, seed):
        self.state = seed

    def below(self, n):
        self.state = (self.state * 1103515245 + 12345) % 2147483648
        return (self.state >> 8) % n


def apply(drawn, revs, ops):
    """Replay `ops` on a list the way the view does on the DOM; returns keys and redraws."""
    keys = list(drawn)
    redrawn = []
    for op in ops:
        if op[0] == "remove":
            keys.remove(op[1])
        elif op[0] == "redraw":
            assert op[1] in keys
            redrawn.append(op[1])
        else:
            if op[0] == "move":
                keys.remove(op[1])
            else:
                assert op[1] not in keys
            keys.insert(keys.index(op[2]) if op[2] is not None else len(keys), op[1])
    return keys, redrawn


def test_plan_turns_any_list_into_any_other():
    rng = Lcg(7)
    for _ in range(300):
        pool = ["k" + str(i) for i in range(rng.below(12))]
        drawn = [key for key in pool if rng.below(3)]
        wanted = [key for key in pool if rng.below(3)]
        for _ in range(rng.below(4)):  # shuffle a little
            if len(wanted) > 1:
                i, j = rng.below(len(wanted)), rng.below(len(wanted))
                wanted[i], wanted[j] = wanted[j], wanted[i]
        revs = {key: rng.below(2) for key in drawn}
        wanted_revs = [(key, rng.below(2)) for key in wanted]
        ops = keyed.plan(drawn, revs, wanted_revs)
        keys, redrawn = apply(drawn, revs, ops)
        assert keys == wanted
        expected = [k for k, rev in wanted_revs if k in revs and revs[k] != rev]
        assert sorted(redrawn) == sorted(expected)


def test_plan_touches_nothing_when_nothing_changed():
    drawn = ["a", "b", "c"]
    revs = {"a": 1, "b": 2, "c": 3}
    assert keyed.plan(drawn, revs, [("a", 1), ("b", 2), ("c", 3)]) == []


def test_plan_appends_at_the_end_and_redraws_one_item():
    drawn = ["a", "b"]
    revs = {"a": 1, "b": 2}
    ops = keyed.plan(drawn, revs, [("a", 1), ("b", 3), ("c", 1)])
    assert ops == [("redraw", "b"), ("insert", "c", None)]


def test_reconnect_delays_grow_then_level_off_with_jitter():
    first = [pacing.reconnect_delay_ms(0, jitter) for jitter in (0.0, 0.5, 0.999)]
    assert first[0] == pacing.RECONNECT_BASE_MS // 2 and first[-1] < pacing.RECONNECT_BASE_MS
    assert first == sorted(first)
    lows = [pacing.reconnect_delay_ms(attempt, 0.0) for attempt in range(12)]
    assert lows == sorted(lows)
    assert pacing.reconnect_delay_ms(100, 0.999) <= pacing.RECONNECT_MAX_MS
    assert pacing.reconnect_delay_ms(100, 0.0) == pacing.RECONNECT_MAX_MS // 2


def test_typing_signal_says_start_repeats_while_typing_and_stops_when_idle():
    signal = pacing.TypingSignal()
    t = 1000
    assert signal.keystroke(t, True) is True
    assert signal.keystroke(t + 100, True) is None
    assert signal.keystroke(t + pacing.TYPING_REPEAT_MS, True) is True
    t += pacing.TYPING_REPEAT_MS
    assert signal.tick(t + pacing.TYPING_IDLE_MS - 1) is None
    assert signal.tick(t + pacing.TYPING_IDLE_MS) is False
    assert signal.tick(t + 2 * pacing.TYPING_IDLE_MS) is None


def test_typing_signal_stops_when_the_text_is_cleared_or_sent():
    signal = pacing.TypingSignal()
    assert signal.keystroke(0, False) is None  # nothing typed yet: nothing to say
    assert signal.keystroke(10, True) is True
    assert signal.keystroke(20, False) is False
    assert signal.keystroke(30, True) is True
    assert signal.stop() is False
    assert signal.stop() is None


def test_citation_links():
    origin = "https://chat.example.com"
    href = links.citation_href
    assert href("https://docs.example.com/a#b", origin) == "https://docs.example.com/a#b"
    assert href("HTTP://docs.example.com/", origin) == "HTTP://docs.example.com/"
    assert href("/help/billing#refunds", origin) == origin + "/help/billing#refunds"
    assert href("pkg-basics.en.html#puttingonhold", origin) == (
        origin + "/pkg-basics.en.html#puttingonhold"
    )
    assert href("//cdn.example.com/x", origin) == "https://cdn.example.com/x"
    assert href("mailto:help@example.com", origin) == "mailto:help@example.com"
    assert href("faq.html?q=a:b#c:d", origin) == origin + "/faq.html?q=a:b#c:d"


def test_citation_links_never_run_script():
    origin = "https://chat.example.com"
    for url in (
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
    ):
        assert links.citation_href(url, origin) is None, url


def test_a_draft_within_the_character_limit_can_be_too_big_to_send():
    """JSON spells a control character in six bytes on both runtimes: 2,800 of them are far
    fewer than 4,000 characters, but more than a frame may hold."""
    overhead = drafts.frame_bytes(drafts.send_frame(drafts.LONGEST_CLIENT_ID, ""))
    fits = (limits.MAX_FRAME_BYTES - overhead) // 6
    assert fits < limits.MAX_TEXT_CHARS
    assert drafts.problem("\x01" * fits) is None
    too_big = drafts.problem("\x01" * (fits + 1))
    assert (
        too_big
        == "Your message is too long to send: it holds many special characters. Please shorten it."
    )
    assert drafts.problem("\x01" * 2800) == too_big
    assert drafts.frame_bytes(drafts.send_frame("c1", "\x01" * 2800)) > limits.MAX_FRAME_BYTES


# Characters of several code points each: the limit counts code points on every runtime.
SEVERAL = (
    ("\U0001f469\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466", 7),  # 👩‍👩‍👧‍👦
    ("\U0001f1ee\U0001f1e9", 2),  # 🇮🇩
    ("e\u0301", 2),  # é as e + combining acute
    ("\u0e19\u0e49\u0e33", 3),  # Thai น้ำ
)


def test_the_character_limit_counts_code_points_whatever_the_characters():
    for char, points in SEVERAL:
        assert len(char) == points  # on MicroPython as on CPython
        fits = "a" * (limits.MAX_TEXT_CHARS - points) + char
        assert drafts.problem(fits) is None
        over = fits + "a"
        assert drafts.problem(over) == (
            "Your message is too long: " + str(limits.MAX_TEXT_CHARS + 1) + " of 4000 characters."
        )


def test_draft_problems_by_characters_and_blanks():
    assert drafts.problem("Hello") is None
    assert drafts.problem('"' * limits.MAX_TEXT_CHARS) is None  # two bytes each: it fits
    assert drafts.problem("a" * (limits.MAX_TEXT_CHARS + 1)) == (
        "Your message is too long: " + str(limits.MAX_TEXT_CHARS + 1) + " of 4000 characters."
    )
    assert drafts.problem("") == ""
    assert drafts.problem(" \n\t") == ""


def test_a_draft_with_a_control_character_goes_for_the_room_to_refuse():
    """The room refuses it naming its client id, and the message shows why (chat_dom): the
    widget does not judge the rule a second time."""
    assert drafts.problem("pasted\x00text") is None
    assert wire.text_problem("pasted\x00text") == wire.CONTROL
    assert wire.decode(wire.encode(drafts.send_frame("c-1", "a\x00")), wire_spec.CLIENT)[1] == (
        "invalid",
        "$.text: " + wire.CONTROL,
    )


def test_the_send_frame_is_a_valid_client_frame():
    frame = drafts.send_frame("c-1", "Hi\n\tthere")
    assert wire.decode(wire.encode(frame), wire_spec.CLIENT) == (frame, None)


def test_a_note_goes_out_as_note_send_under_the_same_limits():
    assert drafts.send_frame("n1", "hi", note=True) == {
        "type": "note.send",
        "client_id": "n1",
        "text": "hi",
    }
    assert drafts.send_frame("m1", "hi")["type"] == "message.send"
