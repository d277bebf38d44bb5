"""``recdata features DIR``: add embeddings and graphs to an existing dataset folder, atomically."""

from __future__ import annotations

import logging
from pathlib import Path

import polars as pl

from recdata._atomic import check_target
from recdata.dataset import Dataset, GraphRecord, Manifest, load, update_dataset
from recdata.dataset._check import reads_folder
from recdata.errors import FeatureError, UsageError
from recdata.features._compute import FeatureOutputs, compute_features
from recdata.features._embed import BarFactory
from recdata.features._models import ensure_embed_extra
from recdata.features._spec import (
    DEFAULT_TEMPLATE,
    CoocSpec,
    FeaturesSpec,
    GraphsSpec,
    ImageSpec,
    KnnSpec,
    TextSpec,
    UserItemSpec,
)
from recdata.features._text import has_text, template_fields
from recdata.graphs import degree_stats, item_knn

log = logging.getLogger("recdata.features")


@reads_folder
def add_features(
    path: str | Path,
    *,
    text: str | None = None,
    image: str | None = None,
    graphs: bool = False,
    knn: int | None = None,
    split: str | None = None,
    template: str | None = None,
    batch_size: int = 64,
    device: str = "cpu",
    window: int | None = 1,
    progress: bool | BarFactory | None = None,
    cache_dir: Path | None = None,
) -> Path:
    """Add features and graphs to the dataset folder ``path`` and return it.

    With no ``text``, ``image``, ``graphs`` or ``knn`` it adds what a default build adds: the
    item texts and default text embedding (when the items have text) and the user–item and
    item–item graphs of the split. Otherwise it adds exactly what is asked: ``text`` /
    ``image`` name a model (or local folder), ``graphs`` the two train graphs (co-occurrence
    ``window``), ``knn`` a k-nearest-neighbour graph from the text embedding (this run's, or
    one already in the folder). Files of the same name are replaced; the manifest is updated.
    """
    folder = Path(path)
    dataset = load(folder)
    check_target(folder, overwrite=True)  # the folder is replaced at the end: fail before any work
    everything = text is None and image is None and not graphs and knn is None
    items = dataset.items.collect()
    chosen_template = template or DEFAULT_TEMPLATE
    if text is not None:
        if not has_text(items.schema, chosen_template):
            raise FeatureError(
                f"{folder.name}/items.parquet has none of the template's columns {template_fields(chosen_template)}; "
                f"columns: {items.columns}",
                path=folder / "items.parquet",
            )
        ensure_embed_extra("text embeddings")
    if image is not None:
        if "image_urls" not in items.columns:
            raise FeatureError(
                f"{folder.name}/items.parquet has no image_urls column; columns: {items.columns}"
            )
        ensure_embed_extra("image embeddings")
    text_spec = TextSpec(
        model=text or TextSpec().model,
        template=chosen_template,
        batch_size=batch_size,
        device=device,
    )
    features = FeaturesSpec(
        text=text_spec if (everything or text is not None) else None,
        image=ImageSpec(model=image, device=device) if image is not None else None,
        item_text=everything or text is not None,
    )
    want_train_graphs = everything or graphs
    knn_from_run = knn is not None and features.text is not None
    graph_spec = GraphsSpec(
        user_item=UserItemSpec() if want_train_graphs else None,
        item_item=CoocSpec(window=window) if want_train_graphs else None,
        item_knn=KnnSpec(k=knn) if knn_from_run else None,
    )
    split_name, train = _train_part(dataset, split, needed=want_train_graphs)
    outputs = compute_features(
        items,
        train,
        features=features,
        graphs=graph_spec,
        split=split_name,
        progress=progress,
        cache_dir=cache_dir,
    )
    if knn is not None and not knn_from_run:
        _knn_from_folder(outputs, dataset, knn)
    for warning in outputs.warnings:
        log.warning("%s", warning)
    if not outputs.features and not outputs.graphs:
        raise FeatureError(
            f"nothing to add to {folder.name}: "
            + ("; ".join(outputs.warnings) or "items have no text")
        )

    def update(manifest: Manifest) -> Manifest:
        return manifest.model_copy(
            update={
                "features": dict(sorted({**manifest.features, **outputs.feature_records}.items())),
                "graphs": dict(sorted({**manifest.graphs, **outputs.graph_records}.items())),
                "warnings": manifest.warnings
                + [w for w in outputs.warnings if w not in manifest.warnings],
            }
        )

    add = {f"features/{k}": v for k, v in outputs.features.items()}
    add |= {f"graphs/{k}": v for k, v in outputs.graphs.items()}
    update_dataset(folder, add=add, update_manifest=update)
    log.info("%s: added %s", folder.name, ", ".join(sorted(add)))
    return folder


def _train_part(
    dataset: Dataset, split: str | None, *, needed: bool
) -> tuple[str | None, pl.DataFrame | None]:
    """The split's name and train part (None when not needed, or the folder has no split)."""
    if not needed:
        return split, None
    if not dataset.splits:
        if split is not None:
            raise UsageError(f"{dataset.path.name} has no split {split!r}; it has no splits")
        return None, None
    name = split or dataset.manifest.default_split or next(iter(dataset.splits))
    return name, dataset.split(name).train.collect()


def _knn_from_folder(outputs: FeatureOutputs, dataset: Dataset, k: int) -> None:
    """A kNN graph from a text embedding already in the folder (the first, by file name)."""
    sources = sorted(rel for rel, rec in dataset.manifest.features.items() if rec.kind == "text")
    if not sources:
        raise FeatureError(
            f"{dataset.path.name} has no text embedding to build a kNN graph from; add one with --text MODEL"
        )
    rel = sources[0]
    edges = item_knn(pl.read_parquet(dataset.path / rel), k=k)
    outputs.graphs["item_knn"] = edges
    outputs.graph_records["graphs/item_knn.parquet"] = GraphRecord(
        kind="item_knn",
        split=None,
        params={**KnnSpec(k=k).model_dump(), "embedding": rel, "metric": "cosine"},
        stats=degree_stats(edges),
    )
