"""The presence core alone: agents' availability from their sockets' words and a clock."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from helpway.edge.presence import AgentPresence, Presence

TTL = 90_000


def test_an_agent_is_online_while_any_live_console_says_so() -> None:
    site = Presence(TTL)
    site.join("tab-1", "a1", "Dana", now=0)
    site.join("tab-2", "a1", "Dana", now=0)
    assert site.agents(0) == [AgentPresence("a1", "Dana", "away")]  # away until said otherwise
    site.set("tab-1", "online", now=10)
    site.set("tab-2", "away", now=10)
    assert site.agents(10) == [AgentPresence("a1", "Dana", "online")]
    assert site.anyone_online(10)
    site.leave("tab-1")
    assert site.agents(20) == [AgentPresence("a1", "Dana", "away")]
    site.leave("tab-2")
    assert site.agents(20) == [] and not site.anyone_online(20)


def test_a_silent_socket_stops_counting_at_its_ttl_without_a_close() -> None:
    site = Presence(TTL)
    site.join("dead-tab", "a1", "Dana", now=0)
    site.set("dead-tab", "online", now=0)
    site.join("live-tab", "a2", "Eli", now=0)
    site.set("live-tab", "online", now=0)
    site.heard("live-tab", now=60_000)
    assert site.next_expiry() == TTL
    assert [a.agent_id for a in site.agents(TTL - 1)] == ["a1", "a2"]
    assert [a.agent_id for a in site.agents(TTL)] == ["a2"]  # no ghost, even unclosed
    assert site.expire(TTL) == ["dead-tab"]
    assert site.next_expiry() == 60_000 + TTL
    assert not site.anyone_online(60_000 + TTL)


def test_update_says_the_presence_only_when_it_changed() -> None:
    site = Presence(TTL)
    assert site.update(0) == []  # a hub with no memory of what it pushed pushes once
    site.join("t", "a1", "Dana", now=0)
    assert site.update(0) == [AgentPresence("a1", "Dana", "away")]
    site.heard("t", now=5)
    assert site.update(5) is None
    site.set("t", "online", now=6)
    assert site.update(6) == [AgentPresence("a1", "Dana", "online")]
    assert site.update(6 + TTL) == []  # expired by the clock alone
    assert Presence(TTL, published=[]).update(0) is None


def test_words_about_an_unknown_socket_change_nothing() -> None:
    site = Presence(TTL)
    site.set("ghost", "online", now=0)
    site.heard("ghost", now=0)
    site.leave("ghost")
    assert site.sockets == {} and site.agents(0) == []


# ---------------------------------------------------------------- properties

SOCKETS = ["s0", "s1", "s2", "s3"]
AGENTS = ["a0", "a1", "a2"]
op = st.one_of(
    st.tuples(st.just("join"), st.sampled_from(SOCKETS), st.sampled_from(AGENTS)),
    st.tuples(st.just("set"), st.sampled_from(SOCKETS), st.sampled_from(["online", "away"])),
    st.tuples(st.just("heard"), st.sampled_from(SOCKETS), st.none()),
    st.tuples(st.just("leave"), st.sampled_from(SOCKETS), st.none()),
    st.tuples(st.just("expire"), st.none(), st.none()),
)
step = st.tuples(st.integers(0, 60_000), op)


@settings(max_examples=300)
@given(st.lists(step, max_size=40), st.integers(1, 120_000))
def test_presence_follows_a_naive_model(steps: list, ttl: int) -> None:
    """Whatever happens in whatever order, the site's presence is what a plain record of each
    socket's last word and last frame says, and `update` reports exactly its changes."""
    site = Presence(ttl, published=[])
    model: dict[str, dict[str, object]] = {}  # socket -> agent, status, seen
    now = 0
    for advance, (kind, socket_id, arg) in steps:
        now += advance
        if kind == "join":
            site.join(socket_id, arg, arg.upper(), now)
            model[socket_id] = {"agent": arg, "status": "away", "seen": now}
        elif kind == "set":
            site.set(socket_id, arg, now)
            if socket_id in model:
                model[socket_id].update(status=arg, seen=now)
        elif kind == "heard":
            site.heard(socket_id, now)
            if socket_id in model:
                model[socket_id]["seen"] = now
        elif kind == "leave":
            site.leave(socket_id)
            model.pop(socket_id, None)
        else:
            gone = site.expire(now)
            stale = {s for s, m in model.items() if now - int(str(m["seen"])) >= ttl}
            assert set(gone) == stale
            for s in stale:
                del model[s]
        before = site.published
        changed = site.update(now)
        live = [m for m in model.values() if now - int(str(m["seen"])) < ttl]
        expected = {
            str(m["agent"]): (
                "online"
                if any(o["status"] == "online" for o in live if o["agent"] == m["agent"])
                else "away"
            )
            for m in live
        }
        got = {a.agent_id: a.status for a in site.agents(now)}
        assert got == expected
        assert site.anyone_online(now) == ("online" in expected.values())
        assert (changed is not None) == (site.agents(now) != before)
        assert [a.name for a in site.agents(now)] == sorted(a.name for a in site.agents(now))
        seen = [int(str(m["seen"])) for m in model.values()]
        assert site.next_expiry() == (min(seen) + ttl if seen else None)
        assert site.agents(max(seen, default=0) + ttl) == []
