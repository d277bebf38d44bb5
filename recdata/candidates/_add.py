"""``recdata candidates DIR``: add seeded candidate lists to an existing folder, atomically."""

from __future__ import annotations

import logging
from pathlib import Path

import polars as pl

from recdata import schema as S
from recdata.candidates._compute import CandidateOutputs, compute_candidates
from recdata.candidates._spec import CandidateExclude, CandidateSampler, CandidatesSpec
from recdata.dataset import Dataset, Manifest, load, update_dataset
from recdata.dataset._check import reads_folder
from recdata.errors import UsageError

log = logging.getLogger("recdata.candidates")


def resolve_protocols(dataset: Dataset, protocols: str | list[str] | None) -> list[str]:
    """Protocol names: None -> the default split, ``all`` -> every split, else as given."""
    known = list(dataset.manifest.splits)
    if not known:
        raise UsageError(f"{dataset.path.name} has no split; candidates need valid/test parts")
    if protocols is None:
        return [dataset.manifest.default_split or known[0]]
    wanted = [protocols] if isinstance(protocols, str) else list(protocols)
    if "all" in wanted:
        return known
    unknown = [p for p in wanted if p not in known]
    if unknown:
        raise UsageError(
            f"{dataset.path.name} has no split {unknown[0]!r}; splits: {', '.join(known)}"
        )
    return list(dict.fromkeys(wanted))


def entity_counts(dataset: Dataset) -> tuple[int, int]:
    """(n_items, n_users): the largest item_idx and user_idx of the folder."""
    n_items = dataset.items.select(pl.col(S.ITEM).max()).collect().item() or 0
    n_users = dataset.users.select(pl.col(S.USER).max()).collect().item() or 0
    return int(n_items), int(n_users)


def candidates_for(
    dataset: Dataset, protocols: list[str], spec: CandidatesSpec, *, workers: int | None = None
) -> dict[str, CandidateOutputs]:
    """Compute the candidates of each protocol of an opened folder."""
    n_items, n_users = entity_counts(dataset)
    out = {}
    for protocol in protocols:
        frames = dataset.split(protocol)
        parts = {p: frames[p] for p in ("train", "valid", "test")}
        out[protocol] = compute_candidates(
            dataset.interactions,
            parts,
            protocol=protocol,
            spec=spec,
            n_items=n_items,
            n_users=n_users,
            workers=workers,
        )
    return out


@reads_folder
def add_candidates(
    path: str | Path,
    *,
    protocol: str | list[str] | None = None,
    sampler: CandidateSampler = "uniform",
    n: int = 99,
    seed: int = 0,
    exclude: CandidateExclude = "all",
    alpha: float = 1.0,
    workers: int | None = None,
) -> Path:
    """Add ``splits/<protocol>/candidates-{valid,test}.parquet`` to dataset folder ``path``.

    ``protocol`` is a split name, a list of them, ``"all"`` or None (the default split). Each
    valid/test row gets its positive and ``n`` negatives drawn by ``sampler`` outside the
    ``exclude`` set, seeded by ``seed``. Existing candidates of the protocol are replaced (a
    warning names the old parameters); ``sampler="all"`` records full ranking and writes no
    file. The folder is rewritten atomically.
    """
    folder = Path(path)
    try:
        spec = CandidatesSpec(sampler=sampler, n=n, seed=seed, exclude=exclude, alpha=alpha)
    except ValueError as exc:
        first = str(exc).splitlines()
        raise UsageError(f"candidates: {' '.join(first[1:3]) or first[0]}") from exc
    dataset = load(folder)
    protocols = resolve_protocols(dataset, protocol)
    outputs = candidates_for(dataset, protocols, spec, workers=workers)
    old = dataset.manifest.candidates
    remove: list[str] = []
    for name in protocols:
        if name in old:
            previous = old[name]
            before = {k: v for k, v in previous.model_dump().items() if k != "parts"}
            if before != outputs[name].record.model_dump(exclude={"parts"}):
                log.warning(
                    "%s: replacing the candidates of split %s (%s) with (%s)",
                    folder.name,
                    name,
                    _describe(before),
                    _describe(spec.params()),
                )
            remove += [p.file for p in previous.parts.values() if p.file]

    def update(manifest: Manifest) -> Manifest:
        records = dict(manifest.candidates)
        records.update({name: out.record for name, out in outputs.items()})
        return manifest.model_copy(update={"candidates": dict(sorted(records.items()))})

    add = {
        rel.removesuffix(".parquet"): out.frames[part]
        for out in outputs.values()
        for part, rel in out.files.items()
    }
    update_dataset(folder, add=add, update_manifest=update, remove=tuple(sorted(set(remove))))
    log.info(
        "%s: candidates of %s (%s)", folder.name, ", ".join(protocols), _describe(spec.params())
    )
    return folder


def _describe(params: dict[str, object]) -> str:
    return " ".join(f"{k}={v}" for k, v in params.items() if v is not None)
