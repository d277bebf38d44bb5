"""Benchmark: event steps, the target_event protocol and impressions mapping on synthetic logs.

Run by hand (not by pytest)::

    PYTHONPATH=. /work/venv/bin/python benchmarks/bench_events.py --rows 10M --shown 2M

``--rows`` multi-behaviour rows in sequence order (users of geometric length, mean 20; items
Zipf over 200,000 ids; events view 90% / cart 7% / order 3%) are timed through
``keep_events``, ``event_weights``, ``leave_one_out`` (the baseline: the base protocol over
every row) and ``target_event`` (orders, leave-one-out base). ``--shown`` MIND-like rows, each
with a list of 10 shown raw ids (strings) of which 10% are not indexed, are timed through
``map_impressions``; the same number of KuaiRand-like exposure rows (user, hour, is_click 10%)
through ``exposures_to_impressions``. Each timing is the best of ``--repeat`` runs; the peak
RSS of the whole process (``ru_maxrss``) is printed at the end.
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl


def _size(text: str) -> int:
    text = text.strip().upper()
    mult = {"K": 1_000, "M": 1_000_000}.get(text[-1], 1)
    return int(float(text[:-1] if text[-1] in "KM" else text) * mult)


def _best(fn: Callable[[], Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def events_frame(rows: int, seed: int = 0) -> pl.DataFrame:
    """Indexed multi-behaviour rows in sequence order (numpy + polars, no Python row loop)."""
    rng = np.random.default_rng(seed)
    lengths = rng.geometric(1 / 20, size=rows // 10 + 10)
    ends = np.cumsum(lengths)
    n_users = int(np.searchsorted(ends, rows)) + 1
    user = np.repeat(np.arange(1, n_users + 1, dtype=np.int32), lengths[:n_users])[:rows]
    item = (rng.zipf(1.3, size=rows) % 200_000 + 1).astype(np.int32)
    event = rng.choice(np.array(["view", "cart", "order"]), size=rows, p=[0.9, 0.07, 0.03])
    return pl.DataFrame(
        {
            "interaction_idx": np.arange(rows, dtype=np.int64),
            "user_idx": user,
            "item_idx": item,
            "timestamp": np.arange(rows, dtype=np.int64),
            "event": event,
        }
    ).with_columns(pl.col("timestamp").cast(pl.Datetime("ms", "UTC")))


def shown_frame(rows: int, seed: int = 1) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rows with 10 shown raw ids each, and an item map holding 90% of the 100,000 ids."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, 100_000, size=(rows, 10))
    flat = pl.Series("x", ids.ravel()).cast(pl.String)
    lists = flat.reshape((rows, 10)).cast(pl.List(pl.String)).alias("impressions")
    frame = pl.DataFrame({"item_idx": np.ones(rows, dtype=np.int32), "impressions": lists})
    kept = np.arange(90_000)
    item_map = pl.DataFrame(
        {"item_idx": (kept + 1).astype(np.int32), "item_id": pl.Series(kept).cast(pl.String)}
    )
    return frame, item_map


def exposures_frame(rows: int, seed: int = 2) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    user = np.sort(rng.integers(0, rows // 100 + 1, size=rows))
    return pl.DataFrame(
        {
            "user_id": user,
            "hour": rng.integers(0, 24, size=rows),
            "item_id": rng.integers(0, 1_000_000, size=rows),
            "is_click": (rng.random(rows) < 0.1).astype(np.int64),
        }
    )


def _event_timings(lf: pl.LazyFrame, repeat: int) -> dict[str, float]:
    from recdata.events import event_weights, keep_events
    from recdata.splits import leave_one_out, target_event

    weights = {"view": 1, "cart": 2, "order": 3}
    return {
        "keep_events [order]": _best(lambda: keep_events(lf, events=["order"]).collect(), repeat),
        "event_weights": _best(lambda: event_weights(lf, weights=weights).collect(), repeat),
        "leave_one_out, all rows (baseline)": _best(lambda: leave_one_out(lf).collect(), repeat),
        "target_event [order], leave_one_out base": _best(
            lambda: target_event(lf, target=["order"]).collect(), repeat
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", default="10M")
    parser.add_argument("--shown", default="2M")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from recdata.events import exposures_to_impressions, map_impressions

    n, m = _size(args.rows), _size(args.shown)
    results = _event_timings(events_frame(n).lazy(), args.repeat)
    frame, item_map = shown_frame(m)
    results[f"map_impressions ({m:,} rows x 10 shown)"] = _best(
        lambda: map_impressions(frame, item_map), args.repeat
    )
    exposures = exposures_frame(m).lazy()
    results[f"exposures_to_impressions ({m:,} exposures)"] = _best(
        lambda: exposures_to_impressions(exposures, group=["hour"], clicked="is_click").collect(),
        args.repeat,
    )
    print(f"rows: {n:,}; shown rows / exposures: {m:,}; best of {args.repeat}")
    for name, seconds in results.items():
        print(f"| {name} | {seconds:.2f} s |")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:,.0f} MB")


if __name__ == "__main__":
    main()
