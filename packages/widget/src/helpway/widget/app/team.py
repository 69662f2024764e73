"""Who of the team is here, pure (CPython and MicroPython): the console's side of presence, and
what the widget says of the team's availability.

The edge sends a site's whole `presence` list on every change (and once on joining), so the
console keeps the last list per site and draws their union; an agent absent from a list is
away. The agent's own choice (online / away) is remembered per agent in the browser, so each
of their tabs and devices says it again on every (re)connect: the edge counts them online
while any live console says online.
"""

ONLINE = "online"
AWAY = "away"
CLOSED = "closed"
CHOICE_KEY = "helpway:presence:"  # + the agent's id


def availability(config: object) -> str:
    """What the widget tells the visitor of the team, from the site's config as the edge
    answered it: CLOSED outside business hours (the hours' away message wins), AWAY inside them
    with no agent's console saying online, ONLINE with one; "" before any config, or inside
    the hours with a config that does not say (the one inlined in the loader, cached across
    page views, carries no presence): say nothing rather than guess."""
    if not isinstance(config, dict):
        return ""
    if config.get("open") is False:
        return CLOSED
    online = config.get("agents_online")
    if not isinstance(online, bool):
        return ""
    return ONLINE if online else AWAY


def choice(stored: object) -> str:
    """The stored choice, or online for an agent who never chose (they opened the console)."""
    return AWAY if stored == AWAY else ONLINE


def choice_key(agent_id: str) -> str:
    return CHOICE_KEY + agent_id


def presence_frame(status: str) -> dict:
    return {"type": "presence.set", "status": choice(status)}


def assign_choices(agents: object, me: str, assignee: dict | None) -> list:
    """What the console's "Assign to" list offers for one conversation, from the site's team
    (`GET /api/sites/{id}/team`): the agent themself first, then the others as the edge
    ordered them, then "Unassign" while someone holds it. Each is {"id" (None: unassign),
    "label", "current": the assignee now}; entries that are not an agent are skipped, since
    the list may come from another version of the edge."""
    held = assignee.get("id") if assignee else None
    mine = []
    others = []
    for agent in agents if isinstance(agents, list) else []:
        if not isinstance(agent, dict):
            continue
        agent_id = agent.get("id")
        name = agent.get("name")
        if not isinstance(agent_id, str) or not agent_id or not isinstance(name, str):
            continue
        label = name or "Agent " + agent_id[-4:]
        offer = {"id": agent_id, "label": label, "current": agent_id == held}
        if agent_id == me:
            offer["label"] = label + " (you)"
            mine.append(offer)
        else:
            others.append(offer)
    unassign = [{"id": None, "label": "Unassign", "current": False}] if held else []
    return mine + others + unassign


class Team:
    def __init__(self) -> None:
        self._sites: dict = {}  # site id -> its last presence list

    def update(self, frame: dict) -> bool:
        """Take a `presence` frame; True if what is drawn changes."""
        before = self.people()
        self._sites[frame["site_id"]] = list(frame["agents"])
        return self.people() != before

    def people(self) -> list:
        """Each agent once (online if online on any site), by name then id."""
        status = {}
        names = {}
        for agents in self._sites.values():
            for agent in agents:
                names[agent["id"]] = agent["name"]
                if agent["status"] == ONLINE or agent["id"] not in status:
                    status[agent["id"]] = agent["status"]
        people = [{"id": i, "name": names[i], "status": s} for i, s in status.items()]
        return sorted(people, key=lambda p: (p["name"], p["id"]))
