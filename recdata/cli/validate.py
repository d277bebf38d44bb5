"""``recdata validate DIR``: check a folder against the schema; exit 1 on any violation."""

from __future__ import annotations

from pathlib import Path

import click

from recdata.cli._console import labelled, stdout
from recdata.errors import ValidationFailed


@click.command(name="validate")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def command(folder: Path, as_json: bool) -> None:
    """Check dataset folder FOLDER against the schema and its invariants."""
    from rich.table import Table

    from recdata.validation import validate

    report = validate(folder)
    if as_json:
        click.echo(report.to_json())
    elif report.ok:
        stdout.print(labelled("ok", "green", f"{folder} obeys the recdata dataset contract"))
    else:
        table = Table(title=f"{len(report.violations)} violation(s) in {folder}")
        for name in ("check", "file", "column", "count"):  # kept whole: a file name never wraps
            table.add_column(name, no_wrap=True)
        for name in ("message", "examples"):
            table.add_column(name, overflow="fold")
        for v in report.violations:
            examples = "; ".join(str(e) for e in v.examples)
            table.add_row(v.check, v.file, v.column or "", f"{v.count:,}", v.message, examples)
        stdout.print(table)
    if not report.ok:
        files = sorted({v.file for v in report.violations})
        raise ValidationFailed(
            f"{folder}: {len(report.violations)} violation(s) in {', '.join(files)}",
            report.violations,
        )
