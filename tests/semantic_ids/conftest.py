"""Fixtures of the semantic-ID tests: a folder with a seeded clustered embedding."""

from __future__ import annotations

from pathlib import Path

import pytest
from sid_factory import make_folder


@pytest.fixture
def seeded_folder(tmp_path: Path) -> Path:
    return make_folder(tmp_path / "seeded")
