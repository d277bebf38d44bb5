"""Every cell of the exit-code table in docs/errors.md, run as written (offline)."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from recdata.cli import VERBS, main
from recdata.errors import DatasetError

DOCS = Path(__file__).resolve().parents[2] / "docs" / "errors.md"
SECTION = "## Exit codes by command"


def _rows() -> list[list[str]]:
    section = DOCS.read_text(encoding="utf-8").split(SECTION, 1)[1]
    lines = [ln for ln in section.splitlines() if ln.startswith("|")]
    return [[c.strip() for c in ln.strip().strip("|").split("|")] for ln in lines]


def _cells() -> list[object]:
    """(arguments, expected exit code) for every command in the table, with a readable id."""
    header, _, *rows = _rows()
    codes = [re.search(r"\((\d)\)\s*$", h) for h in header]
    params: list[object] = []
    for row in rows:
        for title, code, cell in zip(header[1:], codes[1:], row[1:], strict=True):
            if cell == "—":
                continue
            command = re.fullmatch(r"`recdata (.+)`", cell)
            assert command is not None and code is not None, f"bad cell {cell!r} in {DOCS}"
            params.append(
                pytest.param(
                    shlex.split(command.group(1)), int(code.group(1)), id=f"{row[0]}: {title}"
                )
            )
    return params


def test_table_covers_every_verb() -> None:
    header, _, *rows = _rows()
    assert header[0] == "command"
    assert sorted(row[0] for row in rows) == sorted(VERBS)


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("exit") / "ds"
    code = main(["build", "synthetic", "--set", "size=2000", "-o", str(folder)])
    assert code == 0
    return folder


@pytest.fixture
def workdir(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The folder the table's commands run in (see docs/errors.md)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RECDATA_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("RECDATA_MIRROR", raising=False)
    shutil.copytree(built, tmp_path / "ds")
    shutil.copytree(built, tmp_path / "damaged")
    inter = tmp_path / "damaged" / "interactions.parquet"
    data = inter.read_bytes()
    inter.write_bytes(data[: len(data) // 2])
    (tmp_path / "broken.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    (tmp_path / "corrupt-raw").mkdir()
    (tmp_path / "corrupt-raw" / "ml-100k.zip").write_bytes(b"not an archive\n")
    (tmp_path / "notads").mkdir()
    (tmp_path / "notads" / "notes.txt").write_text("mine\n", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(("args", "expected"), _cells())
def test_exit_code(
    workdir: Path, capsys: pytest.CaptureFixture[str], args: list[str], expected: int
) -> None:
    code = main(args)
    out, err = capsys.readouterr()
    assert code == expected, f"recdata {shlex.join(args)}: exit {code}, expected {expected}: {err}"
    assert "internal error" not in err and "Traceback" not in err
    if expected:
        assert err.strip(), "a failure says why on stderr"
    assert (workdir / "notads" / "notes.txt").read_text(encoding="utf-8") == "mine\n"


def test_debug_shows_the_error_instead_of_one_line(workdir: Path) -> None:
    with pytest.raises(DatasetError, match="interactions.parquet"):
        main(["--debug", "stats", "damaged"])
