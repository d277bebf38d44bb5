"""``recdata export DIR --to FORMAT -o OUT``: write a dataset folder in a trainer's format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import yaml

from recdata.cli._console import stdout
from recdata.errors import UsageError

FORMATS = (
    "recbole",
    "sasrec",
    "amazon2023",
    "graph",
    "hf",
    "prompts",
    "srgnn",
    "rechorus",
    "elliot",
    "ncf",
    "semantic-ids",
)


def _parse_sets(pairs: tuple[str, ...]) -> dict[str, Any]:
    """``key=value`` pairs; values read as YAML scalars/lists (``20``, ``true``, ``[train,test]``)."""
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"--set expects key=value, got {pair!r}")
        try:
            options[key.strip()] = yaml.safe_load(value) if value != "" else None
        except yaml.YAMLError as exc:
            raise UsageError(f"--set {key}: cannot read value {value!r}: {exc}") from exc
    return options


@click.command(name="export")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--to", "to", required=True, type=click.Choice(FORMATS), help="Target format.")
@click.option(
    "-o", "--out", "out", required=True, type=click.Path(path_type=Path), help="Output folder."
)
@click.option(
    "--split", "split", default=None, help="Split protocol (default: the folder's default)."
)
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="KEY=VALUE",
    help="An exporter option, e.g. --set history_cap=50 --set template=candidates.",
)
@click.option(
    "--augment/--no-augment",
    "augment",
    default=None,
    help="srgnn: one line per (prefix, target) pair (default) or per whole session.",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace OUT if it is empty or recdata wrote it and it holds no other file; never "
    "FOLDER itself, nor the current or home folder (see docs/overwrite.md).",
)
def command(
    folder: Path,
    to: str,
    out: Path,
    split: str | None,
    sets: tuple[str, ...],
    augment: bool | None,
    overwrite: bool,
) -> None:
    """Write dataset folder FOLDER in format --to into folder -o OUT."""
    from recdata.exporters import export

    options = _parse_sets(sets)
    if augment is not None:
        if to != "srgnn":
            raise UsageError(f"--augment/--no-augment apply to --to srgnn only, not {to}")
        options["augment"] = augment
    result = export(folder, to=to, out=out, split=split, overwrite=overwrite, **options)
    stdout.print(f"exported {folder.name} to {result} ({to})")
