"""Benchmark: one large `recdata build synthetic --engine spark`, its stages, time and memory.

Run by hand (not by pytest)::

    PYSPARK_SUBMIT_ARGS='--driver-memory 6g --conf spark.local.dir=/data/spark-tmp pyspark-shell' \
        /work/venv/bin/python benchmarks/bench_spark_memory.py --size 200M --master 'local[2]' \
        --log /tmp/spark200m.log [--limit-minutes 70] [--out DIR]

The build runs in a subprocess with ``recdata -v`` (its stage lines, each with the driver's
RSS, go to the log as they happen); every 30 s the log gets the resident memory of the whole
process tree (the Python driver plus the Spark JVM, from /proc) and its peak so far. At the end
(or when ``--limit-minutes`` stops the build) it prints one JSON line: wall seconds, the peak
tree RSS, the last stage reached and the exit status. A stopped build leaves no folder behind.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_spark import _size, _tree_rss  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="200M")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--log", required=True)
    parser.add_argument("--out", default=None, help="output folder (default: a temporary one)")
    parser.add_argument("--limit-minutes", type=float, default=None)
    args = parser.parse_args()
    out = args.out or str(Path(tempfile.mkdtemp(prefix="recdata-bench-mem-")) / "out")
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    cmd = [sys.executable, "-m", "recdata", "-v", "build", "synthetic", "--set"]
    cmd += [f"size={_size(args.size)}", "--engine", "spark", "--spark-master", args.master]
    cmd += ["--no-features", "--overwrite", "-o", out]
    log = open(args.log, "a", buffering=1)  # noqa: SIM115 - open for the whole run
    log.write(f"# {time.strftime('%H:%M:%S')} start: {' '.join(cmd)}\n")
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=log, start_new_session=True)
    peak, done = 0, threading.Event()

    def sample() -> None:
        nonlocal peak
        last = -30.0
        while not done.is_set():
            rss = _tree_rss(proc.pid, above=peak)
            peak = max(peak, rss)
            now = time.perf_counter() - start
            if now - last >= 30:
                log.write(
                    f"# {time.strftime('%H:%M:%S')} t={now:.0f}s tree_rss={rss / 1e9:.2f} GB "
                    f"peak={peak / 1e9:.2f} GB\n"
                )
                last = now
            time.sleep(1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    limit = None if args.limit_minutes is None else args.limit_minutes * 60
    try:
        rc = proc.wait(timeout=limit)
        status = "ok" if rc == 0 else f"failed (exit {rc})"
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)  # the build's own process group: driver and JVM
        proc.wait()
        status = f"stopped after {args.limit_minutes} min"
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    lines = Path(args.log).read_text().splitlines()
    stages = [line for line in lines if line.startswith("info:") and "(rss " in line]
    result = {
        "size": args.size,
        "wall_s": round(wall, 1),
        "peak_tree_rss_gb": round(peak / 1e9, 2),
        "last_stage": stages[-1] if stages else None,
        "status": status,
    }
    log.write(f"# {time.strftime('%H:%M:%S')} {json.dumps(result)}\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
