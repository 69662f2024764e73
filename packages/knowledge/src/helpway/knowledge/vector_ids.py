"""How vector ids relate to chunk ids.

A chunk's text vector has the chunk's id. The first chunk of each section also carries the
section's heading vector, under the chunk id plus `HEADING_SUFFIX`; both lead back to the chunk.
"""

from __future__ import annotations

HEADING_SUFFIX = ".h"


def heading_vector_id(chunk_id: str) -> str:
    return chunk_id + HEADING_SUFFIX


def chunk_id_of(vector_id: str) -> str:
    return vector_id.removesuffix(HEADING_SUFFIX)
