"""``export``: the record file, atomic writes, determinism, option errors and the CLI verb."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from recdata.candidates import add_candidates
from recdata.cli import main
from recdata.dataset import manifest_hash
from recdata.errors import ExportError, UsageError
from recdata.exporters import EXPORT_RECORD, EXPORTERS, export


@pytest.mark.parametrize("to", sorted(EXPORTERS))
def test_record_and_byte_identical_outputs(to: str, toy: Path, tmp_path: Path) -> None:
    if to == "hf":
        pytest.importorskip("datasets")
    if to == "graph":
        pytest.importorskip("scipy")
    if to == "semantic-ids":  # the format needs semantic IDs in the folder
        pytest.importorskip("faiss")
        from recdata.semantic_ids import add_semantic_ids

        add_semantic_ids(toy, codebook=2, min_items_per_code=1)
    if to in ("rechorus", "elliot", "ncf"):  # formats with negatives need candidate lists
        add_candidates(toy, n=1, exclude="train")
    a = export(toy, to=to, out=tmp_path / "a")
    b = export(toy, to=to, out=tmp_path / "elsewhere" / "b")
    record = json.loads((a / EXPORT_RECORD).read_text(encoding="utf-8"))
    assert record["format"] == to
    assert record["source"] == {
        "name": "toy",
        "manifest_sha256": manifest_hash(toy),
        "recipe_hash": None,
    }
    assert record["index_base"] in (None, 0, 1) and record["conversions"]
    files = sorted(p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file())
    assert sorted(record["files"]) == [f for f in files if f != EXPORT_RECORD]
    for rel in files:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    assert str(tmp_path) not in (a / EXPORT_RECORD).read_text(encoding="utf-8")


def test_index_bases(toy: Path, tmp_path: Path) -> None:
    bases = {}
    for to in ("recbole", "sasrec", "amazon2023", "graph", "prompts"):
        record = json.loads((export(toy, to=to, out=tmp_path / to) / EXPORT_RECORD).read_text())
        bases[to] = (record["ids"], record["index_base"])
    assert bases == {
        "recbole": ("raw", None),
        "sasrec": ("user_idx/item_idx", 1),
        "amazon2023": ("raw", None),
        "graph": ("user_idx-1/item_idx-1", 0),
        "prompts": ("user_idx/item_idx", 1),
    }


def test_errors_leave_nothing_behind(toy: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown export format 'nope'"):
        export(toy, to="nope", out=tmp_path / "o")
    with pytest.raises(UsageError, match=r"unknown option\(s\) \['bogus'\]"):
        export(toy, to="recbole", out=tmp_path / "o", bogus=1)
    with pytest.raises(UsageError, match="takes no split"):
        export(toy, to="sasrec", out=tmp_path / "o", split="loo")
    with pytest.raises(UsageError, match="no split 'other'"):
        export(toy, to="amazon2023", out=tmp_path / "o", split="other")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["toy"]


def test_overwrite(toy: Path, tmp_path: Path) -> None:
    out = export(toy, to="sasrec", out=tmp_path / "o")
    with pytest.raises(UsageError, match="already exists"):
        export(toy, to="sasrec", out=out)
    export(toy, to="recbole", out=out, overwrite=True)
    assert not (out / "toy.txt").exists() and (out / "toy.inter").exists()
    (out / "stale.txt").write_text("x")  # a file recdata did not write: never replaced
    with pytest.raises(UsageError, match="stale.txt"):
        export(toy, to="sasrec", out=out, overwrite=True)
    assert (out / "stale.txt").read_text() == "x"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o", "toy"]


def test_failure_keeps_existing_output(kit: Any, toy: Path, tmp_path: Path) -> None:
    out = export(toy, to="sasrec", out=tmp_path / "o")
    before = (out / EXPORT_RECORD).read_bytes()
    with pytest.raises(ExportError):
        export(toy, to="prompts", out=out, overwrite=True, template="candidates", n_candidates=99)
    assert (out / EXPORT_RECORD).read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o", "toy"]


def test_cli(toy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli"
    code = main(
        [
            "export",
            str(toy),
            "--to",
            "prompts",
            "-o",
            str(out),
            "--set",
            "template=next_item",
            "--set",
            "history_cap=1",
            "--set",
            "parts=[test]",
            "--split",
            "loo",
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == [EXPORT_RECORD, "test.jsonl"]
    record = json.loads((out / EXPORT_RECORD).read_text())
    assert record["options"]["history_cap"] == 1 and record["split"] == "loo"
    assert record["options"]["parts"] == ["test"]
    code = main(["export", str(toy), "--to", "prompts", "-o", str(out)])
    assert code == 2 and "already exists" in capsys.readouterr().err
    code = main(["export", str(toy), "--to", "nope", "-o", str(tmp_path / "x")])
    assert code == 2
    code = main(["export", str(toy), "--to", "sasrec", "-o", str(tmp_path / "x"), "--set", "oops"])
    assert code == 2 and "key=value" in capsys.readouterr().err
    code = main(
        [
            "export",
            str(toy),
            "--to",
            "prompts",
            "-o",
            str(tmp_path / "y"),
            "--set",
            "template=candidates",
            "--set",
            "n_candidates=50",
        ]
    )
    err = capsys.readouterr().err
    assert (
        code == 1
        and "n_candidates" in err
        and "user 'u1'" in err
        and "only 4 item(s)" in err
        and "Traceback" not in err
    )
