"""Every verb that reads a dataset folder, on copies of a small built folder with one file damaged.

Each file is deleted, truncated, overwritten with garbage bytes, or replaced by a Parquet file
of a foreign schema or of the right columns with wrong types. Every verb (``validate``,
``stats``, ``export --to`` each format, ``features``, and ``recdata.load`` + collecting every
frame) must fail with exit code 1 (a data error), name the file, print no "internal error"
and no traceback.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import polars as pl
import pytest

import recdata
from recdata.cli import main
from recdata.cli.export import FORMATS
from recdata.errors import DatasetError

Damage = Callable[[Path], None]


def _delete(path: Path) -> None:
    path.unlink()


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _garbage(path: Path) -> None:
    size = path.stat().st_size  # same size: only the content can give it away
    path.write_bytes(bytes((i * 131 + 7) % 256 for i in range(size)))


def _foreign(path: Path) -> None:
    path.unlink()
    pl.DataFrame({"foo": ["x", "y"], "bar": [1, 2]}).write_parquet(path)


def _wrong_types(path: Path) -> None:
    if path.suffix != ".parquet":
        return _foreign(path)
    frame = pl.read_parquet(path)
    numeric = [c for c, t in frame.schema.items() if t.is_numeric()]
    path.unlink()
    frame.with_columns(pl.col(numeric).cast(pl.String)).write_parquet(path)


DAMAGES: dict[str, Damage] = {
    "deleted": _delete,
    "truncated": _truncate,
    "garbage": _garbage,
    "foreign_schema": _foreign,
    "wrong_types": _wrong_types,
}

FILES = [
    "manifest.json",
    "interactions.parquet",
    "items.parquet",
    "users.parquet",
    "splits/loo/train.parquet",
    "splits/loo/valid.parquet",
    "splits/loo/test.parquet",
    "features/item_text.parquet",
    "graphs/user_item.parquet",
    "graphs/item_item.parquet",
    "splits/loo/candidates-valid.parquet",
    "splits/loo/candidates-test.parquet",
]


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic folder built once: tables, a leave-one-out split, item texts, graphs
    and candidate lists."""
    folder = tmp_path_factory.mktemp("built") / "syn"
    home = tmp_path_factory.mktemp("home")
    old = os.environ.get("RECDATA_HOME")
    os.environ["RECDATA_HOME"] = str(home)
    try:
        assert main(["build", "synthetic", "--set", "size=2000", "-o", str(folder)]) == 0
        assert main(["candidates", str(folder), "-n", "5"]) == 0
    finally:
        if old is None:
            os.environ.pop("RECDATA_HOME", None)
        else:
            os.environ["RECDATA_HOME"] = old
    assert sorted(
        p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()
    ) == sorted([*FILES, "build.log", "README.md", "croissant.json"])
    return folder


def _verbs(folder: Path, out: Path) -> list[list[str]]:
    """Every CLI verb that reads a folder; ``candidates`` and ``features`` last, since they
    change the folder."""
    verbs = [["validate", str(folder)], ["stats", str(folder)]]
    verbs.append(["stats", str(folder), "--split", "loo"])
    # semantic-ids needs a folder with semantic IDs (this one has no embedding to make them from)
    formats = [f for f in FORMATS if f != "semantic-ids"]
    verbs += [["export", str(folder), "--to", f, "-o", str(out / f)] for f in formats]
    verbs.append(["report", str(folder), "-o", str(out / "report.html")])
    verbs.append(["candidates", str(folder), "-n", "5"])
    verbs.append(["features", str(folder), "--graphs"])
    return verbs


def _run(capsys: pytest.CaptureFixture[str], args: list[str]) -> tuple[int, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out + err


@pytest.mark.parametrize("damage", list(DAMAGES))
@pytest.mark.parametrize("rel", FILES)
def test_every_verb_names_the_damaged_file(
    built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], rel: str, damage: str
) -> None:
    folder = tmp_path / "syn"
    shutil.copytree(built, folder)
    DAMAGES[damage](folder / rel)
    for args in _verbs(folder, tmp_path / "out"):
        code, text = _run(capsys, args)
        where = f"{' '.join(args[:1])} on {rel} {damage}"
        assert code == 1, f"{where}: exit {code}: {text}"
        assert "internal error" not in text and "Traceback" not in text, f"{where}: {text}"
        assert rel in text, f"{where}: the message does not name {rel}: {text}"
    with pytest.raises(DatasetError) as info:
        dataset = recdata.load(folder)
        frames = [dataset.interactions, dataset.items, dataset.users]
        frames += [f for s in dataset.splits.values() for f in (s.train, s.valid, s.test)]
        frames += [*dataset.features.values(), *dataset.graphs.values()]
        for frame in frames:
            frame.collect()
    assert rel in str(info.value) and "\n" not in str(info.value)


def test_intact_copy_passes_every_verb(
    built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The reference: the undamaged folder passes every verb, so the failures above are the damage's."""
    folder = tmp_path / "syn"
    shutil.copytree(built, folder)
    for args in _verbs(folder, tmp_path / "out"):
        code, text = _run(capsys, args)
        assert code == 0, f"{args[0]}: {text}"


def _scribble_inside(path: Path) -> None:
    """Overwrite bytes in the middle of a file: same size, footer intact, pages damaged."""
    data = bytearray(path.read_bytes())
    middle = len(data) // 3
    data[middle : middle + 64] = bytes(range(64))
    data[4:68] = bytes(range(64, 128))  # the first data page too
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("rel", [r for r in FILES if r.endswith(".parquet")])
def test_damage_inside_a_file_is_reported_with_its_name(
    built: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], rel: str
) -> None:
    """Damage only a full read can find: a verb either reads through it or names the file."""
    folder = tmp_path / "syn"
    shutil.copytree(built, folder)
    _scribble_inside(folder / rel)
    for args in _verbs(folder, tmp_path / "out"):
        code, text = _run(capsys, args)
        where = f"{args[0]} on {rel}"
        assert "internal error" not in text and "Traceback" not in text, f"{where}: {text}"
        if args[0] == "validate":
            assert code == 1 and rel in text, f"{where}: {text}"  # its checksum differs
        else:
            assert code in (0, 1), f"{where}: exit {code}: {text}"
            if code == 1:
                assert rel in text, f"{where}: {text}"
