"""`make bench`: run every `bench_*.py` suite beside this file and print one JSON object.

Each suite module defines `run(quick: bool) -> dict` returning its figures, measured side by side
with its baseline in the same run (ratios, not absolute times, are what we compare). `--quick`
shrinks the sizes for a smoke run; `--only NAME` runs one suite.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _suites(only: str | None) -> list[Path]:
    paths = sorted(HERE.glob("bench_*.py"))
    if only is not None:
        paths = [p for p in paths if p.stem == f"bench_{only}" or p.stem == only]
        if not paths:
            raise SystemExit(f"no benchmark suite named {only!r}")
    return paths


def _load(path: Path):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--only", help="run one suite, e.g. rooms_delivery")
    args = parser.parse_args()
    results: dict[str, object] = {}
    for path in _suites(args.only):
        started = time.perf_counter()
        figures = _load(path).run(quick=args.quick)
        results[path.stem.removeprefix("bench_")] = {
            **figures,
            "suite_seconds": round(time.perf_counter() - started, 2),
        }
        print(f"bench: {path.stem} done", file=sys.stderr)
    json.dump(results, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
