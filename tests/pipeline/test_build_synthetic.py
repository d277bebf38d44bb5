"""The pipeline end to end on the offline ``synthetic`` recipe and on users' own YAML recipes."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from recdata import schema as S
from recdata.dataset import Manifest, load
from recdata.errors import RecipeError, StatsMismatch, UsageError
from recdata.pipeline import build
from recdata.validation import validate

SMALL = ["size=3000", "n_users=150", "n_items=80"]


def test_synthetic_builds_offline_valid_and_deterministic(
    tmp_path: Path, home: Path, folder_bytes
) -> None:  # noqa: ANN001
    a = build("synthetic", out=tmp_path / "a", overrides=SMALL)
    b = build("synthetic", out=tmp_path / "b", overrides=SMALL)
    assert validate(a).ok, validate(a).violations
    assert folder_bytes(a) == folder_bytes(b)
    manifest = Manifest.read(a)
    assert manifest.recipe is not None and manifest.recipe["synthetic"]["size"] == 3000
    assert [s.name for s in manifest.steps] == ["dedup", "kcore"]
    assert manifest.steps[1].details["converged"] is True
    assert manifest.default_split == "loo"
    assert "graphs/user_item.parquet" in manifest.files
    assert "features/item_text.parquet" in manifest.files
    # statistics in the manifest agree with the files
    inter = pl.read_parquet(a / "interactions.parquet")
    assert manifest.statistics["stages"]["final"]["interactions"] == inter.height
    assert manifest.statistics["interactions"]["users"] == inter[S.USER].n_unique()
    assert "build.log" in {p.name for p in a.iterdir()}
    assert str(tmp_path) not in (a / "manifest.json").read_text()


def test_size_override_and_no_features(tmp_path: Path, home: Path) -> None:
    out = build("synthetic", out=tmp_path / "s", overrides=["size=2000", "seed=3"], features=False)
    m = Manifest.read(out)
    assert m.statistics["stages"]["raw"]["interactions"] == 2000
    assert m.recipe["synthetic"]["seed"] == 3
    assert not m.features and not m.graphs
    assert validate(out).ok


def test_expected_mismatch_fails_and_leaves_no_folder(tmp_path: Path, home: Path) -> None:
    bad = [*SMALL, "expected={raw: {interactions: 7}}"]
    with pytest.raises(StatsMismatch, match="raw: interactions expected 7, got 3,000"):
        build("synthetic", out=tmp_path / "x", overrides=bad, features=False)
    assert not (tmp_path / "x").exists()
    assert not any(p.name.startswith(".x") for p in tmp_path.iterdir())
    out = build(
        "synthetic", out=tmp_path / "x", overrides=[*bad, "check_stats=false"], features=False
    )
    assert any("interactions expected 7" in w for w in Manifest.read(out).warnings)
    out = build("synthetic", out=tmp_path / "y", overrides=bad, features=False, check_stats=False)
    assert out.is_dir()


def test_failing_graphs_after_the_interactions_are_written_leave_nothing(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch, folder_bytes
) -> None:  # noqa: ANN001
    """The interactions file is written before the graphs; a later failure still leaves no
    new folder, no temporary folder, and an existing folder (overwrite) untouched."""
    import recdata.features

    old = build("synthetic", out=tmp_path / "o", overrides=SMALL)
    before = folder_bytes(old)
    seen: list[list[str]] = []

    def broken(*args: object, **kwargs: object) -> None:
        seen.append(sorted(p.name for p in tmp_path.glob(".o.tmp-*/*")))
        raise RuntimeError("graphs failed")

    monkeypatch.setattr(recdata.features, "compute_features", broken)
    with pytest.raises(RuntimeError, match="graphs failed"):
        build("synthetic", out=tmp_path / "o", overrides=[*SMALL, "seed=1"], overwrite=True)
    assert seen and "interactions.parquet" in seen[0]  # written into the temporary folder
    assert folder_bytes(old) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "home") == ["o"]


def test_existing_folder_needs_overwrite(tmp_path: Path, home: Path) -> None:
    out = build("synthetic", out=tmp_path / "o", overrides=SMALL, features=False)
    with pytest.raises(UsageError, match="already exists"):
        build("synthetic", out=out, overrides=SMALL, features=False)
    build("synthetic", out=out, overrides=[*SMALL, "seed=1"], features=False, overwrite=True)
    assert Manifest.read(out).recipe["synthetic"]["seed"] == 1


def test_bad_override_names_the_key(tmp_path: Path, home: Path) -> None:
    with pytest.raises(RecipeError, match=r"steps\.1\.kcore\.user_k"):
        build("synthetic", out=tmp_path / "z", overrides=["steps.kcore.user_k=many"])


# --------------------------------------------------------------------------- a user's own recipe


def _user_recipe(folder: Path, rows: list[tuple[str, str, int, float]], steps: str) -> Path:
    (folder / "raw").mkdir(exist_ok=True)
    text = "".join(f"{u}\t{i}\t{t}\t{r}\n" for u, i, t, r in rows)
    (folder / "raw" / "events.tsv").write_text(text, encoding="utf8")
    recipe = folder / "mine.yaml"
    recipe.write_text(
        f"""
name: mine
family: custom
sources:
  - name: events
    manual: my own file
    filename: events.tsv
interactions:
  source: events
  format: tsv
  options: {{columns: [u, i, t, r], dtypes: {{u: str, i: str, t: int64, r: float64}}}}
  fields:
    user_id: u
    item_id: i
    timestamp: {{column: t, unit: s}}
    rating: r
steps: {steps}
splits:
  loo: leave_one_out
features: null
graphs: null
""",
        encoding="utf8",
    )
    return recipe


def _reference(rows: list[tuple[str, str, int, float]]) -> list[tuple[str, str, int, float]]:
    """dedup first (earliest time, then file order), then sequence order (user id, time, file order)."""
    seen: dict[tuple[str, str], tuple[int, int]] = {}
    for pos, (u, i, t, _r) in enumerate(rows):
        key = (u, i)
        if key not in seen or (t, pos) < seen[key]:
            seen[key] = (t, pos)
    kept = sorted({p for _, p in seen.values()})
    ordered = sorted(kept, key=lambda p: (rows[p][0], rows[p][2], p))
    return [rows[p] for p in ordered]


row = st.tuples(
    st.sampled_from(["a", "b", "c", "d"]),
    st.sampled_from(["x", "y", "z"]),
    st.integers(0, 4),
    st.sampled_from([1.0, 3.5, 5.0]),
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(row, min_size=1, max_size=25))
def test_user_recipe_matches_reference(
    tmp_path_factory: pytest.TempPathFactory, rows: list
) -> None:
    folder = tmp_path_factory.mktemp("user")
    recipe = _user_recipe(folder, rows, "[{dedup: {keep: first}}]")
    out = build(recipe, out=folder / "out", raw_dir=folder / "raw", home=folder / "home")
    data = load(out)
    got = (
        data.interactions.join(data.users.lazy(), on=S.USER)
        .join(data.items.lazy(), on=S.ITEM)
        .sort(S.INTERACTION)
        .select(S.USER_ID, S.ITEM_ID, pl.col(S.TIME).dt.epoch("s"), S.RATING)
        .collect()
        .rows()
    )
    assert got == [(u, i, t, r) for u, i, t, r in _reference(rows)]
    # raw-id index order: user_idx follows sorted user ids
    users = data.users.collect()
    assert users[S.USER_ID].to_list() == sorted(users[S.USER_ID].to_list())
    assert validate(out).ok


def test_user_recipe_errors_name_file_and_key(tmp_path: Path) -> None:
    recipe = _user_recipe(tmp_path, [("a", "x", 1, 1.0)], "[{kcore: {user_k: five}}]")
    with pytest.raises(RecipeError, match=r"mine\.yaml: steps\.0\.kcore\.user_k"):
        build(recipe, out=tmp_path / "o")
    recipe.write_text(recipe.read_text().replace("steps: [{kcore: {user_k: five}}]", "stepz: []"))
    with pytest.raises(RecipeError, match=r"stepz: unknown key"):
        build(recipe, out=tmp_path / "o")


def test_manifest_holds_resolved_recipe_and_hash(tmp_path: Path, home: Path) -> None:
    from recdata.recipe import recipe_hash, resolve

    out = build("synthetic", out=tmp_path / "m", overrides=SMALL, features=False)
    manifest = json.loads((out / "manifest.json").read_text())
    resolved = resolve("synthetic", SMALL)
    assert manifest["recipe_hash"] == recipe_hash(resolved)
    assert manifest["recipe"]["steps"][1] == {
        "name": None,
        "step": "kcore",
        "user_k": 5,
        "item_k": 5,
        "mode": "iterative",
        "max_rounds": None,
    }


def test_every_step_kind_runs(tmp_path: Path, home: Path) -> None:
    steps = (
        "steps=[{time_window: {start: 2016-01-01T00:00:00, end: 2017-06-01T00:00:00}},"
        " {sample_users: {fraction: 0.5, seed: 1}}, {filter_rating: {min_rating: 3}},"
        " {implicit_label: {threshold: 4}}, {dedup: {keep: last}},"
        " {activity_filter: {min_interactions: 3, max_interactions: 50}}]"
    )
    out = build("synthetic", out=tmp_path / "s", overrides=["size=5000", steps], features=False)
    assert validate(out).ok
    m = Manifest.read(out)
    assert [s.name for s in m.steps] == [
        "time_window",
        "sample_users",
        "filter_rating",
        "implicit_label",
        "dedup",
        "activity_filter",
    ]
    assert all(a.rows_after == b.rows_before for a, b in zip(m.steps, m.steps[1:], strict=False))
    inter = pl.read_parquet(out / "interactions.parquet")
    assert str(inter[S.TIME].min()) >= "2016-01-01" and str(inter[S.TIME].max()) < "2017-06-01"
    assert inter[S.RATING].min() >= 3
    assert (inter["label"] == (inter[S.RATING] >= 4).cast(pl.Int8)).all()
    per_user = inter.group_by(S.USER).len()["len"]
    assert per_user.min() >= 3 and per_user.max() <= 50
    assert inter.select(S.USER, S.ITEM).is_unique().all()


def test_rows_without_ids_are_dropped_and_reported(tmp_path: Path) -> None:
    recipe = _user_recipe(tmp_path, [("a", "x", 1, 1.0), ("b", "y", 2, 2.0)], "[]")
    (tmp_path / "raw" / "events.tsv").write_text(
        "a\tx\t1\t1.0\n\ty\t2\t2.0\nb\t\t3\t3.0\nb\ty\t4\t4.0\n"
    )
    out = build(recipe, out=tmp_path / "o", raw_dir=tmp_path / "raw", home=tmp_path / "home")
    m = Manifest.read(out)
    assert m.statistics["stages"]["raw"]["interactions"] == 2
    assert any("dropped 2 row(s) of events.tsv without a user or item id" in w for w in m.warnings)
    assert validate(out).ok
