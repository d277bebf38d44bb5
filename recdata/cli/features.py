"""``recdata features DIR [--text MODEL] [--image MODEL] [--graphs] [--knn K]``."""

from __future__ import annotations

from pathlib import Path

import click

from recdata.cli._console import stderr
from recdata.cli._progress import RunProgress


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
    progress: bool | None,
) -> None:
    """Add embeddings and graphs to dataset folder FOLDER.

    With no option it adds what a default build does: item texts, the default text
    embedding (when items have text) and the user-item and item-item graphs.
    """
    from recdata.dataset import Manifest
    from recdata.features import add_features

    before = Manifest.read(folder)
    show = stderr.is_terminal if progress is None else progress
    with RunProgress(stderr, live=show) as run:
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
