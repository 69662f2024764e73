"""The browser's codec and the server's models must give every frame the same verdict.

`wire_corpus.json` holds valid and invalid client and server frames with the verdict each must
get: `ok`, or the error code a refusal carries (`bad_frame`, `invalid`, `too_large`). Every case
runs through three validators:

- pydantic (`frames.*_frame_adapter.validate_json`, after the byte-size check every endpoint
  does first), the source of truth the server uses;
- `wire.decode` on CPython;
- `wire.decode` on real MicroPython: the npm WebAssembly build the widget ships, run in Node.

A disagreement means the codec (or the spec export) is wrong, never the corpus expectation.
Frames that pass must also decode to the same value everywhere.

Corpus case fields: `raw` (the frame's text) or `raw_runs` ([piece, count] pairs, concatenated),
or `frame` (serialised compactly; `ascii: true` escapes non-ASCII as `\\uXXXX`), optionally with
`fill` (set `path` to `unit * count + suffix`) and `pad` (lengthen the string at `path` with
`unit` until the frame is `to_bytes` long).
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from helpway.shared import errors, frames, limits, wire, wire_spec

HERE = Path(__file__).parent
CORPUS: list[dict[str, Any]] = json.loads((HERE / "wire_corpus.json").read_text("utf-8"))
CODEC_DIR = Path(wire.__file__).parent
RUNTIME = "@micropython/micropython-webassembly-pyscript/micropython.mjs"
VERDICTS = {"ok", errors.BAD_FRAME, errors.INVALID, errors.TOO_LARGE}

# pydantic error types meaning "not a frame at all" rather than "a frame with a bad field";
# a wrong top-level type (loc == ()) is also "not a frame".
_NOT_A_FRAME = {"json_invalid", "json_type", "union_tag_not_found", "union_tag_invalid"}
_NOT_AN_OBJECT = {"model_type", "model_attributes_type", "dict_type"}


def _set(target: Any, path: list[Any], value: Any) -> None:
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


def _get(target: Any, path: list[Any]) -> Any:
    for key in path:
        target = target[key]
    return target


def expand(case: dict[str, Any]) -> str:
    """The frame text a case describes."""
    if "raw" in case:
        return str(case["raw"])
    if "raw_runs" in case:
        return "".join(piece * count for piece, count in case["raw_runs"])
    frame = copy.deepcopy(case["frame"])
    fill = case.get("fill")
    if fill:
        _set(frame, fill["path"], fill["unit"] * fill["count"] + fill.get("suffix", ""))

    def dump() -> str:
        return json.dumps(frame, separators=(",", ":"), ensure_ascii=case.get("ascii", False))

    raw = dump()
    pad = case.get("pad")
    if pad:
        missing = pad["to_bytes"] - len(raw.encode("utf-8"))
        _set(frame, pad["path"], _get(frame, pad["path"]) + pad["unit"] * missing)
        raw = dump()
        assert len(raw.encode("utf-8")) == pad["to_bytes"], case["name"]
    return raw


def pydantic_verdict(raw: str, side: str) -> str:
    """The verdict the server's models give, classified as the endpoints classify refusals."""
    if len(raw.encode("utf-8")) > limits.MAX_FRAME_BYTES:
        return errors.TOO_LARGE
    adapter: TypeAdapter[Any] = (
        # The codec's CLIENT spec covers the rooms' and the inbox socket's frames alike.
        frames.inbox_client_frame_adapter if side == "client" else frames.server_frame_adapter
    )
    try:
        adapter.validate_json(raw)
    except ValidationError as exc:
        problems = exc.errors()
        kinds = {problem["type"] for problem in problems}
        if kinds & _NOT_A_FRAME or (kinds & _NOT_AN_OBJECT and not problems[0]["loc"]):
            return errors.BAD_FRAME
        return errors.INVALID
    return "ok"


def cpython_wire(raw: str | bytes, side: str) -> tuple[str, Any]:
    frame, problem = wire.decode(raw, wire_spec.CLIENT if side == "client" else wire_spec.SERVER)
    return ("ok", frame) if problem is None else (problem[0], None)


def _node_modules() -> Path:
    override = os.environ.get("HELPWAY_NODE_MODULES")
    if override:
        return Path(override)
    for folder in HERE.resolve().parents:
        if (folder / "node_modules" / RUNTIME).is_file():
            return folder / "node_modules"
    raise RuntimeError("node_modules with MicroPython not found: run `npm ci` at the repo root")


CASE_IDS = [f"{case['side']}: {case['name']}" for case in CORPUS]


@pytest.fixture(scope="module")
def micropython_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Any]]:
    """Every corpus case decoded by MicroPython, in one Node process."""
    node = shutil.which("node")
    assert node, "Node is needed to run the codec under MicroPython"
    cases_file = tmp_path_factory.mktemp("wire") / "cases.json"
    cases_file.write_text(json.dumps([{"side": c["side"], "raw": expand(c)} for c in CORPUS]))
    script = HERE / "micropython_wire.mjs"
    run = subprocess.run(
        [node, str(script), str(_node_modules() / RUNTIME), str(CODEC_DIR), str(cases_file)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    assert run.stderr == "", run.stderr[-4000:]
    results = [json.loads(text) for text in json.loads(run.stdout)]
    assert len(results) == len(CORPUS)
    return dict(zip(CASE_IDS, results, strict=True))


def test_corpus_covers_every_frame_type_and_verdict() -> None:
    assert len(set(CASE_IDS)) == len(CASE_IDS), "case names must be unique"
    for side, spec in (("client", wire_spec.CLIENT), ("server", wire_spec.SERVER)):
        cases = [case for case in CORPUS if case["side"] == side]
        assert {case["expect"] for case in cases} == VERDICTS, side
        good_types = {json.loads(expand(case))["type"] for case in cases if case["expect"] == "ok"}
        assert good_types == set(spec), f"{side} frame types without a good case"


@pytest.mark.parametrize("case", CORPUS, ids=CASE_IDS)
def test_pydantic_gives_the_expected_verdict(case: dict[str, Any]) -> None:
    assert pydantic_verdict(expand(case), case["side"]) == case["expect"]


@pytest.mark.parametrize("case", CORPUS, ids=CASE_IDS)
def test_cpython_codec_gives_the_expected_verdict(case: dict[str, Any]) -> None:
    raw = expand(case)
    verdict, frame = cpython_wire(raw, case["side"])
    assert verdict == case["expect"]
    if verdict == "ok":
        assert frame == json.loads(raw)


@pytest.mark.parametrize("case", CORPUS, ids=CASE_IDS)
def test_micropython_codec_gives_the_expected_verdict(
    case: dict[str, Any], micropython_results: dict[str, list[Any]]
) -> None:
    verdict, frame = micropython_results[f"{case['side']}: {case['name']}"]
    assert verdict == case["expect"]
    if verdict == "ok":
        assert frame == json.loads(expand(case))


@pytest.mark.parametrize(
    "raw",
    [
        b'{"type":"ping"}',
        '{"type":"message.send","client_id":"c","text":"\u00e9\U0001f600"}'.encode(),
        b'{"type":"message.send","client_id":"c","text":"\xff"}',  # not UTF-8
        b'{"type":"message.send","client_id":"c","text":"\xed\xa0\xbd"}',  # an encoded surrogate
    ],
)
def test_bytes_frames_get_the_verdict_of_pydantic(raw: bytes) -> None:
    try:
        frames.client_frame_adapter.validate_json(raw)
        expected = "ok"
    except ValidationError:
        expected = errors.BAD_FRAME
    assert cpython_wire(raw, "client")[0] == expected
