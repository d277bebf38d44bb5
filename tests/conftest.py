"""Shared pytest fixtures: the real datasets beside the repo, skipped cleanly when absent."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


@pytest.fixture(scope="session")
def shared_datasets() -> Path:
    """The folder ``../shared/datasets`` (real public data); skips the test when it is absent."""
    if not SHARED_DATASETS.is_dir():
        pytest.skip("../shared/datasets is absent (a user's clone); real-data tests skipped")
    return SHARED_DATASETS
