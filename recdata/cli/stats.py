"""``recdata stats DIR``: statistics of a dataset folder or one of its splits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from recdata.cli._console import stdout


def _rows(stats: dict[str, Any]) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for key, value in stats.items():
        if isinstance(value, dict):
            value = " / ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value.values())
            key = f"{key} (min / median / mean / max)"
        elif isinstance(value, int):
            value = f"{value:,}"
        elif isinstance(value, float):
            value = f"{value:.6g}"
        rows.append((key, str(value)))
    return rows


def _coverage_table(name: str, coverage: dict[str, Any]) -> Any:
    """Per table and field: coverage, then min / median / p95 / max length."""
    from rich.table import Table

    table = Table(title=f"{name}: metadata coverage")
    for column in ("table", "field", "coverage", "length (min / median / p95 / max)"):
        table.add_column(column, justify="right" if column != "field" else "left")
    for kind, cov in coverage.items():
        for field, entry in cov.get("fields", {}).items():
            length = entry.get("length")
            lengths = (
                " / ".join(str(length.get(k)) for k in ("min", "median", "p95", "max"))
                if length
                else ""
            )
            table.add_row(kind, field, f"{entry['coverage']:.1%}", lengths)
        if "duplicate_titles" in cov:
            table.add_row(kind, "duplicated titles", f"{cov['duplicate_titles']:,}", "")
    return table


@click.command(name="stats")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--split", "split", default=None, help="Statistics of each part of this split protocol."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def command(folder: Path, split: str | None, as_json: bool) -> None:
    """Statistics of dataset folder FOLDER (or of one split with --split)."""
    from rich.table import Table

    from recdata.statistics import stats

    result = stats(folder, split=split)
    if as_json:
        click.echo(json.dumps(result, indent=2, sort_keys=True))
        return
    if split is None:
        coverage = result.pop("coverage", {})
        table = Table(title=f"{folder.name}: interactions")
        table.add_column("statistic")
        table.add_column("value", justify="right")
        for key, value in _rows(result):
            table.add_row(key, value)
        stdout.print(table)
        table = _coverage_table(folder.name, coverage)
    else:
        table = Table(title=f"{folder.name}: split {split}")
        table.add_column("statistic")
        for part in result:
            table.add_column(part, justify="right")
        columns = [dict(_rows(result[part])) for part in result]
        for key in columns[0]:
            table.add_row(key, *(c.get(key, "") for c in columns))
    stdout.print(table)
