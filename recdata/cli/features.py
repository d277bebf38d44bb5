"""``recdata features DIR [--text MODEL] [--image MODEL] [--graphs] [--knn K] [--semantic-ids METHOD]``."""

from __future__ import annotations

from pathlib import Path

import click

from recdata.cli._console import stderr, stdout
from recdata.cli._progress import RunProgress
from recdata.semantic_ids._spec import COLLISIONS, METHODS


@click.command(name="features")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--text",
    "text",
    metavar="MODEL",
    default=None,
    help="Add text embeddings with this sentence-transformers model (name or folder).",
)
@click.option(
    "--image",
    "image",
    metavar="MODEL",
    default=None,
    help="Add image embeddings of image_urls with this CLIP-style model.",
)
@click.option(
    "--graphs",
    "graphs",
    is_flag=True,
    help="Add the user-item and item-item graphs of the split's train part.",
)
@click.option(
    "--knn",
    "knn",
    type=click.IntRange(min=1),
    default=None,
    metavar="K",
    help="Add an item kNN graph (K neighbours) from the text embedding.",
)
@click.option(
    "--split",
    "split",
    default=None,
    help="Split whose train part builds the graphs (default: the folder's default split).",
)
@click.option(
    "--template",
    "template",
    default=None,
    help="Item text template with {column} placeholders, one field group per line.",
)
@click.option(
    "--window",
    "window",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Co-occurrence window of the item-item graph.",
)
@click.option(
    "--batch-size",
    "batch_size",
    type=click.IntRange(min=1),
    default=64,
    show_default=True,
    help="Inputs per forward pass.",
)
@click.option("--device", "device", default="cpu", show_default=True, help="cpu, cuda or mps.")
@click.option(
    "--semantic-ids",
    "semantic_ids",
    type=click.Choice(METHODS),
    default=None,
    help="Add semantic IDs quantised from an item embedding with this method.",
)
@click.option(
    "--levels",
    type=click.IntRange(1, 26),
    default=3,
    show_default=True,
    help="Semantic-ID levels (before the collision suffix).",
)
@click.option(
    "--codebook",
    type=click.IntRange(1, 32767),
    default=256,
    show_default=True,
    help="Codes per semantic-ID level (capped for small catalogues).",
)
@click.option(
    "--embedding",
    "embedding",
    metavar="FILE",
    default=None,
    help="Embedding to quantise: features/<file>.parquet, text or image (default: first text one).",
)
@click.option(
    "--collisions",
    type=click.Choice(COLLISIONS),
    default="suffix",
    show_default=True,
    help="Collision handling: a suffix level, or Sinkhorn on the last level then a suffix.",
)
@click.option(
    "--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Semantic-ID seed."
)
@click.option(
    "--progress/--no-progress",
    "progress",
    default=None,
    help="Progress: live on a terminal, else one line per embedding step (default); none with --no-progress.",
)
def command(
    folder: Path,
    text: str | None,
    image: str | None,
    graphs: bool,
    knn: int | None,
    split: str | None,
    template: str | None,
    window: int,
    batch_size: int,
    device: str,
    semantic_ids: str | None,
    levels: int,
    codebook: int,
    embedding: str | None,
    collisions: str,
    seed: int,
    progress: bool | None,
) -> None:
    """Add embeddings, graphs and semantic IDs to dataset folder FOLDER.

    With no option it adds what a default build does: item texts, the default text
    embedding (when items have text) and the user-item and item-item graphs. With only
    --semantic-ids it adds only the semantic IDs, from an embedding already in the folder.
    """
    from recdata.dataset import Manifest
    from recdata.features import add_features
    from recdata.semantic_ids import add_semantic_ids

    before = Manifest.read(folder)
    others = text is not None or image is not None or graphs or knn is not None
    show = stderr.is_terminal if progress is None else progress
    with RunProgress(stderr, live=show) as run:
        if semantic_ids is None or others:
            add_features(
                folder,
                text=text,
                image=image,
                graphs=graphs,
                knn=knn,
                split=split,
                template=template,
                batch_size=batch_size,
                device=device,
                window=window,
                progress=run.bar if progress is not False else False,
            )
        if semantic_ids is not None:
            add_semantic_ids(
                folder,
                method=semantic_ids,
                levels=levels,
                codebook=codebook,
                embedding=embedding,
                collisions=collisions,
                seed=seed,
            )
    after = Manifest.read(folder)
    changed = 0
    for rel in sorted(set(after.features) | set(after.graphs)):
        record = after.files.get(rel)
        if record is None or before.files.get(rel) == record:
            continue
        changed += 1
        mark = "replaced" if rel in before.files else "added"
        rows = f" ({record.rows:,} rows)" if record.rows is not None else ""
        stderr.print(f"{mark} {rel}{rows}")
    if not changed:
        present = ", ".join(sorted(set(after.features) | set(after.graphs)))
        stderr.print(f"nothing to add: {folder.name} is unchanged (it already has {present})")
    # Warnings are logged by the library (shown once by the CLI's log handler), not repeated here.
    if semantic_ids is not None:
        _print_quality(after, f"features/semantic_ids-{semantic_ids}.parquet")


def _print_quality(manifest: object, rel: str) -> None:
    """The quality report of one semantic-ID file, from its manifest record."""
    from rich.table import Table

    details = manifest.features[rel].details  # type: ignore[attr-defined]
    metrics = details["metrics"]
    after = metrics["after"]
    cap = details["codebook"]
    table = Table(title=f"{rel} ({details['method']}, {metrics['items']:,} items)")
    for name in ("level", "size", "used", "usage", "perplexity"):
        table.add_column(name, justify="right")
    for i, level in enumerate(metrics["levels"]):
        table.add_row(
            str(i),
            str(level["size"]),
            str(level["used"]),
            f"{level['usage']:.1%}",
            f"{level['perplexity']:.1f}",
        )
    table.add_row("suffix", str(after["suffix_size"]), "", "", "")
    stdout.print(table)
    lines = [
        f"collision rate before handling: {metrics['collision_rate']:.2%} "
        f"(largest group {metrics['max_group_size']}, {metrics['colliding_items']:,} items in groups)",
    ]
    if "collision_rate_after_sinkhorn" in after:
        lines.append(
            f"after sinkhorn: {after['collision_rate_after_sinkhorn']:.2%} "
            f"({after['items_reassigned']:,} items re-assigned in {after['sinkhorn_rounds_used']} rounds)"
        )
    lines.append(
        f"suffix level: {after['suffix_size']} values, {after['items_with_suffix']:,} items with suffix > 0"
    )
    if cap["capped"]:
        lines.append(f"codebook capped: {cap['used']} of {cap['requested']} ({cap['rule']})")
    check = metrics["category_check"]
    if check.get("available"):
        lines.append(
            f"category check: items sharing their first code share a category "
            f"{check['share_rate_same_first_code']:.1%} of the time, random pairs "
            f"{check['share_rate_random']:.1%} (ratio {check['ratio']})"
        )
    else:
        lines.append(f"category check: not available ({check.get('reason')})")
    for line in lines:
        stdout.print(line)
