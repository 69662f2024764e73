"""The console's team list and the agent's presence choice.

Plain functions and asserts only, run by pytest on CPython and by
`test_widget_micropython.py` on MicroPython.
"""

try:
    from helpway.widget.app import team
except ImportError:  # MicroPython: the app modules sit flat on the path
    import team


def presence(site_id, *agents):
    return {
        "type": "presence",
        "site_id": site_id,
        "agents": [{"id": a, "name": n, "status": s} for a, n, s in agents],
    }


def test_each_frame_replaces_its_sites_list():
    crew = team.Team()
    assert crew.update(presence("demo", ("a1", "Dana", "away")))
    assert crew.update(presence("demo", ("a2", "Eli", "online"), ("a1", "Dana", "online")))
    assert [(p["name"], p["status"]) for p in crew.people()] == [
        ("Dana", "online"),
        ("Eli", "online"),
    ]
    assert crew.update(presence("demo"))  # everyone gone
    assert crew.people() == []


def test_an_agent_online_on_any_site_is_online_once():
    crew = team.Team()
    crew.update(presence("a", ("a1", "Dana", "away")))
    crew.update(presence("b", ("a1", "Dana", "online")))
    assert crew.people() == [{"id": "a1", "name": "Dana", "status": "online"}]
    assert not crew.update(presence("a", ("a1", "Dana", "online")))  # nothing to redraw
    assert crew.people() == [{"id": "a1", "name": "Dana", "status": "online"}]


def test_the_choice_is_online_unless_away_was_chosen():
    assert team.choice(None) == "online"
    assert team.choice("") == "online"
    assert team.choice("nonsense") == "online"
    assert team.choice("away") == "away"
    assert team.presence_frame("away") == {"type": "presence.set", "status": "away"}
    assert team.presence_frame("x") == {"type": "presence.set", "status": "online"}
    assert team.choice_key("a1") == "helpway:presence:a1"


def test_the_widget_says_closed_before_away_before_online():
    assert team.availability(None) == ""
    assert team.availability({"agents_online": True}) == "online"
    assert team.availability({"agents_online": False}) == "away"
    # The loader's inlined config says nothing of agents: nothing is said until the edge does.
    assert team.availability({}) == ""
    assert team.availability({"open": True}) == ""
    assert team.availability({"open": True, "agents_online": True}) == "online"
    # Outside business hours the hours' away message wins, whoever is online.
    assert team.availability({"open": False, "agents_online": True}) == "closed"
    assert team.availability({"open": False, "agents_online": False}) == "closed"


def test_assign_choices_put_me_first_and_offer_unassign_while_assigned():
    agents = [
        {"id": "a1", "role": "agent", "name": "Bob"},
        {"id": "a2", "role": "agent", "name": "Dana"},
        {"id": "a3", "role": "agent", "name": ""},
    ]
    free = team.assign_choices(agents, "a2", None)
    assert [(c["id"], c["label"], c["current"]) for c in free] == [
        ("a2", "Dana (you)", False),
        ("a1", "Bob", False),
        ("a3", "Agent a3", False),
    ]
    held = team.assign_choices(agents, "a2", {"id": "a1", "role": "agent", "name": "Bob"})
    assert [(c["id"], c["current"]) for c in held] == [
        ("a2", False),
        ("a1", True),
        ("a3", False),
        (None, False),
    ]
    assert held[-1]["label"] == "Unassign"


def test_assign_choices_skip_what_is_not_an_agent():
    junk = [None, "a1", {"id": 5, "name": "x"}, {"id": "", "name": "y"}, {"id": "a9"}]
    assert team.assign_choices(junk, "a2", None) == []
    assert team.assign_choices({"agents": []}, "a2", None) == []
