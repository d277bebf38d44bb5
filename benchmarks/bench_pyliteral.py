"""Lines/s of ast.literal_eval vs the Python-literal -> JSON translator on the Steam games file.

Run by hand: ``python benchmarks/bench_pyliteral.py [PATH] [--repeat N]``. Default PATH is
``../shared/datasets/steam/steam_games.json.gz`` relative to the repository root. Timings are the
best of ``--repeat`` runs (the machine is shared), each variant run in turn.

Variants:
- ``literal_eval``: ``ast.literal_eval`` on every line (Python dicts only, no frame).
- ``literal_eval+frame``: the same, then ``json.dumps`` and the polars JSON reader, i.e. the
  frame ``read_python_literal`` returns, built the slow way.
- ``translate``: the vectorised translation into JSON text (fallback lines included).
- ``read_python_literal``: the reader end to end (decompress, split, translate, parse).

Both wall time and process CPU time (all threads) are reported: on a busy machine the CPU
ratio is the fairer, per-core comparison.
"""

from __future__ import annotations

import argparse
import ast
import gzip
import io
import json
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl

from recdata.normalize import read_python_literal
from recdata.normalize._pyliteral import literal_to_json, translate_lines

DEFAULT = (
    Path(__file__).resolve().parents[2] / "shared" / "datasets" / "steam" / "steam_games.json.gz"
)


def _timed(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of all threads of this process) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with gzip.open(args.path, "rt", encoding="utf8") as fh:
        lines = [line for line in fh.read().split("\n") if line.strip()]
    series = pl.Series(lines, dtype=pl.String)
    n = len(lines)

    def literal_eval_only() -> None:
        for line in lines:
            ast.literal_eval(line)

    def literal_eval_frame() -> None:
        text = "\n".join(literal_to_json(line) for line in lines)
        pl.read_ndjson(io.BytesIO(text.encode()), infer_schema_length=None)

    def translate() -> None:
        out = translate_lines(series)
        slow = out["fallback"].fill_null(False)
        for line in series.filter(slow).to_list():
            json.loads(literal_to_json(line))

    def reader() -> None:
        read_python_literal(args.path).frame.collect()

    variants = {
        "literal_eval": literal_eval_only,
        "literal_eval+frame": literal_eval_frame,
        "translate": translate,
        "read_python_literal": reader,
    }
    for fn in variants.values():  # warm-up: regex compilation, imports, page cache
        fn()
    wall = dict.fromkeys(variants, float("inf"))
    cpu = dict.fromkeys(variants, float("inf"))
    for _ in range(args.repeat):
        for name, fn in variants.items():
            w, c = _timed(fn)
            wall[name], cpu[name] = min(wall[name], w), min(cpu[name], c)
    fallback = int(translate_lines(series)["fallback"].fill_null(False).sum())
    print(
        f"file: {args.path.name}  lines: {n}  fallback lines: {fallback}  "
        f"polars threads: {pl.thread_pool_size()}  best of {args.repeat}"
    )
    print(f"{'':>22}  {'wall s':>8} {'lines/s':>10}   {'CPU s':>8} {'lines/CPU-s':>11}")
    for name in variants:
        print(
            f"{name:>22}: {wall[name]:8.3f} {n / wall[name]:10,.0f}   "
            f"{cpu[name]:8.3f} {n / cpu[name]:11,.0f}"
        )
    for a, b in [
        ("literal_eval", "translate"),
        ("literal_eval+frame", "read_python_literal"),
        ("literal_eval", "read_python_literal"),
    ]:
        print(f"speed-up {b} vs {a}: wall {wall[a] / wall[b]:.1f}x, CPU {cpu[a] / cpu[b]:.1f}x")


if __name__ == "__main__":
    main()
