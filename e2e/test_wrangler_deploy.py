"""wrangler accepts the Cloudflare deployment offline: config, Python Worker bundle, bindings of
every environment, and the static assets with their rules.

- `wrangler deploy --dry-run --outdir DIR` for the top level, staging and production: no login,
  and no network either (run in an empty network namespace when the machine allows one), for
  every binding type used — D1, Durable Objects, Vectorize, Workers AI, assets, vars. It runs
  the `[build]` command too (widget build and asset rules).
- The config names what exists: the entry module, its Durable Object classes (each declared in
  a SQLite migration), the D1 migrations folder.
- The asset rules behave as intended on workerd's asset server (`wrangler dev` of an
  assets-only Worker with the same folder, loopback only): `/w/<path>` serves the build's `<path>`,
  `/console` the console page, with CORS and the caching headers of each kind of file.

What only a real account can check is listed in README.md ("Deploy to Cloudflare").
"""

from __future__ import annotations

import ast
import os
import signal
import socket
import subprocess
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
WRANGLER = ROOT / "node_modules" / ".bin" / "wrangler"
CONFIG = ROOT / "wrangler.toml"
OFFLINE = {
    "WRANGLER_SEND_METRICS": "false",
    "CLOUDFLARE_CF_FETCH_ENABLED": "false",
    "WRANGLER_HIDE_BANNER": "true",
    "WRANGLER_SEND_ERROR_REPORTS": "false",
    "CI": "true",
}


def _no_network_prefix() -> list[str]:
    """`unshare -n` (an empty network namespace) where this machine allows it."""
    try:
        probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, timeout=10)
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return []
    return ["unshare", "-n"] if probe.returncode == 0 else []


def _dry_run(out: Path, env_name: str) -> str:
    result = subprocess.run(
        [
            *_no_network_prefix(),
            str(WRANGLER),
            "deploy",
            "--dry-run",
            "--outdir",
            str(out),
            "--env",
            env_name,
        ],
        cwd=ROOT,  # the [build] command runs where wrangler (or pywrangler) is started
        env={**os.environ, **OFFLINE, "UV_OFFLINE": "1", "HOME": str(out.parent / "home")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.parametrize(
    ("env_name", "database", "index"),
    [
        ("", "helpway", "helpway-kb"),
        ("staging", "helpway-staging", "helpway-kb-staging"),
        ("production", "helpway-production", "helpway-kb-production"),
    ],
)
def test_dry_run_accepts_config_bundle_and_bindings(
    tmp_path: Path, env_name: str, database: str, index: str
) -> None:
    out = tmp_path / "out"
    stdout = _dry_run(out, env_name)
    for binding in (
        "env.ROOMS (ConversationRoom)",
        "env.INBOX (InboxHub)",
        "env.LIMITER (RateLimiter)",
        f"env.DB ({database})",
        f"env.VECTORIZE ({index})",
        "env.AI",
        'env.HELPWAY_EMBEDDING_MODEL ("@cf/baai/bge-m3")',
    ):
        assert binding in stdout, stdout
    assert "--dry-run: exiting now." in stdout
    assert "files from the assets directory" in stdout
    # The Python Worker is packed as-is: its main module at the bundle's root.
    bundled = (out / "worker.py").read_text(encoding="utf-8")
    entry = tomllib.loads(CONFIG.read_text())["main"]
    assert bundled == (ROOT / entry).read_text(encoding="utf-8")


def test_the_config_names_what_exists() -> None:
    config = tomllib.loads(CONFIG.read_text())
    entry = ROOT / config["main"]
    classes = {
        node.name for node in ast.parse(entry.read_text()).body if isinstance(node, ast.ClassDef)
    }
    assert "Default" in classes  # the Worker's default entrypoint
    sqlite_classes = {c for m in config["migrations"] for c in m.get("new_sqlite_classes", [])}
    for scope in (config, *config["env"].values()):
        bound = {b["class_name"] for b in scope["durable_objects"]["bindings"]}
        assert bound == {"ConversationRoom", "InboxHub", "RateLimiter"}, bound
        assert bound <= classes and bound <= sqlite_classes, bound
        [db] = scope["d1_databases"]
        assert (ROOT / db["migrations_dir"]).is_dir()
        assert any((ROOT / db["migrations_dir"]).glob("*.sql"))
        assert scope["ai"]["binding"] == "AI"
        assert scope["vars"]["HELPWAY_EMBEDDING_DIMS"] == "1024"
    assert "python_workers" in config["compatibility_flags"]
    assert (ROOT / config["assets"]["directory"]).parent.is_dir()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def asset_server(tmp_path: Path) -> Iterator[str]:
    """workerd serving the widget build as the deployed Worker's assets do (no Worker code:
    Python Workers cannot start here), with the rules the [build] command writes."""
    _dry_run(tmp_path / "out", "")  # builds the widget and writes its asset rules
    assets = ROOT / tomllib.loads(CONFIG.read_text())["assets"]["directory"]
    config = tmp_path / "assets.toml"
    config.write_text(
        f'name = "helpway-assets"\ncompatibility_date = "2026-04-01"\n'
        f'[assets]\ndirectory = "{assets}"\n'
    )
    port = _free_port()
    log = (tmp_path / "dev.log").open("w")
    process = subprocess.Popen(
        [  # on the host's network: the test connects to it (wrangler's own calls are off)
            str(WRANGLER),
            "dev",
            "--config",
            str(config),
            "--ip",
            "127.0.0.1",
            "--port",
            str(port),
            "--persist-to",
            str(tmp_path / "state"),
        ],
        cwd=tmp_path,
        env={**os.environ, **OFFLINE},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (tmp_path / "dev.log").read_text()
            try:
                httpx.get(url + "/widget.js", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, (tmp_path / "dev.log").read_text()
                time.sleep(0.2)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


def test_asset_rules_serve_the_widget_like_the_local_edge(asset_server: str) -> None:
    build = ROOT / tomllib.loads(CONFIG.read_text())["assets"]["directory"]
    with httpx.Client(base_url=asset_server) as http:
        loader = http.get("/widget.js", headers={"origin": "https://shop.example"})
        assert loader.status_code == 200
        assert loader.headers["access-control-allow-origin"] == "*"
        assert loader.headers["cache-control"] == "public, max-age=300"

        module = next(build.glob("v/*/app/widget_modules.bin")).relative_to(build)
        app = http.get(f"/w/{module}")
        assert app.status_code == 200
        assert app.content == (build / module).read_bytes()
        assert app.headers["access-control-allow-origin"] == "*"

        wasm = next(build.glob("v/*/runtime/*/*.wasm")).relative_to(build)
        runtime = http.get(f"/w/{wasm}")
        assert runtime.status_code == 200
        assert runtime.headers["content-type"] == "application/wasm"
        assert runtime.headers["cache-control"] == "public, max-age=31536000, immutable"

        console = http.get("/console")
        assert console.status_code == 200
        assert console.content == (build / "console.html").read_bytes()
        assert console.headers["cache-control"] == "no-cache"

        assert http.get("/.helpway-build.json").status_code == 404  # not a public asset
        assert http.get("/w/.helpway-build.json").status_code == 404
