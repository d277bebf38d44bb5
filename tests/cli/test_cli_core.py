"""The CLI shell: exit codes, one-line errors, --json, --version, validate and stats verbs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from factory import make_small_dataset

from recdata import __version__
from recdata.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0 and __version__ in out


def test_validate_ok_and_violation_exit_codes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = make_small_dataset(tmp_path / "s")
    code, out, _ = run(capsys, "validate", str(folder))
    assert code == 0 and "ok" in out
    (folder / "items.parquet").unlink()
    code, out, err = run(capsys, "validate", str(folder))
    assert code == 1
    assert "missing_file" in out and "items.parquet" in out
    assert "Traceback" not in out + err and err.strip().startswith("error:")


def test_validate_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = make_small_dataset(tmp_path / "s")
    (folder / "splits/loo/test.parquet").unlink()
    code, out, _ = run(capsys, "validate", "--json", str(folder))
    assert code == 1
    report = json.loads(out)
    assert report["ok"] is False
    assert report["violations"][0]["file"] == "splits/loo/test.parquet"


def test_stats_json_and_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = make_small_dataset(tmp_path / "s")
    code, out, _ = run(capsys, "stats", "--json", str(folder))
    assert code == 0 and json.loads(out)["interactions"] == 14
    code, out, _ = run(capsys, "stats", "--split", "loo", str(folder))
    assert code == 0 and "train" in out and "valid" in out
    code, _, err = run(capsys, "stats", "--split", "nope", str(folder))
    assert code == 2 and "no split 'nope'" in err


def test_usage_errors_exit_2_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "no-such-verb")
    assert code == 2 and "No such command" in err
    code, _, err = run(capsys, "stats", str(tmp_path / "missing"))
    assert code == 2 and "Traceback" not in err


def test_data_error_exits_1_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "manifest.json").write_text("{not json")
    code, _, err = run(capsys, "stats", str(tmp_path / "bad"))
    assert code == 1
    assert len(err.strip().splitlines()) == 1 and "not a valid manifest" in err
