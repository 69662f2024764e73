"""Secrets and settings of the local runtime.

Nothing secret reaches the edge's log during a full flow — agent passwords (right and wrong),
session tokens, API keys, visitor tokens, identity secrets, invite links — and `.dev.vars`
(KEY=VALUE, as wrangler reads it) feeds the runtime's settings, below the environment.
"""

from __future__ import annotations

import itertools
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from helpway.edge.local.settings import Settings, SettingsError, load_dev_vars, parse_dev_vars

from .conftest import ROOT

_n = itertools.count()


async def test_no_secret_reaches_the_edge_log_in_a_full_flow(
    client: Any, edge: Any, helpway: Any
) -> None:
    n = next(_n)
    site, email, password = f"secrets{n}", f"owner{n}@secrets.example", f"pw-{n}-Zebra-Quartz"
    helpway(edge.data, "sites", "create", "--id", site, "--name", "S")
    helpway(
        edge.data,
        "agents",
        "create",
        "--email",
        email,
        "--name",
        "O",
        "--password",
        password,
        "--site",
        site,
        "--role",
        "owner",
    )
    secrets: list[str] = [password, f"{password}-wrong"]

    wrong = await client.http.post(
        "/api/agent/login", json={"email": email, "password": secrets[1]}
    )
    assert wrong.status_code == 401
    login = await client.http.post("/api/agent/login", json={"email": email, "password": password})
    token = login.json()["token"]
    bearer = {"authorization": f"Bearer {token}"}
    key = (
        await client.http.post(
            f"/api/sites/{site}/keys", json={"name": "ci", "scopes": ["kb:read"]}, headers=bearer
        )
    ).json()["key"]
    identity = await client.http.post(
        f"/api/sites/{site}/identity",
        json={"required": False, "rotate_secret": True},
        headers=bearer,
    )
    invite = (
        await client.http.post(
            f"/api/sites/{site}/invites", json={"email": f"new{n}@x.example"}, headers=bearer
        )
    ).json()
    await client.http.get("/invite", params={"token": invite["token"]})
    secrets += [token, key, identity.json()["secret"], invite["token"]]

    visitor = await client.visitor(site_id=site)
    secrets.append(visitor["visitor_token"])
    async with (
        client.conversation(visitor["conversation_id"], visitor["visitor_token"]) as v,
        client.conversation(visitor["conversation_id"], token) as a,
    ):
        await v.send({"type": "message.send", "client_id": "s1", "text": "hello"})
        await a.recv_until("message")
        await v.send("{not json")  # refusals are logged by nobody, but try
        await v.recv_until("error")
    # Tokens sent where they do not belong: refused, and not logged either.
    await client.http.get("/api/inbox", headers={"authorization": f"Bearer {key}"})
    async with client.socket("/ws/inbox") as inbox:
        await inbox.send({"type": "join", "v": 1, "token": visitor["visitor_token"], "last_seq": 0})
        await inbox.recv()
    await client.http.post("/api/agent/logout", headers=bearer)

    log = edge.log.read_text(errors="replace")
    assert "Helpway local edge ready" in log  # it is the edge's log
    for secret in secrets:
        assert secret not in log, "a secret is in the edge log"


def test_dev_vars_are_parsed_as_wrangler_reads_them() -> None:
    text = "# settings\nPORT=8790\nexport HELPWAY_LLM_MODEL = \"m 1\"\nHELPWAY_LLM_API_KEY='k'\n\n"
    assert parse_dev_vars(text) == {
        "PORT": "8790",
        "HELPWAY_LLM_MODEL": "m 1",
        "HELPWAY_LLM_API_KEY": "k",
    }
    # A comment after a value, quoted or not, is no part of it (wrangler's dotenv: in a value
    # without quotes a `#` starts one; a value holding `#` is quoted).
    text = 'HELPWAY_ROOM_SYNC=normal # a fast disk\nA="x # y" # z\nB=\'q\'#c\nC=k#1\nD=""\n'
    assert parse_dev_vars(text) == {
        "HELPWAY_ROOM_SYNC": "normal",
        "A": "x # y",
        "B": "q",
        "C": "k",
        "D": "",
    }
    try:
        parse_dev_vars("GOOD=1\nthis is secret-value\n")
    except SettingsError as exc:
        assert "line 2" in str(exc) and "secret-value" not in str(exc)
    else:
        raise AssertionError("a bad line must be refused")


def test_dev_vars_fill_the_environment_below_real_variables(tmp_path: Path) -> None:
    file = tmp_path / ".dev.vars"
    file.write_text("HELPWAY_DATA=from-file\nPORT=8790\n")
    environ = {"HELPWAY_DEV_VARS": str(file), "PORT": "9999"}
    assert load_dev_vars(environ) == ["HELPWAY_DATA"]
    assert environ["HELPWAY_DATA"] == "from-file" and environ["PORT"] == "9999"


def test_a_dev_vars_file_named_but_missing_is_an_error(tmp_path: Path) -> None:
    """Named by `HELPWAY_DEV_VARS` and missing (a typo): said, not ignored — the CLI would work
    on the default `.data/` instead. The default `.dev.vars` is optional."""
    missing = tmp_path / "missing.vars"
    with pytest.raises(SettingsError, match=r"HELPWAY_DEV_VARS names .*missing\.vars"):
        load_dev_vars({"HELPWAY_DEV_VARS": str(missing)})
    env = {k: v for k, v in os.environ.items() if k not in ("HELPWAY_DATA", "PORT")}
    env["HELPWAY_DEV_VARS"] = str(missing)
    listed = subprocess.run(
        ["uv", "run", "--frozen", "helpway", "sites", "list"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listed.returncode != 0 and "missing.vars, which does not exist" in listed.stderr


def test_the_cli_reads_its_data_folder_from_dev_vars(tmp_path: Path) -> None:
    data = tmp_path / "data-from-dev-vars"
    file = tmp_path / ".dev.vars"
    file.write_text(f'HELPWAY_DATA="{data}"\n')
    env = {k: v for k, v in os.environ.items() if k not in ("HELPWAY_DATA", "PORT")}
    env["HELPWAY_DEV_VARS"] = str(file)
    made = subprocess.run(
        ["uv", "run", "--frozen", "helpway", "sites", "create", "--id", "fromfile", "--name", "F"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    assert (data / "d1.sqlite3").is_file()
    file.write_text("not a setting\n")
    broken = subprocess.run(
        ["uv", "run", "--frozen", "helpway", "sites", "list"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert broken.returncode != 0 and ".dev.vars line 1" in broken.stderr


def test_the_rooms_sync_mode_is_full_unless_set(monkeypatch: Any) -> None:
    monkeypatch.delenv("HELPWAY_ROOM_SYNC", raising=False)
    assert Settings.from_env().room_sync == "full"
    monkeypatch.setenv("HELPWAY_ROOM_SYNC", " Normal ")
    assert Settings.from_env().room_sync == "normal"
    monkeypatch.setenv("HELPWAY_ROOM_SYNC", "off")
    try:
        Settings.from_env()
    except SettingsError as exc:
        assert "HELPWAY_ROOM_SYNC" in str(exc) and "full, normal" in str(exc)
    else:
        raise AssertionError("an unknown sync mode must be refused")
