"""The top-level names are the verbs as functions, whatever submodules were imported before."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys

import pytest

import recdata

VERBS = ["load", "validate", "stats", "build", "fetch", "export", "to_hf", "add_features"]


@pytest.mark.parametrize("name", VERBS)
def test_verb_is_a_function_after_every_submodule_import(name: str) -> None:
    for module in (
        "recdata.validation",
        "recdata.statistics",
        "recdata.pipeline",
        "recdata.exporters",
        "recdata.dataset",
        "recdata.cli.validate",
        "recdata.cli.stats",
        "recdata.cli.build",
    ):
        importlib.import_module(module)
    assert inspect.isfunction(getattr(recdata, name)), (
        f"recdata.{name} is {getattr(recdata, name)!r}"
    )


def test_import_recdata_is_light() -> None:
    code = "import sys, recdata; print(sorted(m for m in ('polars', 'torch', 'pyarrow') if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
