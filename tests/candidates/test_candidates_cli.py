"""``recdata candidates``: output, exit codes, and the recipe key ``candidates:`` in ``recdata build``."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from candidate_kit import loo_folder

import recdata
from recdata.cli import main
from recdata.errors import RecipeError
from recdata.recipe import recipe_hash, resolve


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    history = {u: [(u * 3 + k) % 20 + 1 for k in range(6)] for u in range(1, 9)}
    return loo_folder(tmp_path / "f", history, n_items=20)


def test_cli_adds_then_replaces(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "candidates", str(folder), "-n", "5", "--seed", "3")
    assert code == 0, err
    assert "added: splits/loo/candidates-test.parquet (8 rows" in err
    assert "sampler=uniform n=5 seed=3 exclude=all" in err
    record = recdata.load(folder).manifest.candidates["loo"]
    assert (record.n, record.seed) == (5, 3)
    code, _, err = run(
        capsys,
        "candidates",
        str(folder),
        "--sampler",
        "popularity",
        "--alpha",
        "0.5",
        "--exclude",
        "train",
    )
    assert code == 0, err
    assert "replacing the candidates of split loo" in err
    assert "replaced: splits/loo/candidates-valid.parquet" in err and "alpha=0.5" in err
    code, _, err = run(capsys, "candidates", str(folder), "--sampler", "all", "--protocol", "all")
    assert code == 0 and "loo/test: full ranking, no file" in err
    code, out, _ = run(capsys, "validate", str(folder))
    assert code == 0 and "ok" in out


def test_cli_exit_codes(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "candidates", str(folder), "--protocol", "nope")
    assert code == 2 and "no split 'nope'" in err and "Traceback" not in err
    code, _, err = run(capsys, "candidates", str(folder), "-n", "0")
    assert code == 2
    code, _, err = run(capsys, "candidates", str(folder), "--sampler", "bogus")
    assert code == 2
    code, _, err = run(capsys, "candidates", str(folder), "--sampler", "impressions")
    assert code == 1 and "has no impressions column" in err and "Traceback" not in err
    code, _, err = run(capsys, "candidates", str(folder.parent / "missing"))
    assert code == 2


def _recipe(tmp_path: Path, candidates: dict | None) -> Path:
    data = resolve("synthetic", ["size=4000"]).resolved()
    data["features"] = None
    data["graphs"] = None
    if candidates is not None:
        data["candidates"] = candidates
    path = tmp_path / f"recipe-{len(list(tmp_path.glob('recipe-*')))}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def test_build_with_the_recipe_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECDATA_HOME", str(tmp_path / "home"))
    recipe = _recipe(tmp_path, {"sampler": "popularity", "n": 15, "seed": 7, "protocols": ["loo"]})
    a = recdata.build(recipe, out=tmp_path / "a")
    b = recdata.build(recipe, out=tmp_path / "b")
    record = recdata.load(a).manifest.candidates["loo"]
    assert (record.sampler, record.n, record.seed, record.alpha) == ("popularity", 15, 7, 1.0)
    for rel in (
        "splits/loo/candidates-test.parquet",
        "splits/loo/candidates-valid.parquet",
        "manifest.json",
    ):
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
    assert recdata.validate(a).ok
    # the verb on a folder built without the key gives the same lists
    c = recdata.build(_recipe(tmp_path, None), out=tmp_path / "c")
    recdata.add_candidates(c, sampler="popularity", n=15, seed=7)
    for rel in ("splits/loo/candidates-test.parquet", "splits/loo/candidates-valid.parquet"):
        assert (a / rel).read_bytes() == (c / rel).read_bytes(), rel


def test_recipe_key_is_off_unless_set_and_keeps_hashes() -> None:
    recipe = resolve("synthetic")
    assert recipe.candidates is None and "candidates" not in recipe.resolved()
    with_key = recipe.model_copy(update={"candidates": recdata.candidates.CandidatesSpec(n=5)})
    assert recipe_hash(with_key) != recipe_hash(recipe)
    assert with_key.resolved()["candidates"]["n"] == 5


def test_recipe_key_names_unknown_protocols(tmp_path: Path) -> None:
    with pytest.raises(RecipeError, match="not splits of the recipe"):
        resolve(_recipe(tmp_path, {"protocols": ["nope"]}))
    with pytest.raises(RecipeError):
        resolve(_recipe(tmp_path, {"sampler": "nope"}))


def test_set_turns_the_key_on() -> None:
    recipe = resolve("synthetic", ["candidates={sampler: popularity, n: 5, alpha: 0.5}"])
    assert recipe.candidates is not None
    assert (recipe.candidates.sampler, recipe.candidates.n, recipe.candidates.alpha) == (
        "popularity",
        5,
        0.5,
    )
    assert resolve("synthetic", ["size=1000"]).candidates is None
