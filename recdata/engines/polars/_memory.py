"""Will a build fit in memory on the polars engine? Say so before it runs out, and name Spark.

The polars engine holds the interactions in memory; its peak grows linearly with their number
(:data:`PEAK_BYTES_PER_ROW`, measured on the synthetic recipe). The budget is the memory
available when the build starts (``MemAvailable`` of /proc/meminfo, the cgroup limit if lower),
or ``RECDATA_MEMORY_LIMIT`` (``12G``, ``800M``, bytes, or ``none`` to turn the check off).
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from recdata.errors import UsageError

log = logging.getLogger("recdata.engines")

ENV = "RECDATA_MEMORY_LIMIT"
PEAK_BYTES_PER_ROW = 120
"""Peak resident bytes per raw interaction of a polars build (dedup, k-core, splits, graphs,
item texts): 10^8 synthetic interactions peak at 11.8 GB (docs/performance.md)."""
RAW_BYTES_PER_ROW = {"jsonl": 120, "json_lines": 120, "python_literal": 120}
"""Fewest bytes of a raw file per interaction, by format, to estimate rows from a file size
(delimited formats: 24; compressed files count 4x their size; Parquet gives its row count)."""
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


@dataclass(frozen=True)
class Budget:
    """Bytes a build may use, and where the number came from (for the message)."""

    bytes: int
    source: str


def _parse_size(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*", text, flags=re.IGNORECASE)
    if match is None:
        raise UsageError(f"{ENV}={text!r}: expected a size such as 12G, 800M or none")
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


def _meminfo_available() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="ascii").splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return None


def _cgroup_room() -> int | None:
    """Bytes left under a cgroup v2 memory limit (None when there is none)."""
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text(encoding="ascii").strip()
        used = Path("/sys/fs/cgroup/memory.current").read_text(encoding="ascii").strip()
    except OSError:
        return None
    if limit == "max":
        return None
    return max(0, int(limit) - int(used))


def memory_budget() -> Budget | None:
    """The memory a build may use now; None when unknown or turned off (``RECDATA_MEMORY_LIMIT=none``)."""
    text = os.environ.get(ENV)
    if text is not None and text.strip():
        if text.strip().lower() in ("none", "off", "0"):
            return None
        return Budget(_parse_size(text), ENV)
    available = _meminfo_available()
    room = _cgroup_room()
    if available is None and room is None:
        return None
    if room is not None and (available is None or room < available):
        return Budget(room, "the cgroup memory limit")
    assert available is not None
    return Budget(available, "available memory")


def rows_from_file(path: Path, fmt: str) -> int:
    """The most interactions a raw file of this size and format may hold (an over-estimate)."""
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return int(pq.read_metadata(path).num_rows)
    size = path.stat().st_size
    if path.suffix in (".gz", ".bz2", ".xz", ".zst", ".zip"):
        size *= 4
    return size // RAW_BYTES_PER_ROW.get(fmt, 24)


def _size(n: float) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.1f} MB"


def check_fits(rows: int, *, what: str, budget: Budget | None) -> None:
    """Raise :class:`UsageError` when ``rows`` interactions will not fit in ``budget``."""
    if budget is None:
        return
    need = rows * PEAK_BYTES_PER_ROW
    log.debug("memory: %s needs about %s of %s", what, _size(need), _size(budget.bytes))
    if need > budget.bytes:
        raise UsageError(
            f"{what}: about {rows:,} interactions need about {_size(need)} on the polars "
            f"engine, but {budget.source} is {_size(budget.bytes)}; build with "
            f"--engine spark (its local mode spills to disk), or set {ENV}=none to try anyway"
        )


__all__ = ["ENV", "PEAK_BYTES_PER_ROW", "Budget", "check_fits", "memory_budget", "rows_from_file"]
