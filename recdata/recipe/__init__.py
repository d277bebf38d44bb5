"""Recipes: pydantic models, YAML loading, families and aliases, ``--set`` overrides, resolution.

See README.md, "Recipes and the catalog", for the format.
"""

from recdata.recipe._catalog import (
    CatalogEntry,
    all_recipes,
    catalog,
    expand,
    load_data,
    names,
    recipe_hash,
    resolve,
    slugify,
    validate_recipe,
)
from recdata.recipe._model import ExpectedCounts, IndexSpec, Recipe, SyntheticSpec
from recdata.recipe._overrides import apply_overrides, parse_override, set_path
from recdata.recipe._splits import (
    ColdStartSplit,
    GlobalTemporalSplit,
    LeaveOneOutSplit,
    RatioSplit,
    SplitSpec,
)
from recdata.recipe._steps import (
    STEP_KINDS,
    ActivityFilterStep,
    DedupStep,
    FilterRatingStep,
    ImplicitLabelStep,
    KcoreStep,
    SampleUsersStep,
    Step,
    TimeWindowStep,
)

__all__ = [
    "STEP_KINDS",
    "ActivityFilterStep",
    "CatalogEntry",
    "ColdStartSplit",
    "DedupStep",
    "ExpectedCounts",
    "FilterRatingStep",
    "GlobalTemporalSplit",
    "ImplicitLabelStep",
    "IndexSpec",
    "KcoreStep",
    "LeaveOneOutSplit",
    "RatioSplit",
    "Recipe",
    "SampleUsersStep",
    "SplitSpec",
    "Step",
    "SyntheticSpec",
    "TimeWindowStep",
    "all_recipes",
    "apply_overrides",
    "catalog",
    "expand",
    "load_data",
    "names",
    "parse_override",
    "recipe_hash",
    "resolve",
    "set_path",
    "slugify",
    "validate_recipe",
]
