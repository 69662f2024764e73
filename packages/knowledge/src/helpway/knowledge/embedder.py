"""The `Embedder` port: text to unit-length vectors, for questions and for passages.

Asymmetric models (e5, bge) embed a question differently from the passage that answers it, so
the port keeps the two apart. Async because production calls Workers AI over the network; the
local adapter runs its model on a worker thread so the event loop keeps serving chats.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]  # shape (n, dims), each row L2-normalised
Kind = Literal["query", "passage"]


class Embedder(Protocol):
    @property
    def model_id(self) -> str:
        """Names the model and its version; vectors of different ids never mix in an index."""
        ...

    @property
    def dims(self) -> int: ...

    async def embed(self, texts: Sequence[str], kind: Kind) -> Vectors:
        """One row per text, in order."""
        ...
