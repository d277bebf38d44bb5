"""``recdata list`` and ``recdata info``: one line per buildable name off a terminal; resolved recipes."""

from __future__ import annotations

import json

import pytest

from recdata.cli import main
from recdata.recipe import names


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_plain_one_line_per_name(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list")  # captured stdout is not a terminal: plain lines
    assert code == 0
    lines = out.splitlines()
    assert [line.split("\t")[0] for line in lines] == names()
    assert all(len(line.split("\t")) == 5 for line in lines)
    by_name = {line.split("\t")[0]: line.split("\t") for line in lines}
    assert by_name["ml-100k"][1:4] == ["movielens", "100k", "4924029"]
    assert by_name["amazon2018-gift-cards-5core"][1:4] == ["amazon2018", "2018", "176952"]
    assert by_name["amazon2018-books-5core"][3] == "unknown"
    assert (
        by_name["amazon-beauty"][1] == "amazon2014"
    )  # aliases are listed with their base's fields
    assert by_name["synthetic"][3] == "0"
    assert "amazon2023-all-beauty-5core" in by_name and "amazon2023-all-beauty" in by_name


def test_list_plain_flag_and_family(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list", "--plain", "--family", "movielens")
    assert code == 0
    assert [line.split("\t")[0] for line in out.splitlines()] == [
        "ml-100k",
        "ml-10m",
        "ml-1m",
        "ml-20m",
        "ml-25m",
        "ml-32m",
        "ml-latest-small",
    ]


def test_info_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "info", "amazon-beauty")
    assert code == 0
    assert "amazon2014-beauty-5core" in out and "22,363" in out and "leave_one_out" in out
    code, out, _ = run(capsys, "info", "ml-1m", "--json", "--set", "steps.kcore.user_k=10")
    assert code == 0
    data = json.loads(out)
    assert data["recipe"]["steps"][0]["user_k"] == 10
    assert len(data["recipe_hash"]) == 64
    assert data["recipe"]["expected"]["final"] == {
        "users": 6040,
        "items": 3416,
        "interactions": 999611,
    }


def test_info_errors(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "info", "no-such-recipe")
    assert code == 2 and err.startswith("error: unknown recipe") and "Traceback" not in err
    code, _, err = run(capsys, "info", "synthetic", "--set", "steps.kcore.user_k=x")
    assert code == 2 and "steps.1.kcore.user_k" in err and len(err.strip().splitlines()) == 1
    code, _, err = run(capsys, "info", "synthetic", "--set", "nokey")
    assert code == 2 and "key=value" in err


def test_list_table_on_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    code, out, _ = run(capsys, "list", "--family", "synthetic")
    assert code == 0
    assert "recdata catalog" in out and "synthetic" in out and "\t" not in out
