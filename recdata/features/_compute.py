"""Build every feature and graph a recipe asks for from in-memory items and a train part."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from recdata.dataset import FeatureRecord, GraphRecord
from recdata.errors import MissingExtra
from recdata.features._embed import BarFactory, EmbedResult, embed_texts
from recdata.features._models import ensure_embed_extra, model_key
from recdata.features._spec import DEFAULT_TEMPLATE, FeaturesSpec, GraphsSpec
from recdata.features._text import has_text, render_item_text
from recdata.graphs import degree_stats, item_knn
from recdata.graphs._cooc import DEFAULT_ORDER

log = logging.getLogger("recdata.features")


@dataclass
class FeatureOutputs:
    """Frames to write under ``features/`` and ``graphs/`` with their manifest records."""

    features: dict[str, pl.DataFrame] = field(default_factory=dict)
    """``{"item_text": df, "text-all-minilm-l6-v2": df, "image-clip-vit-b-32": df}`` (file stems)."""
    graphs: dict[str, pl.DataFrame] = field(default_factory=dict)
    """``{"user_item": df, "item_item": df, "item_knn": df}``."""
    feature_records: dict[str, FeatureRecord] = field(default_factory=dict)
    """By relative path ``features/<key>.parquet``."""
    graph_records: dict[str, GraphRecord] = field(default_factory=dict)
    """By relative path ``graphs/<key>.parquet``."""
    warnings: list[str] = field(default_factory=list)
    """What was skipped and why (a missing extra names what to install)."""
    encoded: dict[str, int] = field(default_factory=dict)
    """Inputs each embedding encoded in this run (the rest came from the cache); not in the manifest."""


def _embedding_record(
    kind: str, result: EmbedResult, normalize: bool, template: str | None
) -> FeatureRecord:
    return FeatureRecord(
        kind=kind,  # type: ignore[arg-type]
        model=result.model.name,
        revision=result.model.revision,
        dim=result.dim,
        normalized=normalize,
        template=template,
        details=result.details,
    )


def compute_features(
    items: pl.DataFrame | pl.LazyFrame,
    train: Any,
    *,
    features: FeaturesSpec,
    graphs: GraphsSpec,
    split: str | None,
    progress: bool | BarFactory | None = None,
    cache_dir: Path | None = None,
    engine: Any = None,
) -> FeatureOutputs:
    """Item texts, embeddings and graphs as frames plus manifest records.

    Parameters
    ----------
    items
        The items table (``item_idx`` and any of the template's columns, ``image_urls``).
    train
        The train part of ``split`` (a frame of ``engine``; graphs are built from it and nothing
        else); None skips
        the train graphs with a warning.
    features, graphs
        What to build. Text features are built only when the items have a column the
        template uses; image features only when they have ``image_urls``.
    split
        The split's name, recorded in the graph records.
    progress
        Progress bars on stderr (None: only on a terminal), or a bar factory
        ``factory(description, total)`` for the embedding steps (the CLI's).
    cache_dir
        Embedding cache root (default ``$RECDATA_HOME/embeddings``).
    engine
        The :class:`~recdata.engines.Engine` that builds the train graphs from ``train`` (one of
        its frames); default polars. Texts and embeddings always run here, over ``items``.
    """
    if isinstance(items, pl.LazyFrame):
        items = items.collect()
    out = FeatureOutputs()
    text_spec = features.text
    template = text_spec.template if text_spec is not None else DEFAULT_TEMPLATE
    texts: pl.DataFrame | None = None
    if (features.item_text or text_spec is not None) and has_text(items.schema, template):
        texts = render_item_text(
            items, template=template, max_tokens=text_spec.max_tokens if text_spec else 256
        )
        if features.item_text:
            out.features["item_text"] = texts
            out.feature_records["features/item_text.parquet"] = FeatureRecord(
                kind="item_text",
                template=template,
                details={"items": texts.height, "items_without_text": texts["text"].null_count()},
            )
    embeddings: dict[str, pl.DataFrame] = {}
    if text_spec is not None and texts is not None:
        try:
            ensure_embed_extra("text embeddings")
        except MissingExtra as exc:
            out.warnings.append(f"text embeddings skipped: {exc.install}")
        else:
            result = embed_texts(texts, text_spec, cache_dir=cache_dir, progress=progress)
            key = f"text-{model_key(result.model.name)}"
            out.features[key] = result.frame
            out.feature_records[f"features/{key}.parquet"] = _embedding_record(
                "text", result, text_spec.normalize, template
            )
            out.encoded[key] = result.encoded
            embeddings["text"] = result.frame
    if features.image is not None:
        if "image_urls" not in items.columns:
            out.warnings.append("image embeddings skipped: the items have no image_urls column")
        else:
            try:
                ensure_embed_extra("image embeddings")
            except MissingExtra as exc:
                out.warnings.append(f"image embeddings skipped: {exc.install}")
            else:
                from recdata.features._image import embed_images

                image_dir = Path(cache_dir).parent / "images" if cache_dir is not None else None
                result = embed_images(
                    items,
                    features.image,
                    cache_dir=cache_dir,
                    image_dir=image_dir,
                    progress=progress,
                )
                key = f"image-{model_key(result.model.name)}"
                out.features[key] = result.frame
                out.feature_records[f"features/{key}.parquet"] = _embedding_record(
                    "image", result, features.image.normalize, None
                )
                out.encoded[key] = result.encoded
                missing = result.details["items_without_image"]
                if missing:
                    out.warnings.append(
                        f"image embeddings: {missing:,} item(s) without a downloadable image (null embeddings)"
                    )
                embeddings["image"] = result.frame
    if features.semantic_ids is not None:
        _semantic_ids(out, features, items)
    _graphs(out, train, graphs, split, embeddings, engine)
    return out


def _semantic_ids(out: FeatureOutputs, features: FeaturesSpec, items: pl.DataFrame) -> None:
    """Semantic IDs from an embedding built above (skipped with a warning without one or the extra)."""
    from recdata.semantic_ids._stage import semantic_ids_for_build, semantic_ids_record

    spec = features.semantic_ids
    assert spec is not None
    made = {k: v for k, v in out.features.items() if k.startswith(("text-", "image-"))}
    if not made:
        out.warnings.append("semantic IDs skipped: the build made no embedding to quantise")
        return
    try:
        key, result = semantic_ids_for_build(made, spec=spec, items=items)
    except MissingExtra as exc:
        out.warnings.append(f"semantic IDs skipped: pip install 'recdata[{exc.extra}]'")
        return
    out.features[key] = result.frame
    out.feature_records[f"features/{key}.parquet"] = semantic_ids_record(result)
    out.warnings.extend(result.warnings)


def _graphs(
    out: FeatureOutputs,
    train: Any,
    spec: GraphsSpec,
    split: str | None,
    embeddings: dict[str, pl.DataFrame],
    engine: Any = None,
) -> None:
    if train is None and (spec.user_item is not None or spec.item_item is not None):
        out.warnings.append(
            "user_item/item_item graphs skipped: no split to take a train part from"
        )
    elif train is not None:
        if engine is None:
            from recdata.engines.polars import PolarsEngine

            engine = PolarsEngine()
        if spec.user_item is not None:
            edges = engine.user_item(train, weight=spec.user_item.weight)
            out.graphs["user_item"] = edges
            out.graph_records["graphs/user_item.parquet"] = GraphRecord(
                kind="user_item",
                split=split,
                params=spec.user_item.model_dump(),
                stats=degree_stats(edges),
            )
        if spec.item_item is not None:
            cooc = spec.item_item
            order = [c for c in DEFAULT_ORDER if c in engine.columns(train)]
            edges = engine.item_item(
                train,
                window=cooc.window,
                symmetric=cooc.symmetric,
                top_k=cooc.top_k,
                self_loops=cooc.self_loops,
                order=order,
            )
            out.graphs["item_item"] = edges
            out.graph_records["graphs/item_item.parquet"] = GraphRecord(
                kind="item_item",
                split=split,
                params={**cooc.model_dump(), "order": order},
                stats=degree_stats(edges),
            )
    if spec.item_knn is not None:
        source = embeddings.get(spec.item_knn.source)
        if source is None:
            out.warnings.append(
                f"item_knn graph skipped: no {spec.item_knn.source} embeddings were built"
            )
            return
        edges = item_knn(source, k=spec.item_knn.k)
        source_key = next(k for k, v in out.features.items() if v is source)
        out.graphs["item_knn"] = edges
        out.graph_records["graphs/item_knn.parquet"] = GraphRecord(
            kind="item_knn",
            split=None,
            params={
                **spec.item_knn.model_dump(),
                "embedding": f"features/{source_key}.parquet",
                "metric": "cosine",
            },
            stats=degree_stats(edges),
        )


__all__ = ["FeatureOutputs", "compute_features"]
