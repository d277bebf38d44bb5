"""`recdata features` tells the user what it did: once per warning, and also when nothing changed."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from factory import make_small_dataset

from recdata.cli import main
from recdata.dataset import Manifest
from recdata.errors import MissingExtra

EMBED_PIP = "pip install torch==2.13.0 'recdata[embed]'"


@pytest.fixture
def no_embed_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make sentence-transformers and torch look uninstalled (as ensure_embed_extra checks)."""
    real = importlib.util.find_spec

    def find_spec(name: str, *args: object, **kwargs: object):  # noqa: ANN202
        if name in ("sentence_transformers", "torch"):
            return None
        return real(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


def test_the_embed_install_hint_is_the_readme_command() -> None:
    from recdata.errors import EMBED_INSTALL

    assert EMBED_INSTALL == EMBED_PIP
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf8")
    assert f"`{EMBED_PIP}`" in readme
    assert EMBED_PIP in str(MissingExtra("torch", "embed", "text embeddings"))
    # other extras keep the plain form
    assert "pip install 'recdata[hf]'" in str(MissingExtra("datasets", "hf", "to_hf"))


def test_missing_embed_extra_warns_once_with_the_exact_command(
    no_embed_extra: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = make_small_dataset(tmp_path / "small")
    assert main(["features", str(folder), "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert err.count("text embeddings skipped") == 1, err
    assert EMBED_PIP in err.replace("\n", " ")
    assert f"text embeddings skipped: {EMBED_PIP}" in Manifest.read(folder).warnings
    # asking for the embedding explicitly is an error naming the same command
    assert main(["features", str(folder), "--text", "all-MiniLM-L6-v2"]) == 1
    assert EMBED_PIP in capsys.readouterr().err.replace("\n", " ")


def test_build_without_embed_extra_warns_once(
    no_embed_extra: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "syn"
    args = ["build", "synthetic", "-o", str(out), "--set", "size=2000"]
    assert main([*args, "--set", "features.text={model: all-MiniLM-L6-v2}"]) == 0
    err = capsys.readouterr().err
    assert err.count("text embeddings skipped") == 1, err
    assert EMBED_PIP in err.replace("\n", " ")


def test_features_says_so_when_it_has_nothing_to_add(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = make_small_dataset(tmp_path / "small")
    assert main(["features", str(folder), "--graphs"]) == 0
    first = capsys.readouterr().err
    assert "added graphs/item_item.parquet" in first
    assert "nothing to add" not in first
    assert main(["features", str(folder), "--graphs"]) == 0
    again = capsys.readouterr().err
    assert again.strip(), "a run that changed nothing printed nothing"
    assert f"nothing to add: {folder.name} is unchanged" in again
    assert "graphs/item_item.parquet" in again and "graphs/user_item.parquet" in again
