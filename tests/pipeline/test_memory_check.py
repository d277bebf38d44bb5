"""The polars engine says an input is too large before running out of memory, and names Spark."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from recdata.cli import main
from recdata.engines.polars._memory import (
    ENV,
    PEAK_BYTES_PER_ROW,
    Budget,
    check_fits,
    memory_budget,
    rows_from_file,
)
from recdata.errors import UsageError
from recdata.pipeline import build

SMALL = ["size=3000", "n_users=150", "n_items=80"]


def test_synthetic_too_large_is_refused_before_generating(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import recdata.synthetic

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the generator ran")

    monkeypatch.setattr(recdata.synthetic, "generate", never)
    monkeypatch.setenv(ENV, "100K")
    with pytest.raises(UsageError) as err:
        build("synthetic", out=tmp_path / "o", overrides=SMALL)
    message = str(err.value)
    assert "--engine spark" in message and f"{ENV}=none" in message
    assert (
        f"about 3,000 interactions need about {3000 * PEAK_BYTES_PER_ROW / 1e6:.1f} MB" in message
    )
    assert f"{ENV} is 0.1 MB" in message
    assert not (tmp_path / "o").exists()


def test_limit_off_or_large_enough_builds(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, "none")
    assert build("synthetic", out=tmp_path / "a", overrides=SMALL, features=False).is_dir()
    monkeypatch.setenv(ENV, f"{3000 * PEAK_BYTES_PER_ROW}")
    assert build("synthetic", out=tmp_path / "b", overrides=SMALL, features=False).is_dir()


def test_file_too_large_is_refused_before_reading(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "events.tsv").write_text("".join(f"u{k % 50}\ti{k % 7}\t{k}\n" for k in range(2000)))
    recipe = tmp_path / "mine.yaml"
    recipe.write_text(
        """
name: mine
family: custom
sources:
  - name: events
    manual: my own file
    filename: events.tsv
interactions:
  source: events
  format: tsv
  options: {columns: [u, i, t], dtypes: {u: str, i: str, t: int64}}
  fields: {user_id: u, item_id: i, timestamp: {column: t, unit: s}}
splits:
  loo: leave_one_out
features: null
graphs: null
""",
        encoding="utf8",
    )
    import recdata.pipeline

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file was read")

    monkeypatch.setattr(recdata.pipeline, "_read", never)
    monkeypatch.setenv(ENV, "10K")
    with pytest.raises(UsageError, match=r"events\.tsv: about .* --engine spark"):
        build(recipe, out=tmp_path / "o", raw_dir=raw)
    monkeypatch.undo()
    monkeypatch.setenv("RECDATA_HOME", str(home))
    monkeypatch.setenv(ENV, "1G")
    assert build(recipe, out=tmp_path / "o", raw_dir=raw).is_dir()


def test_cli_exit_code_and_message(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(ENV, "1K")
    code = main(["build", "synthetic", "-o", str(tmp_path / "o"), "--set", "size=5000"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "--engine spark" in err and "Traceback" not in err


def test_budget_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, "1.5G")
    assert memory_budget() == Budget(int(1.5 * (1 << 30)), ENV)
    monkeypatch.setenv(ENV, "800M")
    assert memory_budget() == Budget(800 << 20, ENV)
    monkeypatch.setenv(ENV, "off")
    assert memory_budget() is None
    monkeypatch.setenv(ENV, "lots")
    with pytest.raises(UsageError, match=ENV):
        memory_budget()
    monkeypatch.delenv(ENV)
    budget = memory_budget()
    if Path("/proc/meminfo").is_file():  # Linux: MemAvailable or the cgroup's room
        assert budget is not None and budget.bytes > 0
        meminfo = Path("/proc/meminfo").read_text(encoding="ascii")
        available = next(
            int(line.split()[1]) * 1024
            for line in meminfo.splitlines()
            if line.startswith("MemAvailable:")
        )
        assert budget.bytes <= available * 2  # taken now, so it moves a little


def test_estimates(tmp_path: Path) -> None:
    plain = tmp_path / "a.csv"
    plain.write_bytes(b"x" * 2400)
    packed = tmp_path / "a.csv.gz"
    packed.write_bytes(b"x" * 2400)
    lines = tmp_path / "a.jsonl"
    lines.write_bytes(b"x" * 2400)
    assert rows_from_file(plain, "csv") == 100
    assert rows_from_file(packed, "csv") == 400
    assert rows_from_file(lines, "jsonl") == 20
    table = tmp_path / "a.parquet"
    pl.DataFrame({"u": range(37)}).write_parquet(table)
    assert rows_from_file(table, "parquet") == 37
    check_fits(100, what="a", budget=Budget(100 * PEAK_BYTES_PER_ROW, "test"))
    with pytest.raises(UsageError, match="a: about 101 interactions"):
        check_fits(101, what="a", budget=Budget(100 * PEAK_BYTES_PER_ROW, "test"))
    check_fits(10**12, what="a", budget=None)


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="Linux /proc only")
def test_build_log_records_memory_per_stage(tmp_path: Path, home: Path) -> None:
    import re

    out = build("synthetic", out=tmp_path / "o", overrides=SMALL, features=False)
    lines = [line for line in (out / "build.log").read_text().splitlines() if line.startswith("[")]
    assert lines and all(
        re.search(r"\(rss \d+\.\d\d GB, peak so far \d+\.\d\d GB\)$", x) for x in lines
    )
    peaks = [float(re.findall(r"peak so far (\S+) GB", x)[0]) for x in lines]
    assert peaks == sorted(peaks)  # a high-water mark never goes down
