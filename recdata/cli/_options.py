"""Options shared by the commands that resolve a recipe or fetch its sources."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click


def recipe_overrides(text: str = "Override a recipe key (repeatable).") -> Callable[[Any], Any]:
    """``--set KEY=VALUE`` (repeatable) into the ``overrides`` parameter."""
    return click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help=text)


def source_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``--raw-dir``, ``--mirror`` and ``--strict``: where sources come from and how strictly
    they are verified (``build`` and ``fetch``)."""
    options = [
        click.option(
            "--raw-dir",
            type=click.Path(file_okay=False, path_type=Path),
            default=None,
            help="Folder of source files you already have (each is verified by its checksum).",
        ),
        click.option(
            "--mirror",
            default=None,
            help="Base URL or folder tried first (default: $RECDATA_MIRROR).",
        ),
        click.option("--strict", is_flag=True, help="Refuse sources without a published checksum."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn
