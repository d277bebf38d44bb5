"""The Spark engine's reader == the driver's (polars) reading of the whole file.

Files are written with tiny chunks (a few lines each), so every column's type, every
alternative column's emptiness and every malformed line is settled across chunk borders. The
reference is the pipeline's own driver path: each file read and mapped whole, the files
concatenated, then canonical columns and rows without ids dropped.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from recdata.errors import ReadError
from recdata.normalize import TableSpec
from recdata.normalize._mapping import interactions_frame
from recdata.pipeline import _read

pytestmark = pytest.mark.spark

FEW = settings(
    max_examples=6,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: each try is Spark jobs
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def driver_read(files: list[tuple[TableSpec, Path]]) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The polars engine's reading of ``files``: the frame and its notes."""
    warnings: list[str] = []
    notes: dict[str, Any] = {}
    frames = [_read(spec, path, "interactions", warnings, {}, notes) for spec, path in files]
    whole = frames[0] if len(frames) == 1 else pl.concat(frames, how="diagonal_relaxed")
    frame, dropped = interactions_frame(whole, files[0][0])
    return frame, {"warnings": warnings, "normalisations": notes, "dropped": dropped}


def spark_read(
    engine: Any, files: list[tuple[TableSpec, Path]], chunk: int, events: Any = None
) -> tuple[pl.DataFrame, Any] | None:
    """The Spark reader's frame (collected in row order, ids decoded) and its TableRead; a
    task reads ``chunk`` bytes of a text file or ``chunk`` rows of a Parquet file."""
    saved = engine.read_chunk_bytes, engine.read_chunk_rows
    engine.read_chunk_bytes = engine.read_chunk_rows = chunk
    try:
        got = engine.read_interactions(files, events=events, where="interactions (test)")
    finally:
        engine.read_chunk_bytes, engine.read_chunk_rows = saved
    if got is None:
        return None
    return engine.collect(got.frame), got


def assert_same(engine: Any, files: list[tuple[TableSpec, Path]], chunk: int) -> None:
    """Equal frames and notes, or the same error (the quoted reader stops at a record with
    the wrong number of fields even under ``on_bad_line: skip``)."""
    try:
        want, notes = driver_read(files)
    except ReadError as exc:
        with pytest.raises(ReadError) as got_error:
            if spark_read(engine, files, chunk) is None:  # the driver reads: the same error
                assert files[0][0].options.quote_char == '"'  # only a quoted file is handed back
                raise exc
        assert str(got_error.value) == str(exc)
        return
    got = spark_read(engine, files, chunk)
    assert got is not None, "the Spark reader handed the file to the driver"
    frame, read = got
    assert_frame_equal(frame, want, check_exact=True)
    assert read.dropped == notes["dropped"]
    bad = [
        f"interactions: skipped {n:,} malformed line(s) of {path.name}"
        for (_, path), (n, _) in zip(files, read.per_file, strict=True)
        if n
    ]
    assert bad == notes["warnings"]
    cleaned = {k: v for _, (_, c) in zip(files, read.per_file, strict=True) for k, v in c.items()}
    want_cleaned = notes["normalisations"].get("interactions", {}).get("fields", {})
    if len(files) == 1:
        assert cleaned == want_cleaned


# --------------------------------------------------------------------------- delimited

_id = st.one_of(
    st.integers(0, 30).map(str),  # integers, canonical
    st.sampled_from(["007", "u1", "u2", "0", "-3", ""]),  # leading zeros, text, empty
)
_rating = st.sampled_from(["1", "2.5", "4", "", "5.0", "x"])
_time = st.sampled_from(["10", "11", "", "12"])


@st.composite
def delimited_files(draw: Any) -> tuple[dict[str, Any], list[str], bool]:
    """Recipe fields/options and the lines of a delimited file (some malformed)."""
    sep = draw(st.sampled_from(["\t", ",", "::"]))
    quoted = sep == "," and draw(st.booleans())
    header = draw(st.booleans())
    rows = draw(st.lists(st.tuples(_id, _id, _rating, _time, st.booleans()), max_size=40))
    lines = []
    for user, item, rating, time, bad in rows:
        fields = [user, item, rating, time] + (["extra"] if bad else [])
        if quoted and item:
            fields[1] = f'"{item},x"'
        lines.append(sep.join(fields))
    if header:
        lines.insert(0, sep.join(["u", "i", "r", "t"]))
    options: dict[str, Any] = {"sep": sep, "has_header": header}
    if not header:
        options["columns"] = ["u", "i", "r", "t"]
    if sep == ",":
        options["quote_char"] = '"' if quoted else None
    spec = {
        "source": "s",
        "format": "delimited",
        "options": options,
        "on_bad_line": "skip",
        "fields": {
            "user_id": "u",
            "item_id": "i",
            "rating": {"column": "r"},
            "timestamp": {"column": "t", "unit": "s"},
        },
    }
    return spec, lines, draw(st.booleans())


@FEW
@given(case=delimited_files(), chunk=st.integers(8, 60))
def test_delimited_files_read_alike(
    engine: Any, tmp_path_factory: pytest.TempPathFactory, case: Any, chunk: int
) -> None:
    spec_dict, lines, zipped = case
    folder = tmp_path_factory.mktemp("delimited")
    data = ("\n".join(lines) + ("\n" if lines else "")).encode()
    path = folder / ("f.txt.gz" if zipped else "f.txt")
    path.write_bytes(gzip.compress(data) if zipped else data)
    assert_same(engine, [(TableSpec.model_validate(spec_dict), path)], chunk)


# --------------------------------------------------------------------------- JSON lines

_value = st.one_of(st.none(), st.integers(0, 9), st.sampled_from(["a", "b", "<b>x</b>", ""]))


@st.composite
def json_files(draw: Any) -> list[list[str]]:
    """Two files of JSON objects; each key keeps one type (a chunk may lack it or hold null)."""
    kinds = {"user": draw(st.sampled_from(["int", "str"])), "title": "str", "alt": "str"}
    files = []
    for _ in range(2):
        lines = []
        for n in range(draw(st.integers(0, 25))):
            if draw(st.integers(0, 9)) == 0:
                lines.append(draw(st.sampled_from(["{not json", "[1, 2]", ""])))
                continue
            obj: dict[str, Any] = {"item": f"i{draw(st.integers(0, 5))}", "n": n}
            user = draw(st.integers(0, 6))
            obj["user"] = user if kinds["user"] == "int" else f"u{user:02d}"
            if draw(st.booleans()):
                obj["title"] = draw(st.sampled_from(["<p>Hi &amp; bye</p>", "plain", "", None]))
            if draw(st.booleans()):
                obj["alt"] = draw(st.sampled_from(["A", None]))
            lines.append(json.dumps(obj))
        files.append(lines)
    return files


@FEW
@given(files=json_files(), chunk=st.integers(20, 200))
def test_json_files_read_alike(
    engine: Any, tmp_path_factory: pytest.TempPathFactory, files: list[list[str]], chunk: int
) -> None:
    folder = tmp_path_factory.mktemp("json")
    pairs = []
    for k, lines in enumerate(files):
        path = folder / f"part{k}.jsonl"
        path.write_text("\n".join(lines) + "\n")
        spec = TableSpec.model_validate(
            {
                "source": f"s{k}",
                "format": "jsonl",
                "on_bad_line": "skip",
                "fields": {
                    "user_id": "user",
                    "item_id": "item",
                    "title": {"column": ["alt", "title"], "clean": "html"},
                    "n": "n",
                },
            }
        )
        pairs.append((spec, path))
    assert_same(engine, pairs, chunk)


# --------------------------------------------------------------------------- fixed cases


def _tsv_spec(**extra: Any) -> TableSpec:
    return TableSpec.model_validate(
        {
            "source": "s",
            "format": "tsv",
            "options": {"columns": ["u", "i", "t"]},
            "fields": {"user_id": "u", "item_id": "i", "timestamp": {"column": "t", "unit": "s"}},
            **extra,
        }
    )


def test_a_bad_line_is_named_as_the_driver_names_it(engine: Any, tmp_path: Path) -> None:
    lines = [f"u{n}\ti{n}\t{n}" for n in range(200)]
    lines[157] = "u157\ti157"  # far past the first chunk
    path = tmp_path / "bad.tsv"
    path.write_text("\n".join(lines) + "\n")
    spec = _tsv_spec()
    clean = tmp_path / "clean.tsv"
    clean.write_text("\n".join(lines[:150]) + "\n")
    got = spark_read(engine, [(spec, clean)], 64)
    assert got is not None and "twice" not in got[1].how  # one type throughout: one pass
    with pytest.raises(ReadError) as want:
        driver_read([(spec, path)])
    assert "line 158" in str(want.value)
    with pytest.raises(ReadError) as got:
        spark_read(engine, [(spec, path)], 64)
    assert str(got.value) == str(want.value)


def test_a_column_typed_across_chunks(engine: Any, tmp_path: Path) -> None:
    # integers for 150 lines, then one "007" and one "1.5": the whole file's types are String
    # (users) and Float64 (ratings), which no early chunk could know
    lines = [f"{n}\ti{n}\t{n % 5}" for n in range(150)] + ["007\ti\t1.5"]
    path = tmp_path / "types.tsv"
    path.write_text("\n".join(lines) + "\n")
    spec = TableSpec.model_validate(
        {
            "source": "s",
            "format": "tsv",
            "options": {"columns": ["u", "i", "r"]},
            "fields": {"user_id": "u", "item_id": "i", "rating": "r", "raw": "r"},
        }
    )
    got = spark_read(engine, [(spec, path)], 64)
    assert got is not None
    frame = got[0]
    assert "twice with the whole file's types" in got[1].how  # the early chunks were redone
    assert frame["user_id"].dtype == pl.String and frame["user_id"][-1] == "007"
    assert frame["raw"].dtype == pl.Float64 and frame["raw"][0] == 0.0
    assert_same(engine, [(spec, path)], 64)


def test_the_driver_reads_what_chunks_cannot_settle(engine: Any, tmp_path: Path) -> None:
    # a JSON key that is a number in one chunk and text in another; a quoted field holding a
    # line end across a chunk border: read on the driver, so the build still agrees
    conflicting = tmp_path / "conflict.jsonl"
    rows = [{"user": n, "item": "i"} for n in range(50)] + [{"user": "u", "item": "i"}]
    conflicting.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    spec = TableSpec.model_validate(
        {"source": "s", "format": "jsonl", "fields": {"user_id": "user", "item_id": "item"}}
    )
    assert spark_read(engine, [(spec, conflicting)], 64) is None
    quoted = tmp_path / "quoted.csv"
    quoted.write_text("u,i\n" + "".join(f'u{n},"item\n{n}"\n' for n in range(40)))
    csv_spec = TableSpec.model_validate(
        {
            "source": "s",
            "format": "csv",
            "options": {"has_header": True},
            "fields": {"user_id": "u", "item_id": "i"},
        }
    )
    assert spark_read(engine, [(csv_spec, quoted)], 64) is None
    assert_same(engine, [(csv_spec, quoted)], 1 << 20)  # one chunk: no border to fall inside


def test_events_are_checked_over_the_whole_table(engine: Any, tmp_path: Path) -> None:
    path = tmp_path / "events.tsv"
    path.write_text("".join(f"u{n}\ti{n}\t{'view' if n != 90 else 'buy'}\n" for n in range(100)))
    spec = TableSpec.model_validate(
        {
            "source": "s",
            "format": "tsv",
            "options": {"columns": ["u", "i", "e"]},
            "fields": {"user_id": "u", "item_id": "i", "event": "e"},
        }
    )
    with pytest.raises(ReadError, match=r"1 row\(s\) have an event type outside .*\['buy'\]"):
        spark_read(engine, [(spec, path)], 64, events=["view", "cart"])
    got = spark_read(engine, [(spec, path)], 64, events=["view", "buy"])
    assert got is not None and got[0].height == 100


def test_parquet_row_groups(engine: Any, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = 5000
    table = pa.table(
        {
            "uid": pa.array([n % 97 for n in range(n)], pa.int64()),
            "item": pa.array([f"i{n % 31}" for n in range(n)]).dictionary_encode(),
            "ts": pa.array(range(n), pa.int64()),
        }
    )
    path = tmp_path / "events.parquet"
    pq.write_table(table, path, row_group_size=700)
    spec = TableSpec.model_validate(
        {
            "source": "s",
            "format": "parquet",
            "fields": {
                "user_id": "uid",
                "item_id": "item",
                "timestamp": {"column": "ts", "unit": "ms"},
            },
        }
    )
    from recdata.engines.spark._reader import plan_files

    plans = plan_files([(spec, path)], engine.staging, chunk_bytes=1, chunk_rows=1000)
    chunks = [(c.start, c.stop) for c in plans[0].chunks]  # whole row groups of 700 rows
    assert chunks == [(0, 1400), (1400, 2800), (2800, 4200), (4200, 5000)]
    assert_same(engine, [(spec, path)], 1000)


@pytest.mark.parametrize("later", [True, False])
def test_alternative_columns_are_judged_over_the_whole_file(
    engine: Any, tmp_path: Path, later: bool
) -> None:
    # `alt` is null in every early chunk; it holds a value late in the file (so it is used
    # everywhere) or never (so `title` alone is used, as the driver does)
    rows = [{"user": f"u{n}", "item": "i", "alt": None, "title": f"t{n}"} for n in range(60)]
    if later:
        rows[-1]["alt"] = "A"
    path = tmp_path / "alt.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    spec = TableSpec.model_validate(
        {
            "source": "s",
            "format": "jsonl",
            "fields": {"user_id": "user", "item_id": "item", "title": {"column": ["alt", "title"]}},
        }
    )
    got = spark_read(engine, [(spec, path)], 64)
    assert got is not None
    assert got[0]["title"].to_list()[:2] == ["t0", "t1"]
    assert got[0]["title"][-1] == ("A" if later else "t59")
    assert_same(engine, [(spec, path)], 64)


def test_python_literal_lines(engine: Any, tmp_path: Path) -> None:
    # Steam-style dict literals: single quotes, True/None, a set and a tuple (the
    # ast.literal_eval fallback), and a malformed line, spread over many chunks
    lines = []
    for n in range(80):
        extra = {0: "'tags': {'a', 'b'}", 1: "'pair': (1, 2)", 2: "'ok': True"}.get(
            n % 7, "'x': None"
        )
        lines.append(
            f"{{'user_id': 'u{n % 9}', 'item_id': {n % 13}, 'rec': {n % 2 == 0}, {extra}}}"
        )
    lines[41] = "{'user_id': 'u1', 'item_id': "  # cut short
    path = tmp_path / "reviews.txt"
    path.write_text("\n".join(lines) + "\n")
    spec = TableSpec.model_validate(
        {
            "source": "s",
            "format": "python_literal",
            "on_bad_line": "skip",
            "fields": {"user_id": "user_id", "item_id": "item_id", "recommend": "rec"},
        }
    )
    got = spark_read(engine, [(spec, path)], 300)
    assert got is not None and got[0].height == 79
    assert_same(engine, [(spec, path)], 300)


def test_a_handed_back_file_leaves_no_staging_behind(engine: Any, tmp_path: Path) -> None:
    # a gzipped JSON file the driver must read: the parts and the decompressed copy go, the
    # source stays
    rows = [{"user": n, "item": "i"} for n in range(50)] + [{"user": "u", "item": "i"}]
    path = tmp_path / "conflict.jsonl.gz"
    path.write_bytes(gzip.compress(("\n".join(json.dumps(r) for r in rows) + "\n").encode()))
    spec = TableSpec.model_validate(
        {"source": "s", "format": "jsonl", "fields": {"user_id": "user", "item_id": "item"}}
    )
    before = set(engine.staging.root.iterdir())
    assert spark_read(engine, [(spec, path)], 64) is None
    assert set(engine.staging.root.iterdir()) == before
    assert path.is_file()


def test_staging_removes_only_its_own_folders(tmp_path: Path) -> None:
    from recdata.engines.spark._frames import Staging

    staging = Staging(tmp_path)
    mine = staging.folder()
    (mine / "part.parquet").write_bytes(b"x")
    outside = tmp_path / "user-data"
    outside.mkdir()
    for path in (outside, staging.root, tmp_path):
        with pytest.raises(ValueError, match="is not a staging folder"):
            staging.remove(path)
    staging.remove(mine)
    assert not mine.exists() and outside.is_dir() and staging.root.is_dir()
    staging.close()
