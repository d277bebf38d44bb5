"""``recdata build`` and ``recdata fetch`` through the CLI (synthetic offline; ml-100k from --raw-dir)."""

from __future__ import annotations

from pathlib import Path

import pytest

from recdata.cli import main
from recdata.dataset import Manifest
from recdata.validation import validate


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECDATA_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("RECDATA_MIRROR", raising=False)


def test_build_synthetic_offline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = tmp_path / "syn"
    code, out, err = run(
        capsys, "build", "synthetic", "-o", str(out_dir), "--set", "size=4000", "--no-features"
    )
    assert code == 0, err
    assert validate(out_dir).ok
    assert "raw" in out and "final" in out and "split loo" in out and "4,000" in out
    manifest = Manifest.read(out_dir)
    assert manifest.recipe["synthetic"]["size"] == 4000 and not manifest.graphs
    # an existing folder is a usage error; --overwrite replaces it
    code, _, err = run(capsys, "build", "synthetic", "-o", str(out_dir), "--set", "size=4000")
    assert code == 2 and "already exists" in err
    code, _, err = run(
        capsys, "build", "synthetic", "-o", str(out_dir), "--set", "size=3000", "--overwrite"
    )
    assert code == 0, err
    assert Manifest.read(out_dir).recipe["synthetic"]["size"] == 3000
    assert Manifest.read(out_dir).graphs  # features and graphs on by default


def test_build_stats_mismatch_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        capsys,
        "build",
        "synthetic",
        "-o",
        str(tmp_path / "x"),
        "--no-features",
        "--set",
        "size=2000",
        "--set",
        "expected={final: {users: 1}}",
    )
    assert code == 1 and "final: users expected 1" in err and "check_stats=false" in err
    assert not (tmp_path / "x").exists()


def test_build_user_yaml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "events.csv").write_text("u,i,t\na,x,1\na,y,2\na,z,3\nb,x,1\nb,y,2\nb,z,2\n")
    recipe = tmp_path / "mine.yaml"
    recipe.write_text(
        "name: mine\nfamily: custom\n"
        "sources: [{name: events, manual: mine, filename: events.csv}]\n"
        "interactions: {source: events, format: csv, options: {has_header: true},\n"
        "  fields: {user_id: u, item_id: i, timestamp: {column: t, unit: s}}}\n"
        "splits: {loo: leave_one_out}\nfeatures: null\n"
    )
    out_dir = tmp_path / "mine"
    code, out, err = run(capsys, "build", str(recipe), "-o", str(out_dir), "--raw-dir", str(raw))
    assert code == 0, err
    assert validate(out_dir).ok
    assert "trust" in err or Manifest.read(out_dir).sources[0].trusted_on_first_use
    code, _, err = run(
        capsys, "build", str(recipe), "-o", str(tmp_path / "s"), "--raw-dir", str(raw), "--strict"
    )
    assert code == 1 and "strict" in err


@pytest.mark.shared
def test_fetch_and_build_ml100k_raw_dir(
    shared_datasets: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = shared_datasets / "ml-100k"
    code, out, err = run(capsys, "fetch", "ml-100k", "--raw-dir", str(raw))
    assert code == 0, err
    assert "archive" in out and "verified" in out
    out_dir = tmp_path / "ml"
    code, out, err = run(
        capsys, "build", "ml-100k", "--raw-dir", str(raw), "-o", str(out_dir), "--no-features"
    )
    assert code == 0, err
    assert "1,682" in out and "100,000" in out
    code, out, _ = run(capsys, "validate", str(out_dir))
    assert code == 0 and "ok" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("build", "ml-100kk"), "unknown recipe 'ml-100kk'; did you mean ml-100k"),
        (("info", "./no-such-recipe.yaml"), "no-such-recipe.yaml: no such recipe file"),
        (
            ("build", "synthetic", "--set", "steps.kcore.user_k=five"),
            "steps.1.kcore.user_k: Input should be a valid integer",
        ),
        (("build", "synthetic", "--set", "steps.nope.x=1"), "no entry 'nope' in this list"),
        (("build", "synthetic", "--set", "no-equals-sign"), "expected key=value"),
    ],
)
def test_recipe_usage_errors_exit_2_on_one_line(
    args: tuple[str, ...], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, *args, *(("-o", str(tmp_path / "x")) if args[0] == "build" else ()))
    assert code == 2
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_recipe_text_prints_as_written_not_as_markup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import yaml

    from recdata.recipe import resolve

    data = resolve("synthetic").resolved()
    data["name"] = "my-synthetic"
    data["description"] = "needs pip install 'recdata[embed]' and [bold]no markup[/bold]"
    path = tmp_path / "mine.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    code, out, err = run(capsys, "info", str(path))
    assert code == 0, err
    assert "pip install 'recdata[embed]'" in out and "[bold]no markup[/bold]" in out


def test_build_engine_options_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "build", "synthetic", "-o", str(tmp_path / "e"), "--engine", "duck")
    assert code == 2 and "duck" in err
    code, _, err = run(
        capsys,
        "build",
        "synthetic",
        "-o",
        str(tmp_path / "m"),
        "--spark-master",
        "local[2]",
        "--set",
        "size=2000",
    )
    assert code == 2 and "--engine spark" in err
    assert not (tmp_path / "e").exists() and not (tmp_path / "m").exists()
