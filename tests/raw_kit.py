"""Folders built by a real recipe from a few rows written in the publisher's format (--raw-dir)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from recdata.pipeline import build
from recdata.recipe import resolve


def offline_overrides(name: str) -> list[str]:
    """Overrides: no checksums, URLs or expected counts (the files come from --raw-dir only)."""
    out = ["expected={}"]
    for source in resolve(name).sources:
        out += [f"sources.{source.name}.{k}=null" for k in ("sha256", "md5", "size", "hf")]
        out += [
            f"sources.{source.name}.urls=[]",
            f"sources.{source.name}.filename={source.file_name}",
            f"sources.{source.name}.manual=test file in --raw-dir",
        ]
    return out


def write_text(path: Path, text: str) -> None:
    """Write ``text`` as UTF-8 bytes (no newline translation), making parent folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf8"))


def build_tiny(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    recipe: str,
    files: Mapping[str, str],
    **options: Any,
) -> Path:
    """Build ``recipe`` without features from ``files`` (name -> text) in ``tmp_path/raw`` into
    ``tmp_path/ds``, with RECDATA_HOME at ``tmp_path/home``."""
    monkeypatch.setenv("RECDATA_HOME", str(tmp_path / "home"))
    raw = tmp_path / "raw"
    raw.mkdir()
    for name, text in files.items():
        (raw / name).write_text(text)
    return build(recipe, out=tmp_path / "ds", raw_dir=raw, features=False, **options)
