"""Time `recdata report` on a built folder and report its peak RSS; run by hand.

    recdata build synthetic --set size=10000000 --no-features -o /tmp/syn10m
    python benchmarks/bench_report.py /tmp/syn10m --repeat 3

Each run is a fresh ``recdata report`` subprocess (so the peak RSS is the report's own, read
from ``wait4``'s rusage) writing to a temporary file; the page's bytes must be equal every run.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_once(folder: Path, out: Path) -> tuple[float, float, str]:
    """(seconds, peak RSS in MB, sha256 of the page) of one ``recdata report`` run."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "recdata", "report", str(folder), "-o", str(out)],
        stdout=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"recdata report failed with status {status}")
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    return seconds, usage.ru_maxrss / 1024, digest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    digests = set()
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.repeat):
            seconds, mb, digest = run_once(args.folder, Path(tmp) / "report.html")
            digests.add(digest)
            size = (Path(tmp) / "report.html").stat().st_size
            print(f"run {k + 1}: {seconds:6.2f} s  peak RSS {mb:7.0f} MB  page {size / 1e3:.0f} kB")
    print("identical pages" if len(digests) == 1 else f"pages differ: {sorted(digests)}")


if __name__ == "__main__":
    main()
