"""``recdata features DIR --semantic-ids METHOD``: add semantic IDs to a dataset folder, atomically."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import polars as pl

from recdata import schema as S
from recdata._atomic import check_target
from recdata.dataset import FeatureRecord, Manifest, feature_sha256, load, update_dataset
from recdata.dataset._check import reads_folder
from recdata.errors import FeatureError, UsageError
from recdata.semantic_ids._compute import SemanticIds, compute_semantic_ids, file_key
from recdata.semantic_ids._spec import SemanticIdsSpec

log = logging.getLogger("recdata.semantic_ids")

_EMBEDDING_KINDS = ("text", "image")


def resolve_embedding(manifest: Manifest, choice: str | None, *, folder: str) -> str:
    """The relative path of the embedding file to quantise.

    Embeddings are the manifest's text/image feature records, then any other listed
    ``features/{text,image}-*.parquet`` file. ``None``: the first text embedding in that order; ``text``/``image``: the first of that
    kind; otherwise a file of the folder (``features/x.parquet``, ``x.parquet`` or ``x``).
    """
    kinds = {
        rel: rec.kind for rel, rec in manifest.features.items() if rec.kind in _EMBEDDING_KINDS
    }
    for (
        rel
    ) in manifest.files:  # embedding files listed without a feature record (hand-made folders)
        for kind in _EMBEDDING_KINDS:
            if rel.startswith(f"features/{kind}-") and rel.endswith(".parquet"):
                kinds.setdefault(rel, kind)
    embeddings = list(kinds)
    if choice is None or choice in _EMBEDDING_KINDS:
        kind = choice or "text"
        found = [rel for rel in embeddings if kinds[rel] == kind]
        if not found:
            raise FeatureError(
                f"{folder} has no {kind} embedding to quantise (embeddings: {embeddings or 'none'}); "
                f"add one with `recdata features {folder} --{kind} MODEL` or pass --embedding FILE"
            )
        return found[0]
    name = Path(choice).name
    rel = f"features/{name if name.endswith('.parquet') else name + '.parquet'}"
    if rel not in embeddings:
        raise UsageError(
            f"--embedding {choice!r}: {rel} is not an embedding of {folder}; use one of {embeddings or 'none'}"
        )
    return rel


def semantic_ids_record(result: SemanticIds) -> FeatureRecord:
    """The manifest record of a semantic-ID file."""
    return FeatureRecord(
        kind="semantic_ids",
        model=result.details["method"],
        dim=result.details["code_length"],
        details=result.details,
    )


@reads_folder
def add_semantic_ids(
    path: str | Path,
    *,
    method: str = "rq-kmeans",
    levels: int = 3,
    codebook: int = 256,
    embedding: str | None = None,
    collisions: str = "suffix",
    seed: int = 0,
    **options: Any,
) -> Path:
    """Add ``features/semantic_ids-<method>.parquet`` to the dataset folder ``path``.

    The codes come from an item embedding of the folder (``embedding``: a file, ``text`` or
    ``image``; default the first text embedding), never from interactions. A file of the same
    method is replaced (with a warning when its parameters or embedding differ). ``options``
    are the other fields of :class:`SemanticIdsSpec` (``niter``, ``epochs``, ...).
    """
    try:
        spec = SemanticIdsSpec(
            method=method,
            levels=levels,
            codebook=codebook,
            embedding=embedding,
            collisions=collisions,
            seed=seed,
            **options,
        )
    except ValueError as exc:
        first = str(exc).splitlines()
        raise UsageError(f"semantic IDs: {'; '.join(first[:3])}") from exc
    folder = Path(path)
    dataset = load(folder)
    check_target(folder, overwrite=True)  # the folder is replaced at the end: fail before any work
    rel = resolve_embedding(dataset.manifest, spec.embedding, folder=folder.name)
    record = dataset.manifest.files.get(rel)
    embeddings = pl.read_parquet(folder / rel)
    items = dataset.items.collect()
    missing = items.join(embeddings, on=S.ITEM, how="anti").height
    if embeddings.height != items.height or missing:
        raise FeatureError(
            f"{rel} has {embeddings.height:,} rows for {items.height:,} items ({missing:,} items "
            f"without a row): semantic IDs need one embedding per item; re-embed with "
            f"`recdata features {folder.name} --text MODEL`"
        )
    result = compute_semantic_ids(
        embeddings,
        spec=spec,
        items=items,
        embedding_file=rel,
        embedding_sha256=record.sha256 if record else None,
    )
    key = file_key(spec.method)
    target = f"features/{key}.parquet"
    new_record = semantic_ids_record(result)
    old = dataset.manifest.features.get(target)
    if old is not None:
        _announce_replacement(target, old, new_record)
    for warning in result.warnings:
        log.warning("%s", warning)

    def update(manifest: Manifest) -> Manifest:
        return manifest.model_copy(
            update={
                "features": dict(sorted({**manifest.features, target: new_record}.items())),
                "warnings": manifest.warnings
                + [w for w in result.warnings if w not in manifest.warnings],
            }
        )

    update_dataset(folder, add={f"features/{key}": result.frame}, update_manifest=update)
    log.info("%s: added %s", folder.name, target)
    return folder


def _announce_replacement(target: str, old: FeatureRecord, new: FeatureRecord) -> None:
    """Log what changed when a semantic-ID file is replaced."""
    changed = []
    before, after = old.details.get("params", {}), new.details["params"]
    for name in sorted(set(before) | set(after)):
        if before.get(name) != after.get(name):
            changed.append(f"{name} {before.get(name)!r} -> {after.get(name)!r}")
    if old.details.get("embedding") != new.details["embedding"]:
        changed.append(
            f"embedding {old.details.get('embedding', {}).get('file')} "
            f"-> {new.details['embedding']['file']} (or its bytes)"
        )
    if changed:
        log.warning("replacing %s: %s", target, "; ".join(changed))
    else:
        log.info("recomputed %s with the same parameters", target)


def semantic_ids_for_build(
    embeddings: dict[str, pl.DataFrame],
    *,
    spec: SemanticIdsSpec,
    items: pl.DataFrame,
) -> tuple[str, SemanticIds]:
    """In a build: quantise one of the embeddings just computed (``{file key: frame}``)."""
    keys = sorted(embeddings)
    choice = spec.embedding
    if choice is None or choice in _EMBEDDING_KINDS:
        kind = choice or "text"
        found = [k for k in keys if k.startswith(f"{kind}-")]
        if not found:
            raise FeatureError(f"semantic IDs: the build made no {kind} embedding to quantise")
        key = found[0]
    else:
        key = Path(choice).name.removesuffix(".parquet")
        if key not in embeddings:
            raise FeatureError(
                f"semantic IDs: embedding {choice!r} is not one this build made ({keys})"
            )
    frame = embeddings[key]
    rel = f"features/{key}.parquet"
    return file_key(spec.method), compute_semantic_ids(
        frame,
        spec=spec,
        items=items,
        embedding_file=rel,
        embedding_sha256=feature_sha256(key, frame),
    )
