"""The `helpway` CLI in subprocesses (`uv run helpway ...`), on its own data folder, and on the
data folder of a running edge (which must see what the CLI created)."""

from __future__ import annotations

import json
import os
import pty
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("docs")
    (root / "guides").mkdir()
    (root / "shipping.md").write_text(
        "# Shipping\n\n## Delivery times\n\nParcels to Norway take four to six working days.\n\n"
        "## Tracking a parcel\n\nThe tracking number is in the dispatch e-mail.\n"
    )
    (root / "guides" / "returns.html").write_text(
        "<html><head><title>Returns</title></head><body><h1>Returns</h1>"
        '<h2 id="return-window">Return window</h2><p>You may return shoes within 30 days.</p>'
        "</body></html>"
    )
    (root / "logo.png").write_bytes(b"\x89PNG not a document")
    return root


def on_a_terminal(data: Path, *args: str) -> tuple[str, str]:
    """`helpway ARGS` with stderr on a pseudo-terminal, as in a developer's shell, where the
    progress bar is drawn (click shows only its label when stderr is not a terminal); returns
    stdout and what the terminal showed."""
    terminal, child = pty.openpty()
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("helpway")), *args],
        env={**os.environ, "HELPWAY_DATA": str(data)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=child,
    )
    os.close(child)
    shown = b""
    while True:
        try:
            chunk = os.read(terminal, 4096)
        except OSError:  # EIO: the child closed its end
            break
        if not chunk:
            break
        shown += chunk
    os.close(terminal)
    assert process.stdout is not None
    stdout = process.stdout.read().decode()
    assert process.wait(timeout=120) == 0, shown.decode(errors="replace") + stdout
    return stdout, shown.decode(errors="replace")


def test_kb_ingest_then_search_json(tmp_path: Path, docs: Path, helpway) -> None:
    data = tmp_path / "data"
    helpway(
        data,
        "sites",
        "create",
        "--id",
        "shop",
        "--name",
        "Shoe shop",
        "--origin",
        "https://shoes.example",
    )
    stdout, terminal = on_a_terminal(
        data,
        "kb",
        "ingest",
        "--site",
        "shop",
        "--base-url",
        "https://shoes.example/help",
        str(docs),
    )
    assert "2 documents (2 added)" in stdout
    assert "3 sections" in stdout
    # The bar counts documents as they are done, up to the total.
    assert "ingesting" in terminal
    assert re.findall(r"\b(\d+)/2\b", terminal) == ["0", "1", "2"], terminal

    found = helpway(
        data,
        "kb",
        "search",
        "--site",
        "shop",
        "--json",
        "-k",
        "2",
        "how long does delivery to Norway take",
    )
    result = json.loads(found.stdout)
    assert result["query"] == "how long does delivery to Norway take"
    assert len(result["hits"]) == 2
    top = result["hits"][0]
    assert top["url"] == "https://shoes.example/help/shipping#delivery-times"
    assert set(top) == {"url", "title", "score", "text"}
    assert "four to six working days" in top["text"]
    assert result["hits"][0]["score"] >= result["hits"][1]["score"]

    html = helpway(data, "kb", "search", "--site", "shop", "--json", "return shoes")
    urls = [hit["url"] for hit in json.loads(html.stdout)["hits"]]
    assert urls[0] == "https://shoes.example/help/guides/returns.html#return-window"

    again = helpway(
        data,
        "kb",
        "ingest",
        "--site",
        "shop",
        "--base-url",
        "https://shoes.example/help",
        str(docs),
    )
    assert "2 documents (2 unchanged)" in again.stdout

    text = helpway(data, "kb", "search", "--site", "shop", "parcel tracking number")
    assert text.stdout.startswith("1. [")
    assert "https://shoes.example/help/shipping#tracking-a-parcel" in text.stdout

    questions = tmp_path / "questions.jsonl"
    questions.write_text(
        json.dumps({"question": "Where is my parcel's tracking number?", "lang": "en",
                    "expected": ["https://shoes.example/help/shipping#tracking-a-parcel"]})
        + "\n"
        + json.dumps({"question": "Who painted the Mona Lisa?", "expected": [], "lang": "en"})
        + "\n"
    )  # fmt: skip
    scored = helpway(data, "kb", "eval", "--site", "shop", "--questions", str(questions), "--json")
    report = json.loads(scored.stdout)[questions.stem]
    assert report["questions"] == 2 and report["answerable"] == 1
    assert report["recall"]["all"]["@1"] == 1.0


def test_kb_ingest_reports_binary_and_oversized_files_and_fails(tmp_path: Path, helpway) -> None:
    from helpway.knowledge.sources import MAX_DOCUMENT_BYTES

    data, folder = tmp_path / "data", tmp_path / "help"
    folder.mkdir()
    (folder / "shipping.md").write_text("# Shipping\n\n## Norway\n\nFour to six working days.\n")
    (folder / "bin.md").write_bytes(bytes(range(256)) * 64)
    (folder / "nul.html").write_bytes(b"\0" * 2048)
    (folder / "big.txt").write_text("words " * (MAX_DOCUMENT_BYTES // 6 + 1))
    helpway(data, "sites", "create", "--id", "shop", "--name", "Shoe shop")
    run = helpway(data, "kb", "ingest", "--site", "shop", str(folder), ok=False)
    assert run.returncode == 1
    assert "4 documents (1 added, 3 failed)" in run.stdout
    failed = sorted(line for line in run.stderr.splitlines() if line.startswith("failed: "))
    assert failed == [
        f"failed: /kb/shop/big.txt: big.txt is larger than {MAX_DOCUMENT_BYTES} bytes",
        "failed: /kb/shop/bin: bin.md is not a text document (not valid UTF-8)",
        "failed: /kb/shop/nul.html: nul.html is not a text document (it holds NUL bytes)",
    ]


def test_kb_ingest_reports_a_file_that_is_no_document_and_ingests_the_rest(
    tmp_path: Path, helpway
) -> None:
    """A file of an unknown type among the paths ended the command with a traceback, before
    any document was ingested."""
    data = tmp_path / "data"
    shipping, blob = tmp_path / "shipping.md", tmp_path / "file.bin"
    shipping.write_text("# Shipping\n\n## Norway\n\nFour to six working days.\n")
    blob.write_bytes(b"\x89PNG")
    helpway(data, "sites", "create", "--id", "shop", "--name", "Shoe shop")
    run = helpway(data, "kb", "ingest", "--site", "shop", str(shipping), str(blob), ok=False)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "2 documents (1 added, 1 failed)" in run.stdout
    failed = [line for line in run.stderr.splitlines() if line.startswith("failed: ")]
    assert failed == [f"failed: {blob}: file.bin is not a Markdown, HTML or text file"]


def test_cli_refusals_are_clear(tmp_path: Path, docs: Path, helpway) -> None:
    data = tmp_path / "data"
    unknown = helpway(data, "kb", "ingest", "--site", "nope", str(docs), ok=False)
    assert "create it before ingesting" in unknown.stderr
    bad_origin = helpway(
        data,
        "sites",
        "create",
        "--id",
        "x",
        "--name",
        "X",
        "--origin",
        "shoes.example/path",
        ok=False,
    )
    assert "is not an origin" in bad_origin.stderr
    helpway(data, "sites", "create", "--id", "x", "--name", "X")
    twice = helpway(data, "sites", "create", "--id", "x", "--name", "X", ok=False)
    assert "exists" in twice.stderr
    no_site = helpway(
        data,
        "agents",
        "create",
        "--email",
        "a@x.example",
        "--name",
        "A",
        "--password",
        "long enough",
        "--site",
        "nope",
        ok=False,
    )
    assert "no site 'nope'" in no_site.stderr


@pytest.mark.parametrize("site_id", ["my shop", "a/b", "x" * 53, "", "shop.example", "café"])
def test_sites_create_refuses_ids_that_are_not_plain(tmp_path: Path, helpway, site_id: str) -> None:
    refused = helpway(tmp_path, "sites", "create", "--id", site_id, "--name", "Shop", ok=False)
    assert "is not a site id: use 1 to 52 letters, digits, '-' or '_'" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_sites_create_takes_plain_ids_up_to_52_characters(tmp_path: Path, helpway) -> None:
    for site_id in ("Shop_2-eu", "x" * 52):
        created = helpway(tmp_path, "sites", "create", "--id", site_id, "--name", "Shop")
        assert f"site {site_id!r} created" in created.stdout


def test_agents_need_a_password_of_8_characters(tmp_path: Path, helpway) -> None:
    helpway(tmp_path, "sites", "create", "--id", "shop", "--name", "Shop")
    agent = ["agents", "create", "--email", "a@shop.example", "--name", "A", "--site", "shop"]
    for weak in ("x", "1234567"):
        refused = helpway(tmp_path, *agent, "--password", weak, ok=False)
        assert "a password needs at least 8 characters" in refused.stderr
    created = helpway(tmp_path, *agent, "--password", "12345678")
    assert "agent a@shop.example created for shop" in created.stdout
    again = helpway(tmp_path, *agent, "--password", "12345678", ok=False)
    assert "exists; to let it answer for more sites, use `helpway agents add-to-site`" in (
        again.stderr
    )


async def test_an_existing_agent_joins_another_site(client, edge, helpway) -> None:
    helpway(edge.data, "sites", "create", "--id", "joined-later", "--name", "Later")
    helpway(
        edge.data,
        "agents",
        "create",
        "--email",
        "kim@later.example",
        "--name",
        "Kim",
        "--password",
        "kim-password",
        "--site",
        "joined-later",
    )
    added = helpway(
        edge.data, "agents", "add-to-site", "--email", "KIM@later.example", "--site", "demo"
    )
    assert added.stdout.strip() == (
        "agent kim@later.example is agent of demo; answers for demo, joined-later"
    )
    login = await client.http.post(
        "/api/agent/login", json={"email": "kim@later.example", "password": "kim-password"}
    )
    assert login.json()["site_ids"] == ["demo", "joined-later"]

    add = ["agents", "add-to-site", "--email"]
    nobody = helpway(edge.data, *add, "nobody@later.example", "--site", "demo", ok=False)
    assert "no agent 'nobody@later.example': create it with `helpway agents create`" in (
        nobody.stderr
    )
    no_site = helpway(edge.data, *add, "kim@later.example", "--site", "nope", ok=False)
    assert "no site 'nope': create it first" in no_site.stderr


async def test_an_agent_of_another_site_reaches_none_of_the_demo(client, edge, helpway) -> None:
    helpway(edge.data, "sites", "create", "--id", "other", "--name", "Other")
    helpway(
        edge.data,
        "agents",
        "create",
        "--email",
        "sam@other.example",
        "--name",
        "Sam",
        "--password",
        "s3cret!-pass",
        "--site",
        "other",
    )
    login = await client.http.post(
        "/api/agent/login", json={"email": "sam@other.example", "password": "s3cret!-pass"}
    )
    assert login.status_code == 200
    sam = login.json()
    assert sam["site_ids"] == ["other"]
    auth = {"authorization": f"Bearer {sam['token']}"}

    visitor = await client.visitor()
    cid = visitor["conversation_id"]
    async with client.conversation(cid, visitor["visitor_token"]) as v:
        await v.send({"type": "message.send", "client_id": "t1", "text": "Hello?"})
        await v.recv_until("ack")
    inbox = await client.http.get("/api/inbox", headers=auth)
    assert inbox.json() == {"conversations": []}
    history = await client.http.get(f"/api/conversations/{cid}/history", headers=auth)
    assert history.status_code == 403
    async with client.socket(f"/ws/conversations/{cid}") as sock:
        await sock.send({"type": "join", "v": 1, "token": sam["token"]})
        assert (await sock.recv())["code"] == "unauthorized"
        await sock.conn.wait_closed()
        assert sock.conn.close_code == 4401
    document = {"site_id": "demo", "url": "/help/x", "content": "# X\n\ntext"}
    refused = await client.http.post("/api/kb/documents", json=document, headers=auth)
    assert refused.status_code == 403


async def test_dev_banner_prints_a_demo_agent_login_that_works(client, edge) -> None:
    """`make dev` promises a newcomer can sign in to the console with what it prints."""
    banner = edge.log.read_text()
    assert f"Agent console  {edge.url}/console" in banner
    email = re.search(r"^ +e-mail +(\S+)$", banner, re.MULTILINE)
    password = re.search(r"^ +password +(\S+)$", banner, re.MULTILINE)
    assert email is not None and password is not None, banner
    login = await client.http.post(
        "/api/agent/login", json={"email": email[1], "password": password[1]}
    )
    assert login.status_code == 200, login.text
    assert "demo" in login.json()["site_ids"]


def test_an_invite_link_names_the_running_edge(edge, helpway, tmp_path: Path) -> None:
    """The edge runs on a port of its own (PORT given to it only): the CLI, in a shell without
    PORT, still prints a link to it, not to the default port; with no edge running on a data
    folder, the configured address (PORT, else 8787)."""
    helpway(edge.data, "sites", "create", "--id", "invite-port", "--name", "Invite port")
    printed = helpway(edge.data, "agents", "invite", "--site", "invite-port", "--email", "p@x.io")
    assert printed.stdout.strip().splitlines()[-1].startswith(f"{edge.url}/invite?token=")

    idle = tmp_path / "idle"
    helpway(idle, "sites", "create", "--id", "idle", "--name", "Idle")
    printed = helpway(idle, "agents", "invite", "--site", "idle", "--email", "p@x.io")
    link = printed.stdout.strip().splitlines()[-1]
    assert link.startswith("http://127.0.0.1:") and not link.startswith(edge.url), link


def run_dev(data: Path, port: str) -> subprocess.CompletedProcess[str]:
    """`helpway dev` as `make dev` runs it, on a fresh data folder."""
    return subprocess.run(
        [str(Path(sys.executable).with_name("helpway")), "dev"],
        env={**os.environ, "HELPWAY_DATA": str(data), "PORT": port},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_dev_on_a_busy_port_fails_at_once_without_a_banner(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = run_dev(tmp_path / "data", str(port))
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == [
        f"Error: port {port} is already in use on 127.0.0.1: stop what listens there, or pick "
        "another port, e.g. PORT=8788 make dev"
    ]
    # That one line is all: no banner with URLs and a login; nothing started, not even the data
    # folder.
    assert run.stdout == ""
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("port", ["abc", "99999", "0", "-1", "80.5"])
def test_dev_and_the_cli_refuse_a_bad_port_in_one_line(tmp_path: Path, port: str) -> None:
    run = run_dev(tmp_path / "data", port)
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == [
        f"Error: PORT must be a port number from 1 to 65535, not {port!r}"
    ]
    listing = subprocess.run(
        [str(Path(sys.executable).with_name("helpway")), "kb", "search", "--site", "x", "q"],
        env={**os.environ, "HELPWAY_DATA": str(tmp_path / "data"), "PORT": port},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listing.returncode == 1
    assert "Traceback" not in listing.stderr and "PORT must be" in listing.stderr


async def test_canned_responses_from_the_cli_reach_the_sites_agents(client, edge, helpway) -> None:
    helpway(edge.data, "sites", "create", "--id", "canned-cli", "--name", "Canned")
    saved = ["canned", "add", "--site", "canned-cli", "--title", "Refunds"]
    made = helpway(edge.data, *saved, "--shortcut", "/refund", "--text", "Refunds take 5 days.")
    assert made.stdout.strip().endswith("saved as /refund")
    taken = helpway(edge.data, *saved, "--shortcut", "refund", "--text", "Again", ok=False)
    assert "shortcut /refund is taken on this site" in taken.stderr
    bad = helpway(edge.data, *saved, "--shortcut", "Re fund", "--text", "x", ok=False)
    assert "shortcut: String should match pattern" in bad.stderr

    listed = json.loads(
        helpway(edge.data, "canned", "list", "--site", "canned-cli", "--json").stdout
    )
    [response] = listed["responses"]
    assert (response["shortcut"], response["text"]) == ("refund", "Refunds take 5 days.")
    edit = ["canned", "edit", "--site", "canned-cli", "--id", response["id"], "--title", "R"]
    helpway(edge.data, *edit, "--shortcut", "refunds", "--text", "Refunds take 3 days.")
    helpway(
        edge.data,
        "agents",
        "create",
        "--email",
        "lee@canned.example",
        "--name",
        "Lee",
        "--password",
        "lee-password",
        "--site",
        "canned-cli",
    )
    login = await client.http.post(
        "/api/agent/login", json={"email": "lee@canned.example", "password": "lee-password"}
    )
    shown = await client.http.get(
        "/api/sites/canned-cli/canned",
        headers={"authorization": f"Bearer {login.json()['token']}"},
    )
    assert [(r["shortcut"], r["text"]) for r in shown.json()["responses"]] == [
        ("refunds", "Refunds take 3 days.")
    ]
    remove = ["canned", "remove", "--site", "canned-cli", "--id", response["id"]]
    assert helpway(edge.data, *remove).stdout.strip() == f"canned response {response['id']} removed"
    assert "no canned response" in helpway(edge.data, *remove, ok=False).stderr
