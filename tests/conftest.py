"""Shared pytest fixtures: the real datasets beside the repo, skipped cleanly when absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# No test touches the internet: the Hugging Face clients read these once, at import, so they are
# set here, before any test module imports them. Tests that talk to a local stand-in Hub on
# 127.0.0.1 switch them off for themselves.
for _flag in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
    os.environ[_flag] = "1"

SHARED_DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    """The folder ``../shared/datasets`` (real public data); skips the test when it is absent."""
    if not SHARED_DATASETS.is_dir():
        pytest.skip("../shared/datasets is absent (a user's clone); real-data tests skipped")
    return SHARED_DATASETS
