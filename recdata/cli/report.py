"""``recdata report DIR [-o FILE.html]``: a self-contained HTML page about a dataset folder."""

from __future__ import annotations

from pathlib import Path

import click

from recdata.cli._console import labelled, stdout


@click.command(name="report")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The HTML file to write (default FOLDER/report.html).",
)
def command(folder: Path, out: Path | None) -> None:
    """Write an HTML report of dataset folder FOLDER: statistics, plots, splits, coverage."""
    from recdata.reports import report

    path = report(folder, out=out)
    stdout.print(labelled("ok", "green", f"wrote {path}"))
