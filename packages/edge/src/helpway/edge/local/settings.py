"""Where the local edge keeps its data and listens, from the environment.

`helpway dev` and every CLI command read the same settings, so the CLI always works on the
data of the edge the developer is running.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# packages/edge/src/helpway/edge/local/settings.py → the repository root.
REPO_ROOT = Path(__file__).resolve().parents[6]
DEFAULT_PORT = 8787
HOST = "127.0.0.1"


class SettingsError(ValueError):
    """An environment variable holds something unusable; the message names it."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    port: int
    host: str = HOST

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

    @classmethod
    def from_env(cls) -> Settings:
        """Raises `SettingsError` for a `PORT` that is not a TCP port number."""
        data = os.environ.get("HELPWAY_DATA")
        return cls(
            data_dir=Path(data).resolve() if data else REPO_ROOT / ".data",
            port=_port(os.environ.get("PORT", "")),
        )


def _port(value: str) -> int:
    value = value.strip()
    if not value:
        return DEFAULT_PORT
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise SettingsError(f"PORT must be a port number from 1 to 65535, not {value!r}")
    return int(value)
