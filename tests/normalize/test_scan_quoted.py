"""Large quoted CSV files are read by a streaming scan: same frame as the exact reader, and on
any problem the exact reader runs, so errors and bad-line counts are unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

import recdata.normalize._readers as readers
from recdata.errors import ReadError
from recdata.normalize._readers import read_delimited


def _both(
    monkeypatch: pytest.MonkeyPatch, path: Path, **options: Any
) -> tuple[pl.DataFrame, pl.DataFrame, bool]:
    """(exact reader's frame, scanning reader's frame, whether the scan was used)."""
    used = {"scan": False}
    real = readers._scan_quoted

    def spy(*args: Any, **kwargs: Any) -> pl.DataFrame | None:
        out = real(*args, **kwargs)
        used["scan"] = out is not None
        return out

    monkeypatch.setattr(readers, "SCAN_MIN_BYTES", 1 << 40)
    exact = read_delimited(path, **options).frame.collect()
    monkeypatch.setattr(readers, "SCAN_MIN_BYTES", 0)
    monkeypatch.setattr(readers, "_scan_quoted", spy)
    scanned = read_delimited(path, **options).frame.collect()
    return exact, scanned, used["scan"]


CASES = [
    ("user_id,item_id,rating,timestamp\nu1,i1,4.0,10\nu2,i2,,11\n", {"has_header": True}),
    (
        'u,i,t\n"a, b",x,1\n"c ""q""",y,2\nd,"multi\nline",3\n',
        {"has_header": True, "dtypes": {"t": "int64"}},
    ),
    ("a,x,1\nb,y,2\n", {"columns": ["u", "i", "t"], "dtypes": {"t": "int64"}}),
    ("u,i,r\na,0012,1.5\nb,7,NA\n", {"has_header": True, "null_values": ["NA"]}),
    ("u,i,r\na,1,1\nb,2,2.5\n", {"has_header": True, "dtypes": {"r": "float32"}}),
]


@pytest.mark.parametrize(("text", "options"), CASES)
def test_scan_equals_exact(
    text: str, options: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "f.csv"
    path.write_text(text, encoding="utf8")
    exact, scanned, used = _both(monkeypatch, path, sep=",", **options)
    assert used
    assert_frame_equal(scanned, exact)


field = st.text(alphabet='ab,"\n 1.-', max_size=5)


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(st.tuples(field, field, st.integers(-5, 5)), min_size=1, max_size=12))
def test_scan_equals_exact_on_random_fields(rows: list[tuple[str, str, int]]) -> None:
    import tempfile

    def quote(value: str) -> str:
        return '"' + value.replace('"', '""') + '"'

    text = "u,i,t\n" + "".join(f"{quote(u)},{quote(i)},{t}\n" for u, i, t in rows)
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as mp:
        path = Path(folder) / "f.csv"
        path.write_text(text, encoding="utf8")
        exact, scanned, used = _both(mp, path, sep=",", has_header=True, dtypes={"t": "int64"})
        assert used
        assert_frame_equal(scanned, exact)


def test_bad_value_falls_back_to_the_exact_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "f.csv"
    path.write_text("u,i,t\na,x,1\nb,y,oops\n", encoding="utf8")
    messages = []
    for threshold in (1 << 40, 0):
        monkeypatch.setattr(readers, "SCAN_MIN_BYTES", threshold)
        with pytest.raises(ReadError, match=r"f\.csv: line \d+: column 't'.*'oops'") as err:
            read_delimited(path, sep=",", has_header=True, dtypes={"t": "int64"})
        messages.append(str(err.value))
    assert messages[0] == messages[1]
    got = read_delimited(path, sep=",", has_header=True, dtypes={"t": "int64"}, on_bad_line="skip")
    assert got.bad_lines == 1 and got.frame.collect()["u"].to_list() == ["a"]


def test_compressed_or_bom_files_take_the_exact_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gzip

    packed = tmp_path / "f.csv.gz"
    packed.write_bytes(gzip.compress(b"u,i\na,x\n"))
    bom = tmp_path / "b.csv"
    bom.write_bytes(b"\xef\xbb\xbfu,i\na,x\n")
    for path in (packed, bom):
        exact, scanned, used = _both(monkeypatch, path, sep=",", has_header=True)
        assert not used
        assert_frame_equal(scanned, exact)
        assert scanned.columns == ["u", "i"]
