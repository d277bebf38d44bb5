"""``recdata report``: the page is self-contained, deterministic, escaped; its numbers are right."""

from __future__ import annotations

import re
import shutil
import sys
from itertools import combinations
from pathlib import Path

import polars as pl
import pytest
from factory import small_manifest, small_tables

from recdata import schema as S
from recdata.cli import main
from recdata.dataset import load, write_dataset
from recdata.errors import MissingExtra
from recdata.reports import report
from recdata.reports._data import degree_counts, lorenz_curve, report_data

pytest.importorskip("matplotlib")

HOSTILE = 'Tom & Jerry <3 "x < y"'  # survives cleaning; the page must escape it


def _folder(path: Path) -> Path:
    tables = small_tables()
    tables.items = tables.items.with_columns(
        pl.when(pl.col(S.ITEM) == 1).then(pl.lit(HOSTILE)).otherwise(pl.col("title")).alias("title")
    )
    return write_dataset(path, tables, small_manifest())


def assert_self_contained(page: str) -> None:
    """No script, no external style/font/image, nothing the browser would fetch."""
    assert "<script" not in page.lower()
    assert "<link" not in page.lower() and "@import" not in page
    assert not re.search(r"url\((?!#)", page)  # only references inside the page's own SVG
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    for ref in re.findall(r'(?:url\(#|href="#)([^)"]+)', page):
        assert ref in ids
    assert not re.search(r"""\b(src|href|xlink:href)\s*=\s*["']?(https?:|//)""", page)
    assert "<img" not in page.lower()


def test_report_page_is_self_contained_and_escaped(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "d")
    page_path = report(folder)
    assert page_path == folder / "report.html"
    page = page_path.read_text(encoding="utf-8")
    assert_self_contained(page)
    assert (
        page.count("<svg") >= 6
    )  # funnel-less folder: degrees x2, lorenz, lengths, month, ratings
    assert "Tom &amp; Jerry &lt;3 &quot;x &lt; y&quot;" in page
    for heading in (
        "Summary",
        "Degree distributions",
        "Popularity",
        "Interactions per month",
        "Ratings",
        "Splits",
        "Metadata coverage",
        "Sample item texts",
    ):
        assert f"<h2>{heading}</h2>" in page
    assert str(tmp_path) not in page
    # the report is not a dataset file; the folder still validates
    from recdata.validation import validate

    assert validate(folder).ok


def test_report_is_deterministic_across_runs_and_folders(tmp_path: Path) -> None:
    a = _folder(tmp_path / "a")
    b = _folder(tmp_path / "x" / "b")
    first = report(a).read_bytes()
    assert report(a).read_bytes() == first
    assert report(b, out=tmp_path / "elsewhere" / "page.html").read_bytes() == first


def _gini(values: list[int]) -> float:
    """Mean absolute difference over twice the mean (the textbook definition)."""
    n, mean = len(values), sum(values) / len(values)
    total = 2 * sum(abs(a - b) for a, b in combinations(values, 2))
    return total / (2 * n * n * mean)


def test_degrees_and_gini_against_hand_computation(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path / "d", small_tables(), small_manifest())
    data = report_data(load(folder))
    # users 1-3 have 4 interactions, user 4 has 2; items 1,2,3,5 have 3 and item 4 has 2
    assert data.user_degrees.rows() == [(2, 1), (4, 3)]
    assert data.item_degrees.rows() == [(2, 1), (3, 4)]
    assert data.gini == pytest.approx(_gini([3, 3, 3, 2, 3]), abs=1e-6)
    assert data.ratings is not None and data.ratings.rows() == [
        (1.0, 1),
        (2.0, 2),
        (3.0, 3),
        (4.0, 5),
        (5.0, 3),
    ]
    assert data.monthly is not None and data.monthly["interactions"].to_list() == [14]
    loo = data.splits[0]
    assert loo["parts"]["test"]["rows"] == 3 and loo["leaks"] == {"valid": 0, "test": 0}


@pytest.mark.parametrize("seed", range(5))
def test_gini_matches_the_definition_on_random_popularity(seed: int) -> None:
    import random

    rng = random.Random(seed)
    items = [rng.randint(1, 40) for _ in range(rng.randint(1, 60))]
    frame = pl.DataFrame({S.ITEM: [i for i, n in enumerate(items) for _ in range(n)]})
    _, gini = lorenz_curve(degree_counts(frame.lazy(), S.ITEM))
    assert gini == pytest.approx(_gini(items), abs=1e-6)


def test_lorenz_curve_is_sampled_but_keeps_its_ends() -> None:
    degrees = pl.DataFrame({"degree": list(range(1, 2001)), "count": [1] * 2000})
    curve, _ = lorenz_curve(degrees, points=100)
    assert curve.height <= 102
    assert curve.row(0) == (0.0, 0.0) and curve.row(-1) == pytest.approx((1.0, 1.0))


def test_cli_report_and_missing_extra(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder(tmp_path / "d")
    assert main(["report", str(folder), "-o", str(tmp_path / "r.html")]) == 0
    assert (tmp_path / "r.html").is_file() and not (folder / "report.html").exists()
    capsys.readouterr()
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    with pytest.raises(MissingExtra, match=r"recdata\[report\]"):
        report(folder)
    assert main(["report", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "pip install 'recdata[report]'" in err and "Traceback" not in err


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium is not installed")
def test_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    import subprocess

    folder = _folder(tmp_path / "d")
    page = report(folder)
    shot = tmp_path / "report.png"
    subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1200,4000",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    import struct

    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1200, 4000)
    # a blank page compresses to almost nothing; plots and tables do not
    assert len(data) > 50_000
    keep = Path("/work/report-shots")
    if keep.is_dir():
        shutil.copyfile(shot, keep / "small-test.png")


def test_a_user_file_is_never_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _folder(tmp_path / "d")
    mine = tmp_path / "notes.html"
    mine.write_text("<p>my notes</p>\n", encoding="utf-8")
    assert main(["report", str(folder), "-o", str(mine)]) == 2
    assert "is not a recdata report" in capsys.readouterr().err
    assert mine.read_text(encoding="utf-8") == "<p>my notes</p>\n"
    # a page recdata wrote is replaced, and no temporary file is left behind
    page = report(folder, out=tmp_path / "page.html")
    page.write_text(page.read_text(encoding="utf-8") + "<!-- stale -->", encoding="utf-8")
    report(folder, out=page)
    assert "stale" not in page.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d", "notes.html", "page.html"]
