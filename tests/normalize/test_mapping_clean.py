"""Field alternatives (``column: [a, b]``) and ``clean: html`` in the field mapping."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from pydantic import ValidationError

from recdata.errors import RecipeError
from recdata.normalize import TableSpec, map_table, read_table
from recdata.normalize._mapping import FieldSpec, map_table_report

ITEMS = [
    ("B1", ["http://img/1a.jpg", "http://img/1b.jpg"]),
    ("B2", []),
    ("B3", ["http://img/3.jpg"]),
]
SPEC = {
    "source": "meta",
    "format": "jsonl",
    "fields": {
        "item_id": "asin",
        "image_urls": {"column": ["imageURLHighRes", "imageURL", "image"]},
    },
}


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _map(path: Path, spec: dict) -> pl.DataFrame:
    table = TableSpec.model_validate(spec)
    raw, _ = read_table(table, path)
    return map_table(raw, table)


def test_old_and_new_metadata_versions_give_the_same_image_urls(tmp_path: Path) -> None:
    # older copies of Amazon 2018 metadata name the field ``image``; newer ones ``imageURL``
    # (small) and ``imageURLHighRes``: the same recipe maps both.
    old = _write(tmp_path / "old.json", [{"asin": a, "image": urls} for a, urls in ITEMS])
    new = _write(
        tmp_path / "new.json",
        [
            {"asin": a, "imageURL": [u + "?small" for u in urls], "imageURLHighRes": urls}
            for a, urls in ITEMS
        ],
    )
    from recdata.recipe import resolve

    for name in (
        "amazon2018-gift-cards-5core",
        "amazon2018-gift-cards",
        "amazon2018-gift-cards-ratings",
    ):
        recipe = resolve(name)
        assert recipe.items is not None
        assert recipe.items.fields["image_urls"] == FieldSpec.model_validate(
            SPEC["fields"]["image_urls"]
        ), name  # the catalog maps what this test maps
    got_old, got_new = _map(old, SPEC), _map(new, SPEC)
    assert got_old["image_urls"].to_list() == [ITEMS[0][1], None, ITEMS[2][1]]
    assert got_new["image_urls"].to_list() == got_old["image_urls"].to_list()
    assert got_old.schema["image_urls"] == pl.List(pl.String)


def test_first_present_alternative_wins_per_row(tmp_path: Path) -> None:
    rows = [
        {"asin": "A", "imageURLHighRes": ["hi"], "imageURL": ["lo"]},
        {"asin": "B", "imageURLHighRes": [], "imageURL": ["lo"]},  # empty counts as missing
        {"asin": "C", "imageURL": ["lo"], "image": ["old"]},
        {"asin": "D", "image": ["old"]},
        {"asin": "E"},
    ]
    got = _map(_write(tmp_path / "m.json", rows), SPEC)
    assert got["image_urls"].to_list() == [["hi"], ["lo"], ["lo"], ["old"], None]


def test_alternatives_must_name_a_column_of_the_file(tmp_path: Path) -> None:
    frame = pl.DataFrame({"asin": ["A"], "other": ["x"]})
    spec = TableSpec.model_validate(
        {**SPEC, "fields": {"item_id": "asin", "image_urls": {"column": ["nope", "neither"]}}}
    )
    with pytest.raises(RecipeError, match="none of the columns"):
        map_table(frame, spec)
    with pytest.raises(ValidationError, match="at least one column"):
        FieldSpec.model_validate({"column": []})


def test_clean_html_fields_and_their_counts(tmp_path: Path) -> None:
    rows = [
        {
            "asin": "A",
            "title": '<span class="a-size-medium a-color-secondary"',
            "description": ["<b>Good</b> &amp; cheap", "<br>"],
            "category": ["Gift Cards", "&lt;i&gt;"],
        },
        {"asin": "B", "title": "Maggiano&#39;s Gift Card", "description": [], "category": None},
        {"asin": "C", "title": "Plain title", "description": ["Plain"], "category": ["Cards"]},
        {"asin": "D", "title": None},
    ]
    spec = TableSpec.model_validate(
        {
            "source": "meta",
            "format": "jsonl",
            "fields": {
                "item_id": "asin",
                "title": {"column": "title", "clean": "html"},
                "description": {"column": "description", "clean": "html", "join": "\n"},
                "categories": {"column": "category", "clean": "html", "unique": True},
            },
        }
    )
    raw, _ = read_table(spec, _write(tmp_path / "m.json", rows))
    out, counts = map_table_report(raw, spec)
    assert out["title"].to_list() == [None, "Maggiano's Gift Card", "Plain title", None]
    assert out["description"].to_list() == ["Good & cheap", None, "Plain", None]
    assert out["categories"].to_list() == [["Gift Cards"], None, ["Cards"], None]
    # counted by hand from the rows above: values present before cleaning, changed, nulled
    assert counts["title"] == {"clean": "html", "values": 3, "changed": 2, "nulled": 1}
    assert counts["description"] == {"clean": "html", "values": 2, "changed": 1, "nulled": 0}
    assert counts["categories"] == {"clean": "html", "values": 2, "changed": 1, "nulled": 0}


def test_clean_needs_strings() -> None:
    frame = pl.DataFrame({"asin": ["A"], "meta": [{"a": 1}]})
    spec = TableSpec.model_validate(
        {
            "source": "meta",
            "format": "jsonl",
            "fields": {"item_id": "asin", "meta": {"column": "meta", "clean": "html"}},
        }
    )
    with pytest.raises(RecipeError, match="clean: html needs strings"):
        map_table(frame, spec)
