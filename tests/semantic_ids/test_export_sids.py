"""`recdata export --to semantic-ids` read the way LC-Rec reads it; prompts with SID tokens."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from recdata.cli import main
from recdata.errors import UsageError
from recdata.exporters import export
from recdata.semantic_ids import add_semantic_ids

TOKEN = re.compile(r"<([a-z])_(\d+)>")


def test_index_json_round_trips_as_lc_rec_reads_it(seeded_folder: Path, tmp_path: Path) -> None:
    add_semantic_ids(seeded_folder, codebook=16)
    out = export(seeded_folder, to="semantic-ids", out=tmp_path / "sids")
    codes = pl.read_parquet(seeded_folder / "features/semantic_ids-rq-kmeans.parquet")
    expected = {row["item_idx"]: row["codes"] for row in codes.to_dicts()}
    # LC-Rec's data.py: indices = json.load(f); item text = "".join(indices[str(item)])
    with open(out / "seeded.index.json") as f:
        indices = json.load(f)
    assert sorted(indices, key=int) == [str(i) for i in range(300)]
    for position in range(300):
        text = "".join(indices[str(position)])
        letters = [m[0] for m in TOKEN.findall(text)]
        values = [int(m[1]) for m in TOKEN.findall(text)]
        assert TOKEN.sub("", text) == ""
        assert letters == ["a", "b", "c", "d"]
        assert values == expected[position + 1]  # key = item_idx - 1
    assert len({"".join(v) for v in indices.values()}) == 300  # unique item strings
    array = np.load(out / "seeded.codes.npy", allow_pickle=False)
    assert array.dtype == np.int16 and array.shape == (300, 4)
    assert array[0].tolist() == expected[1] and array[299].tolist() == expected[300]
    record = json.loads((out / "recdata-export.json").read_text())
    assert record["index_base"] == 0 and record["ids"] == "item_idx-1"
    assert any("key = item_idx - 1" in line for line in record["conversions"])
    assert record["options"] == {"method": "rq-kmeans", "name": "seeded"}


def test_export_names_the_method_and_cli(
    seeded_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(UsageError, match="no semantic IDs"):
        export(seeded_folder, to="semantic-ids", out=tmp_path / "none")
    add_semantic_ids(seeded_folder, codebook=8)
    add_semantic_ids(
        seeded_folder, codebook=8, method="rq-kmeans-balanced", balanced_niter=5, levels=2
    )
    code = main(
        [
            "export",
            str(seeded_folder),
            "--to",
            "semantic-ids",
            "-o",
            str(tmp_path / "b"),
            "--set",
            "method=rq-kmeans-balanced",
            "--set",
            "name=Seeded",
        ]
    )
    assert code == 0, capsys.readouterr().err
    indices = json.loads((tmp_path / "b" / "Seeded.index.json").read_text())
    assert len(indices["0"]) == 3
    assert np.load(tmp_path / "b" / "Seeded.codes.npy").shape == (300, 3)


def test_prompts_can_show_items_as_sid_tokens(tmp_path: Path) -> None:
    from factory import make_small_dataset
    from sid_factory import embedding_frame

    from recdata.dataset import FeatureRecord, update_dataset

    folder = make_small_dataset(tmp_path / "small")
    rng = np.random.default_rng(0)
    frame = embedding_frame(rng.standard_normal((5, 4)).astype(np.float32))
    update_dataset(
        folder,
        add={"features/text-seeded": frame},
        update_manifest=lambda m: m.model_copy(
            update={"features": {"features/text-seeded.parquet": FeatureRecord(kind="text")}}
        ),
    )
    add_semantic_ids(folder, codebook=2, min_items_per_code=1)
    codes = pl.read_parquet(folder / "features/semantic_ids-rq-kmeans.parquet")
    token = {
        r["item_idx"]: "".join(f"<{'abcd'[i]}_{c}>" for i, c in enumerate(r["codes"]))
        for r in codes.to_dicts()
    }
    out = export(folder, to="prompts", out=tmp_path / "p", items="sid")
    rows = [json.loads(line) for line in (out / "test.jsonl").read_text().splitlines()]
    assert rows
    for row in rows:
        assert row["output"] == token[row["target_item_idx"]]
        assert row["instruction"].endswith("Answer with its semantic ID only.")
        for n, item in enumerate(row["history_item_idx"], start=1):
            assert f"{n}. {token[item]}" in row["input"]
    record = json.loads((out / "recdata-export.json").read_text())
    assert record["options"]["items"] == "sid" and record["options"]["sid_method"] == "rq-kmeans"
    with pytest.raises(UsageError, match="unknown items option"):
        export(folder, to="prompts", out=tmp_path / "q", items="tokens")


def test_hf_items_carry_semantic_ids_as_int16(seeded_folder: Path) -> None:
    pytest.importorskip("datasets")
    from recdata.dataset import load
    from recdata.exporters._hf import _items_table

    add_semantic_ids(seeded_folder, codebook=8)
    codes = pl.read_parquet(seeded_folder / "features/semantic_ids-rq-kmeans.parquet")
    table = _items_table(load(seeded_folder))
    assert (
        str(table.schema.field("semantic_ids-rq-kmeans").type) == "fixed_size_list<item: int16>[4]"
    )
    assert table.column("semantic_ids-rq-kmeans").to_pylist() == codes["codes"].to_list()
    assert str(table.schema.field("text-seeded").type.value_type) == "float"
