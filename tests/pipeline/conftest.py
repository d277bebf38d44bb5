"""Fixtures of the pipeline tests: a static file server on 127.0.0.1 and folder comparison."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sources.sources_http import serve_folder


@pytest.fixture
def mirror_dir(tmp_path: Path) -> Path:
    """An empty folder served by :func:`mirror_url`; tests copy source files into it."""
    folder = tmp_path / "mirror"
    folder.mkdir()
    return folder


@pytest.fixture
def mirror_url(mirror_dir: Path) -> Iterator[str]:
    """``http://127.0.0.1:<port>`` serving ``mirror_dir`` (a real HTTP server in a thread)."""
    with serve_folder(mirror_dir) as url:
        yield url


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh RECDATA_HOME (download cache) per test; RECDATA_MIRROR unset."""
    folder = tmp_path / "home"
    monkeypatch.setenv("RECDATA_HOME", str(folder))
    monkeypatch.delenv("RECDATA_MIRROR", raising=False)
    return folder


def _folder_bytes(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "build.log"
    }


@pytest.fixture
def folder_bytes():  # noqa: ANN201
    """Relative path -> bytes of every file of a dataset folder but build.log (timings)."""
    return _folder_bytes
