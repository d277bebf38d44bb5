"""``--overwrite`` through the CLI: every refusal of the rule is exit 2, one line, nothing touched."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from recdata.dataset import Manifest
from recdata.exporters import export
from recdata.pipeline import build
from recdata.validation import validate
from tests.safety.conftest import raw_dir, recipe_file, run_cli, tree_hashes, user_files

SMALL = ["--set", "size=600", "--set", "n_users=40", "--set", "n_items=30", "--no-features"]


def _small(out: Path) -> Path:
    """The library build of what ``SMALL`` asks the CLI for: a small synthetic folder at ``out``."""
    return build(
        "synthetic", out=out, overrides=["size=600", "n_users=40", "n_items=30"], features=False
    )


def _refused(result: SimpleNamespace, *words: str) -> None:
    assert result.code == 2, (result.code, result.err)
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.err
    assert "internal error" not in result.err and "Traceback" not in result.err
    for word in words:
        assert word in lines[0], lines[0]


def test_out_is_the_raw_dir(tmp_path: Path) -> None:
    recipe = recipe_file(tmp_path / "recipes")
    raw = raw_dir(tmp_path / "R")
    before = tree_hashes(raw)
    result = run_cli("build", str(recipe), "--raw-dir", str(raw), "-o", str(raw), "--overwrite")
    _refused(result, "--raw-dir")
    assert tree_hashes(raw) == before


def test_out_contains_the_raw_dir(tmp_path: Path) -> None:
    recipe = recipe_file(tmp_path / "recipes")
    top = tmp_path / "D"
    raw = raw_dir(top / "ml")
    user_files(top / "sibling")
    before = tree_hashes(top)
    result = run_cli("build", str(recipe), "--raw-dir", str(raw), "-o", str(top), "--overwrite")
    _refused(result, "--raw-dir")
    assert tree_hashes(top) == before


def test_out_is_the_current_directory(env: SimpleNamespace) -> None:
    user_files(env.cwd)
    before = tree_hashes(env.cwd)
    result = run_cli("build", "synthetic", "-o", ".", *SMALL, "--overwrite")
    _refused(result, "current directory")
    assert tree_hashes(env.cwd) == before


def test_out_holding_only_a_notes_file(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf8")
    result = run_cli("build", "synthetic", "-o", str(out), *SMALL, "--overwrite")
    _refused(result, "notes.txt")
    assert tree_hashes(out) == {"notes.txt": tree_hashes(out)["notes.txt"]}
    assert (out / "notes.txt").read_text(encoding="utf8") == "keep me"


def test_export_onto_its_own_source(tmp_path: Path) -> None:
    src = _small(tmp_path / "X")
    before = tree_hashes(src)
    result = run_cli("export", str(src), "--to", "recbole", "-o", str(src), "--overwrite")
    _refused(result, "source")
    assert tree_hashes(src) == before
    assert validate(src).ok


def test_export_inside_its_source(tmp_path: Path) -> None:
    src = _small(tmp_path / "X")
    inner = export(tmp_path / "X", to="sasrec", out=tmp_path / "elsewhere")
    (src / "rb").mkdir()  # an empty folder inside the source: still never replaced
    before = tree_hashes(src)
    result = run_cli("export", str(src), "--to", "recbole", "-o", str(src / "rb"), "--overwrite")
    _refused(result, "source")
    assert tree_hashes(src) == before and inner.is_dir()


def test_out_is_the_home_directory(env: SimpleNamespace) -> None:
    user_files(env.home)
    before = tree_hashes(env.home)
    result = run_cli("build", "synthetic", "-o", str(env.home), *SMALL, "--overwrite")
    _refused(result, "home directory")
    assert tree_hashes(env.home) == before


def test_out_inside_the_cache(env: SimpleNamespace) -> None:
    # the cache gets a recdata-written folder: still refused, the cache is never written into
    folder = _small(env.cache / "x")
    before = tree_hashes(env.cache)
    result = run_cli("build", "synthetic", "-o", str(folder), *SMALL, "--overwrite")
    _refused(result, "cache")
    assert tree_hashes(env.cache) == before


def test_symlink_and_dotdot_to_the_raw_dir_are_resolved(tmp_path: Path) -> None:
    recipe = recipe_file(tmp_path / "recipes")
    raw = raw_dir(tmp_path / "R")
    (tmp_path / "link").symlink_to(raw, target_is_directory=True)
    before = tree_hashes(raw)
    for out in (tmp_path / "link", tmp_path / "recipes" / ".." / "R"):
        result = run_cli("build", str(recipe), "--raw-dir", str(raw), "-o", str(out), "--overwrite")
        _refused(result, "--raw-dir")
    assert tree_hashes(raw) == before


def test_a_recdata_folder_is_still_replaced(tmp_path: Path) -> None:
    out = tmp_path / "syn"
    first = run_cli("build", "synthetic", "-o", str(out), *SMALL)
    assert first.code == 0, first.err
    (out / "report.html").write_text(
        "<html></html>", encoding="utf8"
    )  # allowed beside the manifest
    again = run_cli(
        "build",
        "synthetic",
        "-o",
        str(out),
        *SMALL[:-1],
        "--set",
        "seed=5",
        "--no-features",
        "--overwrite",
    )
    assert again.code == 0, again.err
    assert Manifest.read(out).recipe["synthetic"]["seed"] == 5 and validate(out).ok
    assert not (out / "report.html").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_an_export_folder_is_still_replaced(tmp_path: Path) -> None:
    src = _small(tmp_path / "X")
    out = tmp_path / "rb"
    assert run_cli("export", str(src), "--to", "recbole", "-o", str(out)).code == 0
    again = run_cli("export", str(src), "--to", "sasrec", "-o", str(out), "--overwrite")
    assert again.code == 0, again.err
    assert '"format": "sasrec"' in (out / "recdata-export.json").read_text(encoding="utf8")


def test_the_default_out_stays_allowed(env: SimpleNamespace) -> None:
    first = run_cli("build", "synthetic", *SMALL)
    assert first.code == 0, first.err
    again = run_cli("build", "synthetic", *SMALL, "--overwrite")
    assert again.code == 0, again.err
    assert validate(env.cwd / "synthetic").ok


def test_help_states_the_rule() -> None:
    for verb in ("build", "export"):
        text = " ".join(run_cli(verb, "--help").out.split())
        assert "--overwrite" in text and "recdata wrote" in text, text


# --------------------------------------------------------------------------- the script


def test_every_overwrite_case_leaves_every_user_file_intact(
    tmp_path: Path, env: SimpleNamespace
) -> None:
    """Try each overwrite case of issue 12 in one sandbox; every user file survives byte for byte."""
    recipe = recipe_file(tmp_path / "recipes")
    raw = raw_dir(tmp_path / "R")
    raw_d = raw_dir(tmp_path / "D" / "ml-100k")
    user_files(tmp_path / "D" / "sibling")
    user_files(env.cwd)
    user_files(env.home)
    notes = tmp_path / "notes-only"
    notes.mkdir()
    (notes / "notes.txt").write_text("only this", encoding="utf8")
    src = _small(tmp_path / "X")
    edited = _small(tmp_path / "edited")
    (edited / "my-plot.png").write_bytes(b"\x89PNG...")  # a user's file inside a recdata folder
    cases = [
        ("build", str(recipe), "--raw-dir", str(raw), "-o", str(raw)),
        ("build", str(recipe), "--raw-dir", str(raw_d), "-o", str(tmp_path / "D")),
        ("build", "synthetic", "-o", ".", *SMALL),
        ("build", "synthetic", "-o", str(env.cwd), *SMALL),
        ("build", "synthetic", "-o", str(env.home), *SMALL),
        ("build", "synthetic", "-o", "/", *SMALL),
        ("build", "synthetic", "-o", str(notes), *SMALL),
        ("build", "synthetic", "-o", str(edited), *SMALL),
        ("build", "synthetic", "-o", str(tmp_path), *SMALL),
        ("export", str(src), "--to", "recbole", "-o", str(src)),
        ("export", str(src), "--to", "recbole", "-o", str(tmp_path)),
        ("build", str(recipe), "--raw-dir", str(raw), "-o", str(tmp_path / "R" / ".." / "R")),
    ]
    before = tree_hashes(tmp_path)
    for args in cases:
        result = run_cli(*args, "--overwrite")
        assert result.code == 2, (args, result.code, result.err)
        after = tree_hashes(tmp_path)
        lost = {rel for rel in before if after.get(rel) != before[rel]}
        assert not lost, (args, sorted(lost)[:5])
    # the library API follows the same rule
    from recdata.errors import UsageError

    for call in (
        lambda: build(recipe, raw_dir=raw, out=raw, overwrite=True),
        lambda: build("synthetic", out=notes, overwrite=True, features=False),
        lambda: export(src, to="recbole", out=src, overwrite=True),
    ):
        try:
            call()
        except UsageError:
            pass
        else:  # pragma: no cover - the failure being tested
            raise AssertionError("overwrite was not refused")
    assert tree_hashes(tmp_path) == before


def test_an_out_under_a_file_is_a_usage_error(env: SimpleNamespace) -> None:
    (env.cwd / "notes.txt").write_text("mine", encoding="utf8")
    result = run_cli("build", "synthetic", "-o", "notes.txt/syn", *SMALL)
    _refused(result, "notes.txt")
    assert (env.cwd / "notes.txt").read_text(encoding="utf8") == "mine"


def test_features_refuse_a_dataset_folder_holding_a_user_file(tmp_path: Path) -> None:
    folder = _small(tmp_path / "d")
    (folder / "notes.txt").write_text("mine", encoding="utf8")
    before = tree_hashes(folder)
    result = run_cli("features", str(folder), "--graphs")
    _refused(result, "notes.txt")
    assert tree_hashes(folder) == before
