"""Where the local edge keeps its data and listens, from the environment and `.dev.vars`.

`helpway dev` and every CLI command read the same settings, so the CLI always works on the
data of the edge the developer is running.

Secrets and settings stay out of the repository: as wrangler does for `wrangler dev`, the local
runtime reads `.dev.vars` beside `wrangler.toml` (the repository root; `HELPWAY_DEV_VARS` names
another file) — `KEY=VALUE` lines, `#` comments (after a value too: a value holding `#` is
quoted), values optionally in single or double quotes —
into the environment before anything reads it, so every `HELPWAY_*` setting (`HELPWAY_DATA`,
`PORT`, `HELPWAY_LLM_BASE_URL`/`_MODEL`/`_API_KEY`, `HELPWAY_SOCKET_IDLE_S`, `HELPWAY_ROOM_SYNC`)
may live there. A
variable already in the environment wins over the file, so a one-off `PORT=8788 make dev` still
works. `.dev.vars` is git-ignored; on Cloudflare the same names are `[vars]` or Worker secrets.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import MutableMapping
from dataclasses import dataclass
from pathlib import Path

from helpway.rooms.sqlite_storage import SYNC_MODES, Sync

# packages/edge/src/helpway/edge/local/settings.py → the repository root.
REPO_ROOT = Path(__file__).resolve().parents[6]
DEV_VARS = REPO_ROOT / ".dev.vars"
DEFAULT_PORT = 8787
HOST = "127.0.0.1"


class SettingsError(ValueError):
    """An environment variable holds something unusable; the message names it."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    port: int
    host: str = HOST
    # How a room's commit reaches the disk before its ack (`helpway.rooms.sqlite_storage`).
    room_sync: Sync = "full"

    @property
    def database_path(self) -> Path:
        """The local stand-in for D1."""
        return self.data_dir / "d1.sqlite3"

    @property
    def rooms_dir(self) -> Path:
        """One SQLite file per conversation room, as Durable Object storage."""
        return self.data_dir / "rooms"

    @property
    def knowledge_dir(self) -> Path:
        """The vector index and embedding cache (the stand-in for Vectorize)."""
        return self.data_dir / "knowledge"

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def running_file(self) -> Path:
        """Written by `helpway dev` while it serves this data folder: its URL and process id."""
        return self.data_dir / "edge.json"

    def edge_url(self) -> str:
        """The URL of the edge serving this data folder if one is running, else the configured
        one: a link the CLI prints (an invite) must reach the running edge even when it was
        started with `PORT=...` in another shell."""
        try:
            running = json.loads(self.running_file.read_text(encoding="utf-8"))
            url, pid = str(running["url"]), int(running["pid"])
            os.kill(pid, 0)  # raises if no such process
        except (OSError, ValueError, KeyError, TypeError):
            return self.base_url
        return url

    @classmethod
    def from_env(cls) -> Settings:
        """Raises `SettingsError` for a `PORT` that is not a TCP port number or a
        `HELPWAY_ROOM_SYNC` that is not a sync mode."""
        data = os.environ.get("HELPWAY_DATA")
        return cls(
            data_dir=Path(data).resolve() if data else REPO_ROOT / ".data",
            port=_port(os.environ.get("PORT", "")),
            room_sync=_room_sync(os.environ.get("HELPWAY_ROOM_SYNC", "")),
        )


def _port(value: str) -> int:
    value = value.strip()
    if not value:
        return DEFAULT_PORT
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise SettingsError(f"PORT must be a port number from 1 to 65535, not {value!r}")
    return int(value)


def _room_sync(value: str) -> Sync:
    value = value.strip().lower() or "full"
    for mode in SYNC_MODES:
        if value == mode:
            return mode
    raise SettingsError(f"HELPWAY_ROOM_SYNC must be one of {', '.join(SYNC_MODES)}, not {value!r}")


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A value in quotes, and a comment after it. Unquoted, a value ends at its first `#`, as in
# the dotenv wrangler uses: `KEY=value # why` is `value` there, and must be here too.
_QUOTED = re.compile(r"""(['"])(.*?)\1\s*(?:#.*)?""")


def parse_dev_vars(text: str) -> dict[str, str]:
    """`KEY=VALUE` lines as wrangler reads `.dev.vars`. Raises `SettingsError` naming the first
    line that is neither that, a comment, nor blank (never echoing a value: it may be secret)."""
    found: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, equals, value = line.removeprefix("export ").partition("=")
        name, value = name.strip(), value.strip()
        if not equals or not _NAME.fullmatch(name):
            raise SettingsError(f".dev.vars line {number}: expected KEY=VALUE")
        quoted = _QUOTED.fullmatch(value)
        if quoted:
            quote, value = quoted.group(1, 2)
            if quote == '"':
                value = value.replace("\\n", "\n")
        else:
            value = value.partition("#")[0].rstrip()
        found[name] = value
    return found


def load_dev_vars(environ: MutableMapping[str, str] = os.environ) -> list[str]:
    """Put `.dev.vars` (or the file `HELPWAY_DEV_VARS` names) into `environ`, never replacing
    a variable already set; returns the names it set. A missing `.dev.vars` sets nothing (it is
    optional), but a missing file `HELPWAY_DEV_VARS` names is a `SettingsError`: the developer
    asked for those settings, and without them the CLI would work on the default data."""
    named = environ.get("HELPWAY_DEV_VARS")
    path = Path(named or DEV_VARS)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if named:
            raise SettingsError(f"HELPWAY_DEV_VARS names {path}, which does not exist") from None
        return []
    except OSError as exc:
        raise SettingsError(f"cannot read {path}: {exc.strerror or exc}") from None
    values = parse_dev_vars(text)
    added = [name for name in values if name not in environ]
    for name in added:
        environ[name] = values[name]
    return added
