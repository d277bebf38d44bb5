"""``recdata build NAME|FILE.yaml``: run the whole pipeline into a dataset folder, then summarise it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from recdata.cli._console import stderr, stdout
from recdata.cli._options import recipe_overrides, source_options
from recdata.cli._progress import RunProgress


def summary_table(folder: Path) -> Any:
    """The end-of-build table: counts at each stage, split sizes, files."""
    from rich.table import Table

    from recdata.dataset import Manifest

    manifest = Manifest.read(folder)
    table = Table(title=f"{manifest.name} -> {folder}")
    for col in ("stage", "users", "items", "interactions"):
        table.add_column(col, justify="right" if col != "stage" else "left")
    stages = manifest.statistics.get("stages", {})
    order = [
        "raw",
        *(step.name for step in manifest.steps),
        "final",
    ]  # the manifest's JSON sorts keys
    for stage in sorted(stages, key=lambda s: order.index(s) if s in order else len(order)):
        counts = stages[stage]
        table.add_row(stage, *(f"{counts.get(k, 0):,}" for k in ("users", "items", "interactions")))
    for split, parts in manifest.statistics.get("splits", {}).items():
        sizes = " / ".join(f"{parts.get(p, 0):,}" for p in ("train", "valid", "test"))
        table.add_row(f"split {split}", "", "", f"{sizes} (train/valid/test)")
    for rel in manifest.features:
        table.add_row(
            rel, "", "", f"{manifest.files[rel].rows:,} rows" if rel in manifest.files else ""
        )
    for rel in manifest.graphs:
        table.add_row(
            rel, "", "", f"{manifest.files[rel].rows:,} edges" if rel in manifest.files else ""
        )
    return table


@click.command(name="build")
@click.argument("recipe")
@click.option(
    "-o",
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Output folder (default ./NAME).",
)
@recipe_overrides(
    "Override a recipe key, e.g. steps.kcore.user_k=10, size=1000000, check_stats=false."
)
@source_options
@click.option("--no-features", is_flag=True, help="Skip features and graphs.")
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace the output folder if it is empty or recdata wrote it and it holds no other "
    "file; never the current, home or a --raw-dir folder (see docs/overwrite.md).",
)
@click.option(
    "--engine",
    type=click.Choice(["polars", "spark"]),
    default="polars",
    show_default=True,
    help="Where the data stages run: polars (here) or Apache Spark (same tables).",
)
@click.option(
    "--spark-master",
    default=None,
    metavar="URL",
    help="Spark master URL for --engine spark (default local[*]; SPARK_REMOTE for Spark Connect).",
)
def command(
    recipe: str,
    out: Path | None,
    overrides: tuple[str, ...],
    raw_dir: Path | None,
    mirror: str | None,
    no_features: bool,
    strict: bool,
    overwrite: bool,
    engine: str,
    spark_master: str | None,
) -> None:
    """Build dataset RECIPE (a catalog name or a YAML file) into a folder."""
    from recdata.pipeline import build

    with RunProgress(stderr, live=stderr.is_terminal) as run:
        folder = build(
            recipe,
            out=out,
            overrides=overrides,
            raw_dir=raw_dir,
            mirror=mirror,
            features=not no_features,
            strict=strict,
            progress=run,
            overwrite=overwrite,
            engine=engine,
            spark_master=spark_master,
        )
    stdout.print(summary_table(folder))
    # The build's warnings were logged by the library (shown once by the CLI's log handler).
