"""Text embeddings with a sentence-transformers model, through the persistent cache."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from recdata import schema as S
from recdata.features._cache import EmbeddingCache, content_hashes, recdata_home
from recdata.features._models import ModelRef, load_sentence_transformer, resolve_model
from recdata.features._spec import TextSpec

log = logging.getLogger("recdata.features")

CHUNK_BATCHES = 16
"""Batches encoded between two cache writes: a killed run loses at most this much work."""


@dataclass
class EmbedResult:
    """An embedding table and what it took."""

    frame: pl.DataFrame
    """``item_idx`` and ``embedding`` (``Array(Float32, dim)``, null where the item had no input)."""
    model: ModelRef
    dim: int
    details: dict[str, Any] = field(default_factory=dict)
    """Deterministic facts for the manifest (items, missing inputs, settings)."""
    encoded: int = 0
    """Inputs encoded by this run (the rest came from the cache); not recorded in the manifest."""


BarFactory = Callable[[str, int], Any]
"""``factory(description, total)`` returns a bar with ``update(n)`` and ``close()``: how a caller
(the CLI) shows the items done / total of an embedding step."""


def want_progress(progress: bool | BarFactory | None) -> bool | BarFactory:
    """None means: a bar only when stderr is a terminal; a factory is used as given."""
    if callable(progress):
        return progress
    return sys.stderr.isatty() if progress is None else progress


def progress_bar(total: int, desc: str, enabled: bool | BarFactory) -> Any:
    """The caller's bar (a factory), a tqdm bar (tqdm comes with the embed extra) or a no-op."""
    if callable(enabled):
        return enabled(desc, total)
    if enabled:
        try:
            from tqdm.auto import tqdm

            return tqdm(total=total, desc=desc, unit="item", leave=False)
        except ImportError:  # pragma: no cover
            pass
    return _NoBar()


class _NoBar:
    def update(self, n: int) -> None:  # noqa: D102
        pass

    def close(self) -> None:  # noqa: D102
        pass


def batch_hook(model: Any, advance: Callable[[int], None]) -> Any:
    """Call ``advance(batch size)`` after each batch the model encodes (a forward hook on its
    last module), so progress moves per batch rather than per cache chunk; None if impossible."""
    children = getattr(model, "children", None)
    last = next(reversed(list(children())), None) if callable(children) else None
    if last is None or not hasattr(last, "register_forward_hook"):
        return None

    def hook(module: Any, args: Any, output: Any) -> None:
        try:
            advance(len(output["sentence_embedding"]))
        except (KeyError, TypeError):
            pass

    return last.register_forward_hook(hook)


def cache_root(cache_dir: Path | None) -> Path:
    """Where embedding caches live: ``cache_dir`` or ``$RECDATA_HOME/embeddings``."""
    return Path(cache_dir) if cache_dir is not None else recdata_home() / "embeddings"


def assemble(
    item_idx: pl.Series, keys: list[str | None], vectors: dict[str, np.ndarray], dim: int
) -> pl.DataFrame:
    """(item_idx, embedding) with each item's vector by key; null where the key is None/unknown."""
    known = [k for k in dict.fromkeys(k for k in keys if k is not None) if k in vectors]
    matrix = np.stack([vectors[k] for k in known]) if known else np.zeros((0, dim), np.float32)
    table = pl.DataFrame(
        {
            "_key": pl.Series(known, dtype=pl.String),
            "embedding": pl.Series(np.asarray(matrix, np.float32), dtype=pl.Array(pl.Float32, dim)),
        }
    )
    items = pl.DataFrame(
        {S.ITEM: item_idx.cast(pl.Int32), "_key": pl.Series(keys, dtype=pl.String)}
    )
    return items.join(table, on="_key", how="left").select(S.ITEM, "embedding").sort(S.ITEM)


def embedding_dim(model: Any) -> int | None:
    """The model's output dimension when it declares one."""
    method = (
        getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    )
    dim = method()
    return int(dim) if dim else None


def embed_texts(
    texts: pl.DataFrame,
    spec: TextSpec,
    *,
    cache_dir: Path | None = None,
    progress: bool | BarFactory | None = None,
) -> EmbedResult:
    """Embed ``texts`` (item_idx, text): cached vectors are reused, new texts encoded in chunks.

    Identical texts are encoded once; texts are encoded longest first (as ``model.encode`` does
    within one call) and written to the cache every ``CHUNK_BATCHES`` batches.
    """
    ref = resolve_model(spec.model, spec.revision)
    model = load_sentence_transformer(ref.target, ref.revision, spec.device, spec.fp16)
    dim = embedding_dim(model) or len(model.encode(["dimension probe"], convert_to_numpy=True)[0])
    identity = {
        "model": ref.name,
        "revision": ref.revision,
        "normalize": spec.normalize,
        "fp16": spec.fp16 and not spec.device.startswith("cpu"),
        "max_seq_length": getattr(model, "max_seq_length", None),
        "kind": "text",
    }
    cache = EmbeddingCache(cache_root(cache_dir), identity)
    column = texts["text"]
    keys: list[str | None] = [None] * texts.height
    valid = column.is_not_null().to_numpy()
    present = column.filter(column.is_not_null()).to_list()
    hashed = content_hashes(present)
    for row, key in zip(np.flatnonzero(valid), hashed, strict=True):
        keys[row] = key
    unique = dict(zip(hashed, present, strict=True))
    vectors = cache.get(list(unique), dim)
    todo = [(key, text) for key, text in unique.items() if key not in vectors]
    todo.sort(key=lambda kv: -len(kv[1]))
    log.info(
        "%s: %d texts, %d cached, %d to encode",
        ref.name,
        len(unique),
        len(unique) - len(todo),
        len(todo),
    )
    bar = progress_bar(len(todo), f"text {ref.name}", want_progress(progress))
    chunk = spec.batch_size * CHUNK_BATCHES
    counted = [0]  # items the batch hook reported in the current chunk

    def advance(n: int) -> None:
        counted[0] += n
        bar.update(n)

    hook = batch_hook(model, advance) if todo else None
    try:
        for start in range(0, len(todo), chunk):
            part = todo[start : start + chunk]
            counted[0] = 0
            encoded = model.encode(
                [text for _, text in part],
                batch_size=spec.batch_size,
                normalize_embeddings=spec.normalize,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            encoded = np.asarray(encoded, dtype=np.float32)
            part_keys = [key for key, _ in part]
            cache.put(part_keys, encoded)
            vectors.update(zip(part_keys, encoded, strict=True))
            if counted[0] < len(part):  # a model whose batches the hook cannot see
                bar.update(len(part) - counted[0])
    finally:
        if hook is not None:
            hook.remove()
        bar.close()
    cache.compact()
    frame = assemble(texts[S.ITEM], keys, vectors, dim)
    details = {
        "items": texts.height,
        "items_without_text": int((~valid).sum()),
        "distinct_texts": len(unique),
        "batch_size": spec.batch_size,
        "device": spec.device,
        "dtype": "float16" if identity["fp16"] else "float32",
        "max_tokens": spec.max_tokens,
        "max_seq_length": identity["max_seq_length"],
    }
    return EmbedResult(frame=frame, model=ref, dim=dim, details=details, encoded=len(todo))
