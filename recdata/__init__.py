"""recdata: clean, reproducible, trainer-ready recommender-system datasets.

Every CLI verb is a function here; heavy modules are imported on first use so that
``import recdata`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> (module, attribute)
_LAZY: dict[str, tuple[str, str]] = {
    "load": ("recdata.dataset", "load"),
    "Dataset": ("recdata.dataset", "Dataset"),
    "Manifest": ("recdata.dataset", "Manifest"),
    "validate": ("recdata.validation", "validate"),
    "stats": ("recdata.statistics", "stats"),
    "build": ("recdata.pipeline", "build"),
    "fetch": ("recdata.pipeline", "fetch"),
    "export": ("recdata.exporters", "export"),
    "to_hf": ("recdata.exporters", "to_hf"),
    "add_features": ("recdata.features", "add_features"),
    "add_semantic_ids": ("recdata.semantic_ids", "add_semantic_ids"),
    "add_candidates": ("recdata.candidates", "add_candidates"),
    "report": ("recdata.reports", "report"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module_name, attribute = _LAZY[name]
        value = getattr(importlib.import_module(module_name), attribute)
        globals()[name] = value
        return value
    # subpackages (recdata.transforms, recdata.splits, ...) import as usual
    try:
        return importlib.import_module(f"recdata.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"recdata.{name}":
            raise
        raise AttributeError(f"module 'recdata' has no attribute {name!r}") from None


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
