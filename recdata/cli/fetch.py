"""``recdata fetch NAME``: download (or take from --raw-dir / the mirror) and verify every source."""

from __future__ import annotations

from pathlib import Path

import click

from recdata.cli._console import stdout
from recdata.cli._options import recipe_overrides, source_options


@click.command(name="fetch")
@click.argument("name")
@source_options
@recipe_overrides()
def command(
    name: str, raw_dir: Path | None, mirror: str | None, strict: bool, overrides: tuple[str, ...]
) -> None:
    """Download and verify every source of recipe NAME; nothing else."""
    from rich.table import Table
    from rich.text import Text

    from recdata.pipeline import fetch

    fetched = fetch(name, overrides=overrides, raw_dir=raw_dir, mirror=mirror, strict=strict)
    table = Table(title=f"{name}: sources")
    for col in ("source", "status", "sha256", "bytes", "file"):
        table.add_column(col, overflow="fold")
    for source_name, got in fetched.items():
        if got.missing:
            status = Text("missing (optional)", style="yellow")
        elif got.trusted_on_first_use:
            status = Text("trusted on first use", style="yellow")
        else:
            status = Text("verified", style="green")
        where = str(got.path) if got.path is not None else "-"
        if got.members:
            where += f" ({len(got.members)} member(s))"
        size = f"{got.size:,}" if got.size is not None else "-"
        table.add_row(source_name, status, got.sha256 or "-", size, where)
    stdout.print(table)
