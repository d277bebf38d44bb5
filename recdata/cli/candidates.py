"""``recdata candidates DIR [--protocol P|all] [--sampler S] [-n 99] [--seed 0] [--exclude all|train]``."""

from __future__ import annotations

from pathlib import Path

import click

from recdata.cli._console import labelled, stderr


@click.command(name="candidates")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--protocol",
    "protocol",
    default=None,
    metavar="P|all",
    help="Split protocol to add candidates to, or 'all' (default: the folder's default split).",
)
@click.option(
    "--sampler",
    "sampler",
    type=click.Choice(["uniform", "popularity", "impressions", "all"]),
    default="uniform",
    show_default=True,
    help="How negatives are chosen ('all': full ranking, no file).",
)
@click.option(
    "-n",
    "n",
    type=click.IntRange(min=1),
    default=99,
    show_default=True,
    help="Negatives per evaluated row.",
)
@click.option(
    "--seed", "seed", type=click.IntRange(min=0), default=0, show_default=True, help="Seed."
)
@click.option(
    "--exclude",
    "exclude",
    type=click.Choice(["all", "train"]),
    default="all",
    show_default=True,
    help="Items never given as negatives: all the user's interactions, or their train items.",
)
@click.option(
    "--alpha",
    "alpha",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    help="Exponent of the train counts (popularity sampler).",
)
def command(
    folder: Path,
    protocol: str | None,
    sampler: str,
    n: int,
    seed: int,
    exclude: str,
    alpha: float,
) -> None:
    """Add seeded evaluation candidates (positive + N negatives) to dataset folder FOLDER."""
    from recdata.candidates import add_candidates
    from recdata.dataset import Manifest

    before = Manifest.read(folder)
    add_candidates(
        folder,
        protocol=protocol,
        sampler=sampler,  # type: ignore[arg-type]
        n=n,
        seed=seed,
        exclude=exclude,  # type: ignore[arg-type]
        alpha=alpha,
    )
    after = Manifest.read(folder)
    for name, record in after.candidates.items():
        old = before.candidates.get(name)
        if old == record and all(
            before.files.get(p.file) == after.files.get(p.file)
            for p in record.parts.values()
            if p.file
        ):
            continue
        params = (
            f"sampler={record.sampler} n={record.n} seed={record.seed} exclude={record.exclude}"
        )
        if record.alpha is not None:
            params += f" alpha={record.alpha:g}"
        mark = "added" if old is None else "replaced"
        for part, part_record in record.parts.items():
            where = part_record.file or f"{name}/{part}: full ranking, no file"
            short = f", {part_record.short_rows:,} short" if part_record.short_rows else ""
            stderr.print(
                labelled(mark, "green", f"{where} ({part_record.rows:,} rows{short}; {params})")
            )
