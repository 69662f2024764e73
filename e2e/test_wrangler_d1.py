"""The D1 migrations run on workerd's SQLite too (FTS5 included), via wrangler, offline."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WRANGLER = ROOT / "node_modules" / ".bin" / "wrangler"
OFFLINE = {
    "WRANGLER_SEND_METRICS": "false",
    "CLOUDFLARE_CF_FETCH_ENABLED": "false",
    "WRANGLER_HIDE_BANNER": "true",
    "WRANGLER_SEND_ERROR_REPORTS": "false",
    "CI": "true",
}


def _wrangler(tmp_path: Path, *args: str) -> str:
    result = subprocess.run(
        [str(WRANGLER), *args, "--config", str(ROOT / "wrangler.toml")],
        cwd=tmp_path,
        env={**os.environ, **OFFLINE},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_migrations_apply_on_a_fresh_local_d1(tmp_path: Path) -> None:
    state = tmp_path / "state"
    _wrangler(tmp_path, "d1", "migrations", "apply", "DB", "--local", "--persist-to", str(state))
    out = _wrangler(
        tmp_path,
        "d1",
        "execute",
        "DB",
        "--local",
        "--persist-to",
        str(state),
        "--json",
        "--command",
        "SELECT name FROM sqlite_master WHERE type IN ('table') ORDER BY name",
    )
    tables = {row["name"] for row in json.loads(out)[0]["results"]}
    migrations = sorted(p.name for p in (ROOT / "packages/store/migrations").glob("*.sql"))
    assert migrations, "no migrations found"
    assert {"conversations", "messages", "sites", "agents", "visitors"} <= tables
    # The knowledge base's lexical index is an FTS5 virtual table: D1 must accept it.
    assert any(name.endswith("_fts") for name in tables), tables
