"""Item texts, text and image embeddings, and the feature/graph step of a build.

Importing this package does not import torch or sentence-transformers: models load on first
use, and a missing ``embed`` extra only skips embeddings with a warning.
"""

import sys
import types
from pathlib import Path
from typing import Any

from recdata.features._add import add_features
from recdata.features._cache import EmbeddingCache, recdata_home
from recdata.features._compute import FeatureOutputs, compute_features
from recdata.features._embed import EmbedResult, embed_texts
from recdata.features._image import embed_images
from recdata.features._models import ModelRef, model_key, resolve_model
from recdata.features._spec import (
    DEFAULT_IMAGE_MODEL,
    DEFAULT_TEMPLATE,
    DEFAULT_TEXT_MODEL,
    CoocSpec,
    FeaturesSpec,
    GraphsSpec,
    ImageSpec,
    KnnSpec,
    TextSpec,
    UserItemSpec,
)
from recdata.features._text import render_item_text, template_fields

__all__ = [
    "DEFAULT_IMAGE_MODEL",
    "DEFAULT_TEMPLATE",
    "DEFAULT_TEXT_MODEL",
    "CoocSpec",
    "EmbedResult",
    "EmbeddingCache",
    "FeatureOutputs",
    "FeaturesSpec",
    "GraphsSpec",
    "ImageSpec",
    "KnnSpec",
    "ModelRef",
    "TextSpec",
    "UserItemSpec",
    "add_features",
    "compute_features",
    "embed_images",
    "embed_texts",
    "model_key",
    "recdata_home",
    "render_item_text",
    "resolve_model",
    "template_fields",
]


class _CallableModule(types.ModuleType):
    """``recdata.features(DIR, ...)`` is the library form of the CLI verb (DESIGN.md section 1),
    and ``recdata.features`` is also this package: calling the package calls :func:`add_features`,
    so both work whatever was imported first."""

    def __call__(self, *args: Any, **kwargs: Any) -> Path:
        return add_features(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
