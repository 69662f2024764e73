"""Contract tests of the Vectorize-shaped `VectorIndex`.

They are the spec for every adapter: the `index` fixture is parametrised by adapter (the local
numpy index, and the Vectorize adapter over a double of the Vectorize binding).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import numpy as np
import pytest

from helpway.knowledge.cloudflare.testing import FakeVectorize
from helpway.knowledge.cloudflare.vectorize import VectorizeIndex
from helpway.knowledge.local_vector_index import LocalVectorIndex
from helpway.knowledge.vector_index import IndexMismatchError, VectorIndex, VectorRecord

DIMS = 8
MODEL = "test-model-v1"


def local_factory(folder: Path) -> Callable[[], LocalVectorIndex]:
    return lambda: LocalVectorIndex(folder / "vectors.sqlite", MODEL, DIMS)


@pytest.fixture(params=["local", "vectorize"])
async def index(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[VectorIndex]:
    if request.param == "vectorize":
        # Vectorize filters only on properties with a metadata index: the tests filter on these.
        yield VectorizeIndex(
            FakeVectorize(DIMS, metadata_indexes=("lang", "rank", "missing")), DIMS
        )
        return
    local = local_factory(tmp_path)()
    yield local
    local.close()


def unit(*hot: int) -> list[float]:
    v = np.zeros(DIMS, dtype=np.float32)
    for i in hot:
        v[i] = 1.0
    return (v / np.linalg.norm(v)).tolist()


def record(vid: str, values: list[float], namespace: str, **metadata: object) -> VectorRecord:
    return {"id": vid, "values": values, "namespace": namespace, "metadata": dict(metadata)}


async def seed(index: VectorIndex) -> None:
    await index.upsert(
        [
            record("a1", unit(0), "site-a", url="a#1", rank=1, lang="en"),
            record("a2", unit(0, 1), "site-a", url="a#2", rank=2, lang="es"),
            record("a3", unit(1), "site-a", url="a#3", rank=3, lang="en"),
            record("b1", unit(0), "site-b", url="b#1", rank=1, lang="en"),
        ]
    )


async def test_query_ranks_by_cosine_within_topk(index: VectorIndex) -> None:
    await seed(index)
    result = await index.query(unit(0), {"topK": 2, "namespace": "site-a"})
    assert result["count"] == 2
    assert [m["id"] for m in result["matches"]] == ["a1", "a2"]
    assert result["matches"][0]["score"] == pytest.approx(1.0)
    assert result["matches"][1]["score"] == pytest.approx(2**-0.5)
    assert "metadata" not in result["matches"][0]
    assert "values" not in result["matches"][0]
    default = await index.query(unit(0), {"namespace": "site-a"})
    assert default["count"] == 3  # topK defaults to 5, and there are 3 vectors in site-a


async def test_namespaces_never_leak(index: VectorIndex) -> None:
    await seed(index)
    for namespace, expected in (("site-a", {"a1", "a2", "a3"}), ("site-b", {"b1"})):
        result = await index.query(unit(0), {"topK": 10, "namespace": namespace})
        assert {m["id"] for m in result["matches"]} == expected
        assert {m["namespace"] for m in result["matches"]} == {namespace}
    assert (await index.query(unit(0), {"namespace": "nobody"}))["matches"] == []
    everywhere = await index.query(unit(0), {"topK": 10})
    assert {m["id"] for m in everywhere["matches"]} == {"a1", "a2", "a3", "b1"}


async def test_return_metadata_and_values(index: VectorIndex) -> None:
    await seed(index)
    result = await index.query(
        unit(1), {"topK": 1, "namespace": "site-a", "returnMetadata": "all", "returnValues": True}
    )
    match = result["matches"][0]
    assert match["id"] == "a3"
    assert match["metadata"] == {"url": "a#3", "rank": 3, "lang": "en"}
    assert match["values"] == pytest.approx(unit(1))
    with_true = await index.query(unit(1), {"topK": 1, "returnMetadata": True})
    assert with_true["matches"][0]["metadata"]["url"] == "a#3"


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ({"lang": "en"}, {"a1", "a3"}),
        ({"lang": {"$eq": "es"}}, {"a2"}),
        ({"lang": {"$ne": "es"}}, {"a1", "a3"}),
        ({"rank": {"$in": [1, 3]}}, {"a1", "a3"}),
        ({"rank": {"$nin": [1, 3]}}, {"a2"}),
        ({"rank": {"$lt": 2}}, {"a1"}),
        ({"rank": {"$lte": 2}}, {"a1", "a2"}),
        ({"rank": {"$gt": 2}}, {"a3"}),
        ({"rank": {"$gte": 2, "$lt": 3}}, {"a2"}),
        ({"lang": "en", "rank": {"$gt": 1}}, {"a3"}),
        ({"missing": {"$ne": "x"}}, {"a1", "a2", "a3"}),
        ({"lang": {"$gt": 1}}, set()),  # range operators compare like with like only
    ],
)
async def test_metadata_filter(index: VectorIndex, filter_: dict, expected: set[str]) -> None:
    await seed(index)
    result = await index.query(unit(0), {"topK": 10, "namespace": "site-a", "filter": filter_})
    assert {m["id"] for m in result["matches"]} == expected


async def test_upsert_replaces_and_insert_keeps(index: VectorIndex) -> None:
    await seed(index)
    await index.upsert([record("a1", unit(2), "site-a", url="a#1-new")])
    await index.insert(
        [record("a1", unit(3), "site-a", url="ignored"), record("a4", unit(3), "site-a")]
    )
    got = {r["id"]: r for r in await index.getByIds(["a1", "a4"])}
    assert got["a1"]["metadata"] == {"url": "a#1-new"}
    assert got["a1"]["values"] == pytest.approx(unit(2))
    assert got["a4"]["values"] == pytest.approx(unit(3))
    top = await index.query(unit(2), {"topK": 1, "namespace": "site-a"})
    assert top["matches"][0]["id"] == "a1"


async def test_get_and_delete_by_ids(index: VectorIndex) -> None:
    await seed(index)
    got = await index.getByIds(["b1", "nope", "a2"])
    assert [r["id"] for r in got] == ["b1", "a2"]
    assert got[0]["namespace"] == "site-b"
    assert got[0]["metadata"] == {"url": "b#1", "rank": 1, "lang": "en"}
    mutation = await index.deleteByIds(["a1", "b1", "nope"])
    assert mutation["mutationId"]
    assert await index.getByIds(["a1", "b1"]) == []
    remaining = await index.query(unit(0), {"topK": 10})
    assert {m["id"] for m in remaining["matches"]} == {"a2", "a3"}


async def test_describe(index: VectorIndex) -> None:
    empty = await index.describe()
    assert empty["dimensions"] == DIMS
    assert empty["vectorCount"] == 0
    await seed(index)
    info = await index.describe()
    assert info["vectorCount"] == 4
    assert info["processedUpToMutation"]


async def test_bad_input_is_refused_and_nothing_is_written(index: VectorIndex) -> None:
    await seed(index)
    with pytest.raises(ValueError, match="dimensions"):
        await index.upsert([record("ok", unit(1), "site-a"), record("bad", [1.0, 2.0], "site-a")])
    assert await index.getByIds(["ok", "bad"]) == []
    with pytest.raises(ValueError, match="64 bytes"):
        await index.upsert([record("x" * 65, unit(1), "site-a")])
    with pytest.raises(ValueError, match="dimensions"):
        await index.query([1.0, 0.0])
    with pytest.raises(ValueError, match="topK"):
        await index.query(unit(0), {"topK": 0})
    with pytest.raises(ValueError, match="topK"):
        await index.query(unit(0), {"topK": 101})
    with pytest.raises(ValueError, match="operator"):
        await index.query(unit(0), {"filter": {"rank": {"$regex": "x"}}})
    assert (await index.describe())["vectorCount"] == 4


async def test_local_index_persists_and_refuses_another_model(tmp_path: Path) -> None:
    first = LocalVectorIndex(tmp_path / "v.sqlite", MODEL, DIMS)
    await seed(first)
    second = LocalVectorIndex(tmp_path / "v.sqlite", MODEL, DIMS)  # e.g. the CLI beside the edge
    seen_by_second = await second.query(unit(0), {"topK": 1, "namespace": "site-b"})
    assert seen_by_second["matches"][0]["id"] == "b1"
    await second.upsert([record("b2", unit(0), "site-b")])
    seen_by_first = await first.query(unit(0), {"topK": 5, "namespace": "site-b"})
    assert {m["id"] for m in seen_by_first["matches"]} == {"b1", "b2"}
    first.close()
    second.close()
    reopened = LocalVectorIndex(tmp_path / "v.sqlite", MODEL, DIMS)
    assert (await reopened.describe())["vectorCount"] == 5
    reopened.close()
    with pytest.raises(IndexMismatchError, match="other-model"):
        LocalVectorIndex(tmp_path / "v.sqlite", "other-model", DIMS)
    with pytest.raises(IndexMismatchError, match="16 dims"):
        LocalVectorIndex(tmp_path / "v.sqlite", MODEL, 16)
