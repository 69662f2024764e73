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
        data = os.environ.get("HELPWAY_DATA")
        port = os.environ.get("PORT", "")
        return cls(
            data_dir=Path(data).resolve() if data else REPO_ROOT / ".data",
            port=int(port) if port.strip() else DEFAULT_PORT,
        )
