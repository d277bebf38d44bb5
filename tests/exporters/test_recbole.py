"""RecBole atomic files, read back with RecBole's own rules (typed header, tabs, space-separated seqs)."""

from __future__ import annotations

import csv
import io
import math
import re
import tempfile
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from recdata import schema as S
from recdata.dataset import DatasetTables, Manifest, write_dataset
from recdata.exporters import export


def read_atomic(path: Path) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Parse an atomic file as RecBole's ``Dataset._load_feat`` does.

    The first line is ``field:type`` cells split on the field separator (tab); the body is read
    as CSV (pandas: ``"`` quoting); ``token`` stays a string, ``float`` becomes float (empty is
    NaN), ``token_seq``/``float_seq`` split on the seq separator (space) dropping empty pieces.
    """
    text = path.read_text(encoding="utf-8")
    head, _, body = text.partition("\n")
    types: dict[str, str] = {}
    for cell in head.split("\t"):
        field, ftype = cell.split(":")
        assert ftype in {"token", "token_seq", "float", "float_seq"}, cell
        types[field] = ftype
    rows = []
    for values in csv.reader(io.StringIO(body), delimiter="\t", quotechar='"', strict=True):
        assert len(values) == len(types), values
        row: dict[str, Any] = {}
        for (field, ftype), value in zip(types.items(), values, strict=True):
            if ftype == "token":
                row[field] = value if value != "" else None
            elif ftype == "float":
                row[field] = float(value) if value != "" else math.nan
            elif ftype == "token_seq":
                row[field] = [v for v in value.split(" ") if v]
            else:
                row[field] = [float(v) for v in value.split(" ") if v]
        rows.append(row)
    return types, rows


def _expected_inter(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (
            r["user_id"],
            r["item_id"],
            r["rating"] if r["rating"] is not None else math.nan,
            float(r["seconds"]),
        )
        for r in rows
    ]


def _got_inter(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(r["user_id"], r["item_id"], r["rating"], r["timestamp"]) for r in rows]


def _same(a: list[tuple[Any, ...]], b: list[tuple[Any, ...]]) -> bool:
    def norm(t: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple("nan" if isinstance(x, float) and math.isnan(x) else x for x in t)

    return [norm(t) for t in a] == [norm(t) for t in b]


def test_round_trip_inter_item_user_and_benchmark(toy: Path, tmp_path: Path, kit: Any) -> None:
    out = export(toy, to="recbole", out=tmp_path / "rb" / "toy")
    types, rows = read_atomic(out / "toy.inter")
    assert types == {
        "user_id": "token",
        "item_id": "token",
        "rating": "float",
        "timestamp": "float",
    }
    seq = kit.sequence_rows(kit.rows)
    assert _same(_got_inter(rows), _expected_inter(seq))

    types, items = read_atomic(out / "toy.item")
    assert types == {"item_id": "token", "title": "token_seq", "categories": "token_seq"}
    for row in items:
        assert row["title"] == kit.titles[row["item_id"]].split()
        assert row["categories"] == [
            c.replace(" ", "_") for c in kit.categories.get(row["item_id"], [])
        ]
    assert sorted(r["item_id"] for r in items) == sorted(kit.titles)
    types, users = read_atomic(out / "toy.user")
    assert types == {"user_id": "token"} and [u["user_id"] for u in users] == [
        "u1",
        "u2",
        "u3",
        "u4",
    ]

    parts = kit.loo_parts(seq)
    for part in ("train", "valid", "test"):
        types, got = read_atomic(out / f"toy.{part}.inter")
        expected = sorted(parts[part], key=lambda r: r["interaction_idx"])
        assert _same(_got_inter(got), _expected_inter(expected)), part

    config = yaml.safe_load((out / "toy.yaml").read_text(encoding="utf-8"))
    assert config["benchmark_filename"] == ["train", "valid", "test"]
    assert config["field_separator"] == "\t" and config["seq_separator"] == " "
    assert config["load_col"] == {
        "inter": ["user_id", "item_id", "rating", "timestamp"],
        "item": ["item_id", "title", "categories"],
        "user": ["user_id"],
    }
    assert (config["USER_ID_FIELD"], config["ITEM_ID_FIELD"], config["TIME_FIELD"]) == (
        "user_id",
        "item_id",
        "timestamp",
    )


def test_sequential_benchmark_files_carry_item_id_list(toy: Path, tmp_path: Path, kit: Any) -> None:
    out = export(
        toy, to="recbole", out=tmp_path / "seq", sequential=True, history_cap=2, name="toyseq"
    )
    seq = kit.sequence_rows(kit.rows)
    parts = kit.loo_parts(seq)
    history = kit.reference_history(parts)
    raw = {r["item_idx"]: r["item_id"] for r in seq}
    for part in ("train", "valid", "test"):
        types, got = read_atomic(out / f"toyseq.{part}.inter")
        assert types["item_id_list"] == "token_seq"
        expected = sorted(parts[part], key=lambda r: r["interaction_idx"])
        assert [g["item_id_list"] for g in got] == [
            [raw[i] for i in history[r["interaction_idx"]][-2:]] for r in expected
        ]
    config = yaml.safe_load((out / "toyseq.yaml").read_text(encoding="utf-8"))
    assert config["MAX_ITEM_LIST_LENGTH"] == 2 and "item_id_list" in config["load_col"]["inter"]


def test_folder_without_split_writes_no_benchmark(
    folder_builder: Any, tmp_path: Path, kit: Any
) -> None:
    folder = folder_builder(tmp_path / "nosplit", kit.rows[:5], split=False)
    out = export(folder, to="recbole", out=tmp_path / "o")
    assert not (out / "toy.train.inter").exists()
    assert "benchmark_filename" not in yaml.safe_load(
        (out / "toy.yaml").read_text(encoding="utf-8")
    )


def test_raw_id_with_tab_is_refused(folder_builder: Any, tmp_path: Path) -> None:
    from recdata.errors import ExportError

    folder = folder_builder(tmp_path / "bad", [("u\t1", "i1", 1, 1.0)], split=False)
    with pytest.raises(ExportError, match="user_id"):
        export(folder, to="recbole", out=tmp_path / "o")
    assert not (tmp_path / "o").exists() and not list(tmp_path.glob(".o.tmp-*"))


def _movielens_folder(ml: Path, out: Path) -> Path:
    """A dataset folder from u.data + u.item, built by hand with polars (no recipe code)."""
    data = pl.read_csv(
        ml / "u.data",
        separator="\t",
        has_header=False,
        new_columns=["user", "item", "rating", "ts"],
    ).with_row_index("_src")
    genres = [
        line.split("|")[0]
        for line in (ml / "u.genre").read_text(encoding="latin-1").splitlines()
        if line
    ]
    item_text = (ml / "u.item").read_bytes().decode("latin-1").encode("utf-8")
    cols = ["item", "title", "date", "video", "url", *genres]
    meta = pl.read_csv(
        item_text, separator="|", has_header=False, new_columns=cols, quote_char=None
    )
    categories = pl.concat_list(
        [pl.when(pl.col(g) == 1).then(pl.lit(g)).otherwise(pl.lit(None, pl.String)) for g in genres]
    ).list.drop_nulls()
    items = meta.select(
        pl.col("item").cast(pl.Int32).alias(S.ITEM),
        pl.col("item").cast(pl.String).alias(S.ITEM_ID),
        pl.col("title"),
        categories.alias("categories"),
        pl.col("title").str.extract(r"\((\d{4})\)\s*$").cast(pl.Int32).alias("year"),
    )
    inter = (
        data.sort("user", "ts", "_src")
        .with_row_index(S.INTERACTION)
        .select(
            pl.col(S.INTERACTION).cast(pl.Int64),
            pl.col("user").cast(pl.Int32).alias(S.USER),
            pl.col("item").cast(pl.Int32).alias(S.ITEM),
            (pl.col("ts") * 1000).cast(pl.Datetime("ms")).dt.replace_time_zone("UTC").alias(S.TIME),
            pl.col("rating").cast(pl.Float32).alias(S.RATING),
        )
    )
    users = pl.DataFrame({S.USER: range(1, 944), S.USER_ID: [str(u) for u in range(1, 944)]})
    return write_dataset(
        out, DatasetTables(interactions=inter, items=items, users=users), Manifest(name="ml-100k")
    )


@pytest.mark.shared
def test_movielens_100k_has_recbole_column_types(shared_datasets: Path, tmp_path: Path) -> None:
    ml = shared_datasets / "ml-100k"
    folder = _movielens_folder(ml, tmp_path / "ml")
    out = export(folder, to="recbole", out=tmp_path / "ml-100k")
    # RecBole's own ml-100k.inter header, and tokens/floats as it parses them
    first = (out / "ml-100k.inter").read_text(encoding="utf-8").split("\n", 1)[0]
    assert first == "user_id:token\titem_id:token\trating:float\ttimestamp:float"
    types, rows = read_atomic(out / "ml-100k.inter")
    assert len(rows) == 100_000
    raw = pl.read_csv(
        ml / "u.data", separator="\t", has_header=False, new_columns=["u", "i", "r", "t"]
    )
    expected = sorted((str(u), str(i), float(r), float(t)) for u, i, r, t in raw.iter_rows())
    assert sorted(_got_inter(rows)) == expected
    types, items = read_atomic(out / "ml-100k.item")
    assert types == {
        "item_id": "token",
        "title": "token_seq",
        "categories": "token_seq",
        "year": "token",
    }
    assert len(items) == 1682
    toy_story = next(r for r in items if r["item_id"] == "1")
    assert toy_story["title"] == ["Toy", "Story", "(1995)"] and toy_story["year"] == "1995"
    assert toy_story["categories"] == ["Animation", "Children's", "Comedy"]
    assert {len(read_atomic(out / "ml-100k.user")[1])} == {943}


def _words(text: str) -> list[str]:
    """What RecBole gets from a token_seq title: whitespace rules of the writer, split on spaces."""
    return [w for w in re.sub(r"[\t\r\n]+", " ", text).replace("\x00", "").split(" ") if w]


@settings(max_examples=30, deadline=None)
@given(
    titles=st.lists(st.text(max_size=20), min_size=1, max_size=6),
    price=st.lists(
        st.one_of(st.none(), st.floats(0, 1e6, allow_nan=False)), min_size=6, max_size=6
    ),
)
def test_item_text_round_trip(titles: list[str], price: list[float | None], kit: Any) -> None:
    ids = [f"i{k}" for k in range(len(titles))]
    rows = [("u", item, n, 1.0) for n, item in enumerate(ids)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = kit.build_folder(
            Path(tmp) / "t", rows, titles=dict(zip(ids, titles, strict=True)), split=False
        )
        items = pl.read_parquet(folder / "items.parquet").with_columns(
            pl.Series("price", price[: len(ids)], dtype=pl.Float64),
            pl.Series("brand", titles, dtype=pl.String),
        )
        items.write_parquet(folder / "items.parquet")  # not re-checksummed: exporters do not verify
        out = export(folder, to="recbole", out=Path(tmp) / "o")
        types, got = read_atomic(out / "toy.item")
        assert types == {
            "item_id": "token",
            "title": "token_seq",
            "price": "float",
            "brand": "token",
        }
        for row, title, value in zip(got, titles, price, strict=False):
            assert row["title"] == _words(title)
            expected_price = math.nan if value is None else value
            assert row["price"] == expected_price or (
                math.isnan(row["price"]) and math.isnan(expected_price)
            )
            cleaned = re.sub(r"[\t\r\n]+", " ", title).replace("\x00", "")
            assert row["brand"] == (cleaned or None)
