"""Benchmark: the Spark engine against a straightforward PySpark script, and polars vs Spark.

Run by hand (not by pytest)::

    /work/venv/bin/python benchmarks/bench_spark.py --sizes 1M,10M [--master local[2]] \
        [--workdir DIR] [--variants naive,spark_csv,polars_synthetic,spark_synthetic] \
        [--equality]

For each size it writes the synthetic CSV once (``recdata.synthetic``: user_id, item_id,
rating, timestamp), then runs each variant in its own subprocess and reports wall time and
peak RSS of the whole process tree (Python driver + the Spark JVM, sampled from /proc every
0.2 s):

* ``naive``: the baseline script below — ``spark.read.csv``, iterative 5-core by semi-joins
  with a local checkpoint every round, leave-one-out by ``row_number`` over (timestamp desc),
  Parquet write of train/valid/test. Ties between equal timestamps fall wherever Spark puts
  them (it is not exact); the session start is reported on its own.
* ``spark_csv``: ``recdata build`` of the same CSV with ``--engine spark`` (iterative 5-core,
  leave-one-out, no features): the whole dataset folder; Spark tasks read and map the CSV.
* ``spark_csv_driver``: the same build with ``SparkEngine(read_on_driver=True)``: the driver
  reads and maps the CSV with polars and hands it over (what the tasks' reading replaces).
* ``polars_synthetic`` / ``spark_synthetic``: ``recdata build synthetic --set size=N
  --no-features`` on each engine (generation, dedup, 5-core, leave-one-out, folder).

``--equality`` also checks that the two synthetic folders hold equal tables and manifest
statistics (the heavy equality run the tests leave out).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _size(text: str) -> int:
    text = text.strip().upper()
    mult = {"K": 1_000, "M": 1_000_000}.get(text[-1], 1)
    return int(float(text[:-1] if text[-1] in "KM" else text) * mult)


def _pss(pid: int, rss: int) -> int:
    """``pid``'s proportional set size in bytes (shared pages split among their sharers), or
    ``rss`` where /proc has no smaps_rollup or the process is gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return rss


def _tree_rss(pid: int, *, above: int = 0) -> int:
    """Resident bytes of ``pid`` and all its descendants (from /proc). When that sum exceeds
    ``above`` (a peak so far), each process is counted by its PSS instead: summing plain RSS
    counts a forking process twice (a 7 GB JVM that starts a helper process reads as 14 GB for
    an instant). PSS is read only then, as it costs a walk of each process's pages."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            ppid, pages = int(fields[1]), int(fields[21])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = pages * os.sysconf("SC_PAGE_SIZE")
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(children.get(p, []))
    total = sum(rss.get(p, 0) for p in tree)
    if total > above:
        total = sum(_pss(p, rss[p]) for p in tree if p in rss)
    return total


def _measure(cmd: list[str], env: dict[str, str]) -> dict:
    """Run ``cmd``; wall seconds, peak tree RSS (MB), and its last stdout line as JSON if any."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid, above=peak))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    res: dict = {"wall_s": round(wall, 2), "peak_rss_mb": round(peak / 1e6)}
    if proc.returncode != 0:
        res["status"] = f"failed (exit {proc.returncode}): {err.strip().splitlines()[-1:]}"
        return res
    res["status"] = "ok"
    lines = [line for line in out.strip().splitlines() if line.startswith("{")]
    if lines:
        res.update(json.loads(lines[-1]))
    return res


def _driver_peak(out: Path) -> dict:
    """The Python driver's own peak RSS (its build.log's last ``peak so far``), if written."""
    log = out / "build.log"
    if not log.exists():
        return {}
    peaks = re.findall(r"peak so far ([0-9.]+) GB", log.read_text())
    return {"driver_peak_gb": float(peaks[-1])} if peaks else {}


# ----------------------------------------------------------------------------- the naive script


def naive(csv: str, out: str, master: str) -> None:
    """The straightforward PySpark pipeline (the baseline); prints its phases as JSON."""
    t0 = time.perf_counter()
    sys.path.insert(0, str(ROOT))
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from recdata.engines.spark import spark_session

    spark = spark_session(master)
    started = time.perf_counter() - t0
    df = spark.read.csv(
        csv, header=True, schema="user_id string, item_id string, rating float, timestamp long"
    )
    n = df.count()
    rounds = 0
    while True:
        good_u = df.groupBy("user_id").count().filter("count >= 5").select("user_id")
        good_i = df.groupBy("item_id").count().filter("count >= 5").select("item_id")
        kept = df.join(good_u, "user_id", "left_semi").join(good_i, "item_id", "left_semi")
        kept = kept.localCheckpoint()
        m = kept.count()
        df = kept
        if m == n:
            break
        n, rounds = m, rounds + 1
    pos = F.row_number().over(Window.partitionBy("user_id").orderBy(F.col("timestamp").desc()))
    parts = df.withColumn("_p", pos)
    for name, cond in (
        ("test", F.col("_p") == 1),
        ("valid", F.col("_p") == 2),
        ("train", F.col("_p") > 2),
    ):
        parts.filter(cond).drop("_p").write.mode("overwrite").parquet(f"{out}/{name}")
    spark.stop()
    total = time.perf_counter() - t0
    print(
        json.dumps(
            {"start_s": round(started, 2), "run_s": round(total - started, 2), "rounds": rounds}
        )
    )


# ----------------------------------------------------------------------------- variants


RECIPE = """
name: bench-csv
family: custom
sources:
  - name: events
    manual: the benchmark's CSV
    filename: {name}
interactions:
  source: events
  format: csv
  options: {{has_header: true, columns: [user_id, item_id, rating, timestamp], dtypes: {{user_id: str, item_id: str, rating: float64, timestamp: int64}}}}
  fields:
    user_id: user_id
    item_id: item_id
    timestamp: {{column: timestamp, unit: s}}
    rating: rating
steps:
  - kcore: {{user_k: 5, item_k: 5, mode: iterative}}
splits:
  loo: leave_one_out
features: null
graphs: null
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1M,10M")
    parser.add_argument("--variants", default="naive,spark_csv,polars_synthetic,spark_synthetic")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--repeat", type=int, default=1, help="interleaved runs of every variant")
    parser.add_argument("--equality", action="store_true")
    parser.add_argument("--naive", nargs=2, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.naive:
        naive(args.naive[0], args.naive[1], args.master)
        return
    work = Path(args.workdir or tempfile.mkdtemp(prefix="recdata-bench-spark-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RECDATA_HOME": str(work / "home")}
    recdata = [sys.executable, "-m", "recdata"]
    variants = [v for v in args.variants.split(",") if v]
    for label in args.sizes.split(","):
        n = _size(label)
        raw = work / f"raw-{n}"
        csv = raw / f"synthetic-{n}.csv"
        if not csv.exists() and {"naive", "spark_csv", "spark_csv_driver"} & set(variants):
            raw.mkdir(parents=True, exist_ok=True)
            code = (
                "import sys; from recdata.synthetic import generate, write_csv; "
                "write_csv(generate(int(sys.argv[1]), seed=0), sys.argv[2])"
            )
            subprocess.run([sys.executable, "-c", code, str(n), str(csv)], env=env, check=True)
        recipe = work / f"bench-{n}.yaml"
        recipe.write_text(RECIPE.format(name=csv.name))
        commands = {
            "naive": [sys.executable, __file__, "--master", args.master, "--naive", str(csv)],
            "spark_csv": [
                *recdata,
                "build",
                str(recipe),
                "--raw-dir",
                str(raw),
                "--engine",
                "spark",
                "--spark-master",
                args.master,
                "--overwrite",
                "-o",
            ],
            "spark_csv_driver": [
                sys.executable,
                "-c",
                "import sys; from recdata.engines.spark import SparkEngine; "
                "from recdata.pipeline import build; "
                "e = SparkEngine(master=sys.argv[1], read_on_driver=True); "
                "build(sys.argv[2], raw_dir=sys.argv[3], engine=e, overwrite=True, out=sys.argv[4]); "
                "e.close()",
                args.master,
                str(recipe),
                str(raw),
            ],
            "polars_synthetic": [
                *recdata,
                "build",
                "synthetic",
                "--set",
                f"size={n}",
                "--no-features",
                "--overwrite",
                "-o",
            ],
            "spark_synthetic": [
                *recdata,
                "build",
                "synthetic",
                "--set",
                f"size={n}",
                "--no-features",
                "--engine",
                "spark",
                "--spark-master",
                args.master,
                "--overwrite",
                "-o",
            ],
        }
        for i in range(args.repeat):
            for variant in variants:
                out = work / f"out-{n}-{variant}"
                res = _measure([*commands[variant], str(out)], env)
                res.update(_driver_peak(out))
                print(
                    json.dumps({"size": label, "variant": variant, "run": i + 1, **res}), flush=True
                )
        if args.equality:
            cmd = [
                sys.executable,
                "-c",
                "import sys; sys.path.insert(0, sys.argv[3]); "
                "from tests.engines.test_spark_builds import assert_same_folders as same; "
                "from pathlib import Path; same(Path(sys.argv[1]), Path(sys.argv[2])); print('equal')",
                str(work / f"out-{n}-polars_synthetic"),
                str(work / f"out-{n}-spark_synthetic"),
                str(ROOT),
            ]
            got = subprocess.run(cmd, env=env, capture_output=True, text=True)
            print(
                json.dumps(
                    {"size": label, "equality": got.stdout.strip() or got.stderr.strip()[-300:]}
                )
            )


if __name__ == "__main__":
    main()
