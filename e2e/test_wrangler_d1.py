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
    # The lexical indexes (the knowledge base's, the messages') are FTS5 virtual tables, one of
    # each kind on the trigram tokenizer: D1 must accept them.
    assert {"kb_chunks_fts", "messages_fts", "messages_trigram_fts"} <= tables, tables
    assert "canned_responses" in tables
    assert {"site_agents", "agent_invites"} <= tables  # 0009 rebuilt site_agents in place


def test_message_search_indexes_follow_inserts_and_deletes_on_d1(tmp_path: Path) -> None:
    """The triggers of 0008 on workerd's SQLite: a message is found by words and by trigrams,
    and is gone from both indexes once deleted."""
    state = tmp_path / "state"
    _wrangler(tmp_path, "d1", "migrations", "apply", "DB", "--local", "--persist-to", str(state))
    local = ("d1", "execute", "DB", "--local", "--persist-to", str(state), "--json", "--command")

    def run(sql: str) -> list[dict[str, object]]:
        return list(json.loads(_wrangler(tmp_path, *local, sql))[0]["results"])

    run(
        "INSERT INTO sites (id, name, created_at) VALUES ('s', 'S', 1);"
        "INSERT INTO visitors (id, site_id, token_hash, name, created_at, last_seen_at) "
        "VALUES ('v', 's', 'h', 'V', 1, 1);"
        "INSERT INTO conversations (id, site_id, visitor_id, created_at, updated_at) "
        "VALUES ('c', 's', 'v', 1, 1);"
        "INSERT INTO messages (conversation_id, seq, id, kind, author_id, author_role, "
        "author_name, text, created_at) VALUES ('c', 1, 'm', 'message', 'v', 'visitor', 'V', "
        "'refunded twice ลืมรหัสผ่าน', 1)"
    )
    words = "SELECT rowid FROM messages_fts WHERE messages_fts MATCH '\"refund\"'"
    trigrams = (
        "SELECT rowid FROM messages_trigram_fts WHERE messages_trigram_fts MATCH '\"รหัสผ่าน\"'"
    )
    assert len(run(words)) == 1 and len(run(trigrams)) == 1
    run("DELETE FROM messages WHERE conversation_id = 'c'")
    assert run(words) == [] and run(trigrams) == []
