"""Keyed list reconciliation: the few DOM operations that turn one drawn list into the next.

Calls from MicroPython into the DOM are the widget's slowest operations, so the view keeps the
keys and revisions it drew and asks this pure function what to touch: a streamed delta redraws
one bubble instead of the whole conversation. Pure so the same tests run on both runtimes.
"""


def plan(drawn: list, revs: dict, wanted: list) -> list:
    """Operations turning the `drawn` keys (with `revs`, key -> revision) into `wanted`.

    `wanted` is a list of (key, revision). Operations, applied in order:
    ("remove", key), ("insert", key, before_key_or_None), ("move", key, before_key_or_None),
    ("redraw", key). An inserted or moved element goes before `before`, or last if None.
    """
    wanted_keys = set()
    for key, _rev in wanted:
        wanted_keys.add(key)
    ops: list = []
    current = []
    for key in drawn:
        if key in wanted_keys:
            current.append(key)
        else:
            ops.append(("remove", key))
    placed = set(current)
    at = 0  # current[:at] already matches wanted[:i]
    for key, rev in wanted:
        before = current[at] if at < len(current) else None
        if key == before:
            at += 1
        elif key in placed:
            # Drawn further down: bring it here. It sits after `at`, so `at` stays valid.
            current.remove(key)
            ops.append(("move", key, before))
        else:
            ops.append(("insert", key, before))
            continue
        if revs.get(key) != rev:
            ops.append(("redraw", key))
    return ops
