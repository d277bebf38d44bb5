"""Options shared by the commands that resolve a recipe."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click


def recipe_overrides(text: str = "Override a recipe key (repeatable).") -> Callable[[Any], Any]:
    """``--set KEY=VALUE`` (repeatable) into the ``overrides`` parameter."""
    return click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help=text)
