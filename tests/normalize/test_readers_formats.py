"""Readers on generated samples of each raw format, malformed lines, and a reference property."""

from __future__ import annotations

import ast
import gzip
import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recdata.errors import ReadError, UsageError
from recdata.normalize import READERS, ReadResult, read_delimited, read_jsonl, read_python_literal

# --------------------------------------------------------------------------- Amazon 2014

META_2014 = [
    "{'asin': '0558925278', 'title': 'Eco Friendly Ink', 'price': 12.99, "
    "'imUrl': 'http://ecx.images-amazon.com/images/I/51L%2BzY.jpg', "
    "'related': {'also_bought': ['B001', 'B002'], 'bought_together': ['B003']}, "
    "'salesRank': {'Beauty': 402875}, 'categories': [['Beauty', 'Makeup', 'Face']], "
    "'brand': 'Rimmel'}",
    "{'asin': '0733001998', 'description': 'It\\'s \"great\" \\u2013 really', "
    "'categories': [['Beauty', 'Skin Care'], ['Health']], 'salesRank': {}}",
    "{u'asin': u'B00004TMFE', u'title': u'Caf\\xe9 Cr\\xe8me', u'price': 3.5, "
    "u'related': {u'also_viewed': [u'B00X']}, u'categories': [[u'Beauty']]}",
    # a tuple: not on the fast path, read through ast.literal_eval
    "{'asin': 'B0TUPLE', 'categories': [('Beauty', 'Tools')], 'price': 1}",
]


def _write(path: Path, lines: list[str], *, gz: bool = False, end: str = "\n") -> Path:
    data = end.join(lines).encode("utf8") + end.encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def _reference(line: str) -> dict:
    def norm(v: object) -> object:
        if isinstance(v, (list, tuple)):
            return [norm(x) for x in v]
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        return v

    return norm(ast.literal_eval(line))  # type: ignore[return-value]


def test_amazon2014_meta_python_literal(tmp_path: Path) -> None:
    path = _write(tmp_path / "meta_Beauty.json.gz", META_2014, gz=True)
    df = read_python_literal(path).frame.collect()
    assert df.height == 4
    for row, line in zip(df.iter_rows(named=True), META_2014, strict=True):
        ref = _reference(line)
        for key in ("asin", "title", "description", "brand", "price", "categories"):
            if key in ref:
                assert row[key] == ref[key], key
            else:
                assert row[key] is None
    assert df["related"][0] == {
        "also_bought": ["B001", "B002"],
        "bought_together": ["B003"],
        "also_viewed": None,
    }
    fields = read_python_literal(path, fields=["asin", "price", "imUrl", "missing"])
    assert fields.frame.collect().columns == ["asin", "price", "imUrl", "missing"]


def test_amazon2014_ratings_csv(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "ratings_Beauty.csv",
        ["A39HTATAQ9V7YF,0205616461,5.0,1369699200", "A3JM6GV9MNOF9X,0558925278,3.0,1355443200"],
    )
    df = read_delimited(path, sep=",", columns=["user", "item", "rating", "ts"]).frame.collect()
    assert df.schema == pl.Schema(
        {"user": pl.String, "item": pl.String, "rating": pl.Float64, "ts": pl.Int64}
    )
    assert df.row(1) == ("A3JM6GV9MNOF9X", "0558925278", 3.0, 1355443200)
    # ids keep their leading zeros when declared as strings
    typed = read_delimited(
        path, sep=",", columns=["item", "user", "rating", "ts"], dtypes={"user": "str"}
    )
    assert typed.frame.collect()["user"].to_list() == ["0205616461", "0558925278"]


def test_quoted_csv_with_header(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "movies.csv",
        [
            "movieId,title,genres",
            '1,"Toy Story (1995)",Animation',
            '2,"American President, The (1995)",Comedy|Drama',
        ],
    )
    df = READERS["csv"](path, has_header=True).frame.collect()
    assert df["title"].to_list() == ["Toy Story (1995)", "American President, The (1995)"]
    bad = _write(tmp_path / "bad.csv", ["a,b", "1,2", "3,4,5"])
    with pytest.raises(ReadError, match=r"bad\.csv: line 3"):
        READERS["csv"](bad, has_header=True)


# --------------------------------------------------------------------------- Amazon 2023

REVIEWS_2023 = [
    {
        "rating": 5.0,
        "title": "Such a lovely scent",
        "text": "This spray is really nice.",
        "images": [],
        "asin": "B00YQ6X8EO",
        "parent_asin": "B00YQ6X8EO",
        "user_id": "AGKHLEW2SOWHNMFQIJGBECAF7INQ",
        "timestamp": 1588687728923,
        "helpful_vote": 0,
        "verified_purchase": True,
    },
    {
        "rating": 4.0,
        "title": "Works",
        "text": "ok\nsecond line \u00e9",
        "images": [{"small_image_url": "https://m.media-amazon.com/a.jpg"}],
        "asin": "B081TJ8YS3",
        "parent_asin": "B081TJ8YS3",
        "user_id": "AGKHLEW2SOWHNMFQIJGBECAF7INQ",
        "timestamp": 1588615855070,
        "helpful_vote": 1,
        "verified_purchase": True,
    },
    {
        "rating": 1.0,
        "asin": "B07PNNCSP9",
        "parent_asin": "B097R46CSY",
        "user_id": "AE74DYR3QUGVPZJ3P7RFWBGIX7XQ",
        "timestamp": 1589665266052,
        "helpful_vote": 2,
        "verified_purchase": False,
    },
]


@pytest.mark.parametrize("gz", [False, True])
def test_amazon2023_jsonl(tmp_path: Path, gz: bool) -> None:
    path = _write(
        tmp_path / ("All_Beauty.jsonl" + (".gz" if gz else "")),
        [json.dumps(r) for r in REVIEWS_2023],
        gz=gz,
    )
    result = read_jsonl(
        path, fields=["user_id", "parent_asin", "rating", "timestamp", "text", "images"]
    )
    df = result.frame.collect()
    assert df.height == 3 and result.bad_lines == 0
    assert df.schema["timestamp"] == pl.Int64 and df["timestamp"][0] == 1588687728923
    assert df["text"].to_list() == ["This spray is really nice.", "ok\nsecond line \u00e9", None]
    assert df["images"][1].to_list() == [{"small_image_url": "https://m.media-amazon.com/a.jpg"}]
    assert df["parent_asin"].to_list() == ["B00YQ6X8EO", "B081TJ8YS3", "B097R46CSY"]


def test_amazon2023_benchmark_csv_gz(tmp_path: Path) -> None:
    lines = [
        "user_id,parent_asin,rating,timestamp",
        "U1,B01,5.0,1588615855070",
        "U2,B02,4.0,1588615855071",
    ]
    path = tmp_path / "All_Beauty.csv.gz"
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    df = read_delimited(path, sep=",", has_header=True).frame.collect()
    assert df.columns == ["user_id", "parent_asin", "rating", "timestamp"] and df.height == 2


# --------------------------------------------------------------------------- delimited details


def test_multichar_separator_crlf_and_gzip(tmp_path: Path) -> None:
    lines = ["1::1193::5::978300760", "1::661::3::978302109", "2::3068::4::978299000"]
    path = _write(tmp_path / "ratings.dat.gz", lines, gz=True, end="\r\n")
    df = read_delimited(path, sep="::", columns=["u", "i", "r", "t"]).frame.collect()
    assert df.rows() == [(1, 1193, 5, 978300760), (1, 661, 3, 978302109), (2, 3068, 4, 978299000)]
    movies = _write(
        tmp_path / "movies.dat",
        ["1::Toy Story (1995)::Animation|Children's", '2::Jumanji: "The" Game (1995)::Adventure'],
    )
    df = read_delimited(movies, sep="::", columns=["id", "title", "genres"]).frame.collect()
    assert df["title"].to_list() == ["Toy Story (1995)", 'Jumanji: "The" Game (1995)']


def test_blank_lines_skip_rows_and_header_checks(tmp_path: Path) -> None:
    path = _write(tmp_path / "x.tsv", ["# comment", "a\tb", "1\t2", "", "3\t4"])
    df = read_delimited(path, sep="\t", has_header=True, skip_rows=1).frame.collect()
    assert df.columns == ["a", "b"] and df.rows() == [(1, 2), (3, 4)]
    renamed = read_delimited(path, sep="\t", has_header=True, skip_rows=1, columns=["x", "y"])
    assert renamed.frame.collect().columns == ["x", "y"]
    with pytest.raises(ReadError, match="header has 2 fields"):
        read_delimited(path, sep="\t", has_header=True, skip_rows=1, columns=["x"])
    with pytest.raises(UsageError):
        read_delimited(path, sep="\t", on_bad_line="ignore")  # type: ignore[arg-type]


def test_bad_field_count_error_and_skip(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "u.data",
        ["1\t2\t3\t4", "5\t6\t7\t8", "9\t10\t11", "12\t13\t14\t15\t16", "17\t18\t19\t20"],
    )
    with pytest.raises(ReadError) as info:
        read_delimited(path, sep="\t")
    assert "u.data: line 3" in str(info.value) and "expected 4 fields" in str(info.value)
    result = read_delimited(path, sep="\t", on_bad_line="skip")
    assert result.bad_lines == 2
    assert result.frame.collect()["column_1"].to_list() == [1, 5, 17]


def test_bad_value_for_dtype(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.tsv", ["1\t5", "2\tfive", "3\t4"])
    with pytest.raises(ReadError, match=r"r\.tsv: line 2: column 'rating'.*'five'"):
        read_delimited(path, sep="\t", columns=["user", "rating"], dtypes={"rating": pl.Float64})
    skipped = read_delimited(
        path, sep="\t", columns=["user", "rating"], dtypes={"rating": "float"}, on_bad_line="skip"
    )
    assert skipped.bad_lines == 1 and skipped.frame.collect()["rating"].to_list() == [5.0, 4.0]


def test_reader_result_type(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.tsv", ["1\t2"])
    result = read_delimited(path, sep="\t")
    assert isinstance(result, ReadResult) and isinstance(result.frame, pl.LazyFrame)
    assert result.path == path
    assert set(READERS) >= {"csv", "tsv", "delimited", "jsonl", "python_literal"}


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match="nope.tsv"):
        read_delimited(tmp_path / "nope.tsv", sep="\t")


# --------------------------------------------------------------------------- bad JSON / literal lines


def test_jsonl_bad_lines(tmp_path: Path) -> None:
    path = _write(tmp_path / "r.jsonl", ['{"a": 1}', '{"a": 2', "[1, 2]", "", '{"a": 3}'])
    with pytest.raises(ReadError, match=r"r\.jsonl: line 2: invalid JSON"):
        read_jsonl(path)
    result = read_jsonl(path, on_bad_line="skip")
    assert result.bad_lines == 2 and result.frame.collect()["a"].to_list() == [1, 3]


def test_python_literal_bad_lines_never_evaluated(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    lines = [
        "{'a': 1}",
        f"__import__('pathlib').Path({str(marker)!r}).touch()",
        "{'a': foo}",
        "[1, 2]",
        "{'a': 2}",
    ]
    path = _write(tmp_path / "meta.json", lines)
    with pytest.raises(ReadError, match=r"meta\.json: line 2"):
        read_python_literal(path)
    result = read_python_literal(path, on_bad_line="skip")
    assert result.bad_lines == 3 and result.frame.collect()["a"].to_list() == [1, 2]
    assert not marker.exists()


def test_python_literal_lines_json_rejects(tmp_path: Path) -> None:
    # valid Python the fast path passes on but JSON refuses: read via the fallback
    lines = ["{'a': 1.}", "{'a': 2,}", "{'a': +3}", "{'a': 0x10}", "{'a': 1_000}"]
    df = read_python_literal(_write(tmp_path / "x.json", lines)).frame.collect()
    assert df["a"].to_list() == [1.0, 2.0, 3.0, 16.0, 1000.0]


# --------------------------------------------------------------------------- property: delimited vs str.split

_TOKEN = st.text(
    alphabet=st.characters(blacklist_characters="\t\r\n;|\x00", blacklist_categories=("Cs",)),
    max_size=6,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.lists(_TOKEN, min_size=3, max_size=3), min_size=1, max_size=12),
    sep=st.sampled_from(["\t", ";", "|", "::"]),
    end=st.sampled_from(["\n", "\r\n"]),
    final_newline=st.booleans(),
)
def test_delimited_matches_reference(
    tmp_path: Path, rows: list[list[str]], sep: str, end: str, final_newline: bool
) -> None:
    lines = [sep.join(r) for r in rows]
    text = end.join(lines) + (end if final_newline else "")
    path = tmp_path / "prop.txt"
    path.write_bytes(text.encode("utf8"))
    # reference: Python's own splitting, blank lines ignored, empty fields -> None
    physical = [line.removesuffix("\r") for line in text.split("\n")]
    reference = [[f or None for f in line.split(sep)] for line in physical if line != ""]
    good = [r for r in reference if len(r) == 3]
    result = read_delimited(
        path,
        sep=sep,
        columns=["a", "b", "c"],
        dtypes=dict.fromkeys("abc", "str"),
        on_bad_line="skip",
    )
    assert [list(r) for r in result.frame.collect().rows()] == good
    assert result.bad_lines == len(reference) - len(good)


def test_jsonl_conflicting_types_read_as_text(tmp_path: Path) -> None:
    lines = ['{"a": [1], "b": 1}', '{"a": 1, "b": 2}', '{"a": {"x": [1, 2]}}']
    df = read_jsonl(_write(tmp_path / "mixed.jsonl", lines)).frame.collect()
    assert df.schema["b"] == pl.Int64 and df.schema["a"] == pl.String
    assert [json.loads(v) for v in df["a"]] == [[1], 1, {"x": [1, 2]}]


def test_bad_line_located_in_a_large_file(tmp_path: Path) -> None:
    lines = [json.dumps({"i": i}) for i in range(70_000)]
    lines[65_000] = '{"i": '
    with pytest.raises(ReadError, match=r"line 65001: invalid JSON"):
        read_jsonl(_write(tmp_path / "big.jsonl", lines))
    result = read_jsonl(_write(tmp_path / "big.jsonl", lines), on_bad_line="skip")
    assert result.bad_lines == 1 and result.frame.collect().height == 69_999


@pytest.mark.parametrize(("sep", "quote"), [("\t", None), (",", None), (",", '"')])
def test_an_empty_file_reads_as_no_rows(tmp_path: Path, sep: str, quote: str | None) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    got = read_delimited(path, sep=sep, columns=["u", "i"], quote_char=quote)
    frame = got.frame.collect()
    assert frame.height == 0 and frame.columns == ["u", "i"] and got.bad_lines == 0


def test_json_without_the_selected_keys_keeps_its_row_count(tmp_path: Path) -> None:
    # no usable line at all, and lines without any selected key: as many rows as objects
    bad = _write(tmp_path / "bad.jsonl", ["[1, 2]", "{not json"])
    assert read_jsonl(bad, fields=["a"], on_bad_line="skip").frame.collect().shape == (0, 1)
    other = _write(tmp_path / "other.jsonl", ['{"x": 1}', '{"x": 2}'])
    frame = read_jsonl(other, fields=["a", "b"]).frame.collect()
    assert frame.shape == (2, 2) and frame.null_count().row(0) == (2, 2)
