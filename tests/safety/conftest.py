"""Fixtures of the overwrite-safety tests: an isolated HOME/cache, a user's tree, a CLI runner."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from types import SimpleNamespace

import click
import pytest
from click.testing import CliRunner

from recdata.cli import main

EVENTS = "".join(
    f"u{u}\ti{(u * 7 + k) % 11}\t{1000 + 10 * k}\t{1 + k % 5}.0\n"
    for u in range(6)
    for k in range(5)
)

RECIPE = """
name: mine
family: custom
sources:
  - name: events
    manual: my own file
    filename: events.tsv
interactions:
  source: events
  format: tsv
  options: {columns: [u, i, t, r], dtypes: {u: str, i: str, t: int64, r: float64}}
  fields:
    user_id: u
    item_id: i
    timestamp: {column: t, unit: s}
    rating: r
steps: []
splits:
  loo: leave_one_out
features: null
graphs: null
"""


def tree_hashes(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under ``root`` (symlinks by their target text)."""
    out: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            out[rel] = "link:" + str(path.readlink())
        elif path.is_file():
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def user_files(folder: Path) -> Path:
    """Put a few files a user owns into ``folder`` (made if missing) and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "notes.txt").write_text("my notes\n", encoding="utf8")
    (folder / "work").mkdir(exist_ok=True)
    (folder / "work" / "thesis.tex").write_text("\\section{Results}\n", encoding="utf8")
    (folder / "work" / "data.bin").write_bytes(bytes(range(256)) * 4)
    return folder


def raw_dir(folder: Path) -> Path:
    """A folder holding the raw file of the ``mine`` recipe (the user's own data)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "events.tsv").write_text(EVENTS, encoding="utf8")
    return folder


def recipe_file(folder: Path) -> Path:
    """The ``mine`` recipe: one local TSV source, no features, a leave-one-out split."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "mine.yaml"
    path.write_text(RECIPE, encoding="utf8")
    return path


@click.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def _entry(args: tuple[str, ...]) -> None:
    """The installed ``recdata`` script: ``main`` maps errors to exit codes."""
    sys.exit(main(list(args)))


def run_cli(*args: str) -> SimpleNamespace:
    """Run ``recdata ARGS`` through click's CliRunner; exit code, stdout and stderr."""
    result = CliRunner().invoke(_entry, list(args), catch_exceptions=False)
    return SimpleNamespace(code=result.exit_code, out=result.stdout, err=result.stderr)


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    """HOME, RECDATA_HOME and the cwd inside ``tmp_path``; no mirror."""
    home = tmp_path / "userhome"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("RECDATA_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("RECDATA_MIRROR", raising=False)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    return SimpleNamespace(home=home, cache=tmp_path / "cache", cwd=work)


@pytest.fixture
def env(_isolated: SimpleNamespace) -> SimpleNamespace:
    """The isolated HOME, cache and cwd of this test."""
    return _isolated
