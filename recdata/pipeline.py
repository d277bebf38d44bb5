"""Run a recipe: fetch -> read -> map -> steps -> index -> splits -> features -> folder -> check.

:func:`build` is ``recdata build`` as a function; :func:`fetch` is ``recdata fetch``. Both log
(``recdata.pipeline``) and never print; the CLI turns ``progress`` messages into a status line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from recdata import schema as S
from recdata.dataset import (
    DatasetTables,
    GraphRecord,
    IndexRecord,
    Manifest,
    SourceRecord,
    SplitRecord,
    StepRecord,
    write_dataset,
)
from recdata.errors import RecdataError, RecipeError, StatsMismatch, StepFailed, UsageError
from recdata.normalize._mapping import (
    TableSpec,
    aggregate_tags,
    apply_lookup,
    canonical_interactions,
    first_per_key,
    map_table,
    read_table,
    social_edges,
)
from recdata.recipe import Recipe, recipe_hash, resolve
from recdata.recipe._steps import (
    ActivityFilterStep,
    DedupStep,
    FilterRatingStep,
    ImplicitLabelStep,
    KcoreStep,
    SampleUsersStep,
    TimeWindowStep,
)
from recdata.sources import FetchedSource

log = logging.getLogger("recdata.pipeline")

Progress = Callable[[str], None]
_RAW_USER, _RAW_ITEM = S.USER_ID, S.ITEM_ID


@dataclass
class _Log:
    """Stage messages for the CLI (callback) and timings for ``build.log`` (never the manifest)."""

    callback: Progress | None
    lines: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)

    def stage(self, message: str, *, last: bool = False) -> None:
        """Start stage ``message`` (``last``: the end of the build, logged but not a stage)."""
        log.info("%s", message)
        self.lines.append(f"[{time.perf_counter() - self.started:8.2f}s] {message}")
        if self.callback is not None and not last:
            self.callback(message)


def _counts(lf: pl.LazyFrame | pl.DataFrame) -> dict[str, int]:
    row = (
        lf.lazy()
        .select(
            pl.len().alias("interactions"),
            pl.col(_RAW_USER).n_unique().alias("users"),
            pl.col(_RAW_ITEM).n_unique().alias("items"),
        )
        .collect()
        .row(0, named=True)
    )
    return {k: int(v) for k, v in row.items()}


# --------------------------------------------------------------------------- fetch


def fetch(
    recipe: str | Path | Recipe,
    *,
    overrides: Iterable[str] = (),
    raw_dir: str | Path | None = None,
    mirror: str | None = None,
    home: str | Path | None = None,
    strict: bool = False,
    progress: bool | None = None,
) -> dict[str, FetchedSource]:
    """Download (or take from ``raw_dir``/mirror/cache) and verify every source of a recipe."""
    from recdata.sources import fetch as fetch_sources

    resolved = resolve(recipe, overrides)
    if not resolved.sources:
        return {}
    return fetch_sources(
        resolved.sources,
        home=Path(home) if home is not None else None,
        raw_dir=Path(raw_dir) if raw_dir is not None else None,
        mirror=mirror,
        strict=strict,
        progress=progress,
    )


# --------------------------------------------------------------------------- reading


def _table_path(spec: TableSpec, fetched: dict[str, FetchedSource]) -> Path | None:
    got = fetched[spec.source]
    if got.missing or got.path is None:
        return None
    if spec.member is None:
        return got.path
    key = "/".join(p for p in spec.member.replace("\\", "/").split("/") if p not in ("", "."))
    if key in got.members:
        return got.members[key]
    raise RecipeError(
        f"source {spec.source!r} has no member {spec.member!r}; has {sorted(got.members)}"
    )


def _read(
    spec: TableSpec, path: Path, kind: str, warnings: list[str], fetched: dict[str, FetchedSource]
) -> pl.DataFrame:
    raw, bad = read_table(spec, path)
    if bad:
        warnings.append(f"{kind}: skipped {bad:,} malformed line(s) of {path.name}")
    frame = map_table(raw, spec, path=path.name)
    if spec.lookup is not None:
        lookup_path = _table_path(spec.lookup, fetched)
        if lookup_path is None:
            warnings.append(
                f"{kind}: lookup table {spec.lookup.source!r} is missing; {spec.lookup.column} kept as is"
            )
        else:
            table = _read(spec.lookup, lookup_path, f"{kind} lookup", warnings, fetched)
            frame = apply_lookup(frame, spec.lookup, table)
    return frame


def _synthetic(recipe: Recipe) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Generated interactions (canonical columns, epoch seconds -> timestamps) and items."""
    from recdata.synthetic import generate
    from recdata.transforms import to_timestamp

    assert recipe.synthetic is not None
    spec = recipe.synthetic
    data = generate(spec.size, n_users=spec.n_users, n_items=spec.n_items, seed=spec.seed)
    inter = to_timestamp(data.interactions.lazy(), column=S.TIME, unit="s").collect()
    return canonical_interactions(inter), data.items


# --------------------------------------------------------------------------- steps


def _run_step(step: Any, lf: pl.LazyFrame) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Apply one step to a raw-id frame; returns the result and step-only details."""
    from recdata import transforms as T

    ids = {"user": _RAW_USER, "item": _RAW_ITEM}
    if isinstance(step, DedupStep):
        return T.dedup(lf, keep=step.keep, time=S.TIME, **ids).collect(), {}
    if isinstance(step, FilterRatingStep):
        return T.filter_rating(lf, min_rating=step.min_rating).collect(), {}
    if isinstance(step, ImplicitLabelStep):
        return T.implicit_label(lf, threshold=step.threshold, label=step.label).collect(), {}
    if isinstance(step, KcoreStep):
        out, report = T.kcore_report(
            lf,
            user_k=step.user_k,
            item_k=step.item_k,
            mode=step.mode,
            max_rounds=step.max_rounds,
            **ids,
        )
        return out, {"rounds": report.rounds, "converged": report.converged}
    if isinstance(step, ActivityFilterStep):
        return T.activity_filter(
            lf,
            min_interactions=step.min_interactions,
            max_interactions=step.max_interactions,
            user=_RAW_USER,
        ).collect(), {}
    if isinstance(step, TimeWindowStep):
        return T.time_window(lf, start=step.start, end=step.end, time=S.TIME).collect(), {}
    if isinstance(step, SampleUsersStep):
        return T.sample_users(
            lf, n=step.n, fraction=step.fraction, seed=step.seed, user=_RAW_USER
        ).collect(), {}
    raise RecipeError(f"unknown step {step!r}")


def _check_expected(
    recipe: Recipe, stage: str, counts: dict[str, int], problems: list[str]
) -> None:
    want = recipe.expected.get(stage)
    if want is not None:
        problems.extend(f"{stage}: {m}" for m in want.mismatches(counts))


# --------------------------------------------------------------------------- items and users


def _join_meta(base: pl.DataFrame, meta: pl.DataFrame | None, key: str) -> pl.DataFrame:
    if meta is None:
        return base
    meta = first_per_key(meta, key)
    extra = [c for c in meta.columns if c != key and c not in base.columns]
    return base.join(meta.select(key, *extra), on=key, how="left", maintain_order="left")


def _items(
    item_map: pl.DataFrame, meta: pl.DataFrame | None, tags: pl.DataFrame | None
) -> pl.DataFrame:
    items = _join_meta(item_map, meta, S.ITEM_ID)
    if tags is not None:
        items = items.join(tags, on=S.ITEM_ID, how="left", maintain_order="left")
    return items


# --------------------------------------------------------------------------- build


def _default_out(recipe: Recipe) -> Path:
    return Path.cwd() / recipe.name.replace("@", "-")


def build(
    recipe: str | Path | Recipe,
    *,
    out: str | Path | None = None,
    overrides: Iterable[str] = (),
    raw_dir: str | Path | None = None,
    mirror: str | None = None,
    home: str | Path | None = None,
    features: bool = True,
    strict: bool = False,
    check_stats: bool | None = None,
    progress: bool | Progress | None = None,
    overwrite: bool = False,
) -> Path:
    """Build a dataset folder from a recipe (catalog name, YAML file or :class:`Recipe`).

    Parameters
    ----------
    out
        The folder to write (default ``./<name>``); must not exist unless ``overwrite``.
    overrides
        ``key=value`` strings applied to the resolved recipe (``steps.kcore.user_k=10``).
    raw_dir, mirror, home, strict
        Passed to :func:`recdata.sources.fetch`.
    features
        Compute the recipe's features and graphs (``--no-features`` turns them off).
    check_stats
        Override the recipe's ``check_stats`` (a mismatch raises :class:`StatsMismatch`).
    progress
        A callable receiving stage messages (the CLI's also has ``bar(description, total)``,
        the embedding steps' items done / total), or a bool for the download/embedding bars.

    Returns the folder written. A failed build leaves no folder behind.
    """
    stage = _Log(progress if callable(progress) else None)
    bars = progress if isinstance(progress, bool) else None
    item_bars = getattr(progress, "bar", None) if callable(progress) else None
    resolved = resolve(recipe, overrides)
    if check_stats is not None:
        resolved = resolved.model_copy(update={"check_stats": check_stats})
    out_path = Path(out) if out is not None else _default_out(resolved)
    if out_path.exists() and not overwrite:
        raise UsageError(f"{out_path} already exists; choose another -o folder or pass --overwrite")
    warnings: list[str] = []

    # fetch and read
    fetched: dict[str, FetchedSource] = {}
    source_records: list[SourceRecord] = []
    if resolved.synthetic is not None:
        stage.stage(f"generating {resolved.synthetic.size:,} synthetic interactions")
        inter, items_meta = _synthetic(resolved)
        users_meta = tags = social = None
    else:
        stage.stage(f"fetching {len(resolved.sources)} source(s)")
        fetched = fetch(
            resolved, raw_dir=raw_dir, mirror=mirror, home=home, strict=strict, progress=bars
        )
        for source in resolved.sources:
            got = fetched[source.name]
            url = (
                source.urls[0]
                if source.urls
                else (source.hf.url if source.hf else f"manual:{source.file_name}")
            )
            if got.missing:
                warnings.append(
                    f"optional source {source.name!r} ({source.file_name}) is missing; built without it"
                )
            source_records.append(
                SourceRecord(
                    name=source.name,
                    url=url,
                    sha256=got.sha256,
                    bytes=got.size,
                    trusted_on_first_use=got.trusted_on_first_use,
                    missing=got.missing,
                )
            )
        assert resolved.interactions is not None
        stage.stage("reading interactions")
        path = _table_path(resolved.interactions, fetched)
        assert path is not None
        inter = canonical_interactions(
            _read(resolved.interactions, path, "interactions", warnings, fetched)
        )
        keyed = inter.filter(pl.col(_RAW_USER).is_not_null() & pl.col(_RAW_ITEM).is_not_null())
        if keyed.height < inter.height:
            warnings.append(
                f"interactions: dropped {inter.height - keyed.height:,} row(s) of {path.name} "
                "without a user or item id"
            )
            inter = keyed
        items_meta = users_meta = tags = social = None
        for kind in ("items", "users", "item_tags", "social"):
            spec: TableSpec | None = getattr(resolved, kind)
            if spec is None:
                continue
            table_path = _table_path(spec, fetched)
            if table_path is None:
                continue
            stage.stage(f"reading {kind}")
            frame = _read(spec, table_path, kind, warnings, fetched)
            if kind == "items":
                items_meta = frame
            elif kind == "users":
                users_meta = frame
            elif kind == "social":
                social = frame
            else:
                tags = aggregate_tags(frame)

    # steps
    problems: list[str] = []
    counts = _counts(inter)
    stages: dict[str, dict[str, int]] = {"raw": counts}
    _check_expected(resolved, "raw", counts, problems)
    step_records: list[StepRecord] = []
    for step in resolved.steps:
        stage.stage(f"step {step.key}")
        try:
            after, details = _run_step(step, inter.lazy())
        except RecdataError:
            raise
        except Exception as exc:  # noqa: BLE001 - wrapped with the step's name
            raise StepFailed(step.key, f"{type(exc).__name__}: {exc}") from exc
        new_counts = _counts(after)
        details = {
            **details,
            "users_before": counts["users"],
            "users_after": new_counts["users"],
            "items_before": counts["items"],
            "items_after": new_counts["items"],
        }
        step_records.append(
            StepRecord(
                name=step.key,
                params={"step": step.step, **step.params()},
                rows_before=counts["interactions"],
                rows_after=new_counts["interactions"],
                details=details,
            )
        )
        inter, counts = after, new_counts
        stages[step.key] = counts
        _check_expected(resolved, step.key, counts, problems)
    stages["final"] = counts
    _check_expected(resolved, "final", counts, problems)
    if problems and resolved.check_stats:
        raise StatsMismatch(
            f"{resolved.name}: statistics differ from the recipe's expected ones: {'; '.join(problems)} "
            "(the source may have changed; --set check_stats=false builds anyway)",
            expected={k: v.model_dump() for k, v in resolved.expected.items()},
            actual=stages,
        )
    for problem in problems:
        warnings.append(f"expected statistics differ: {problem}")
    if counts["interactions"] == 0:
        raise StepFailed(
            step_records[-1].name if step_records else "read", "no interaction is left"
        )

    # indices
    stage.stage("assigning indices")
    from recdata.transforms import index_ids

    indexed = index_ids(
        inter.lazy(), user=_RAW_USER, item=_RAW_ITEM, time=S.TIME, order=resolved.index.order
    )
    interactions = indexed.interactions
    items = _items(indexed.item_map, items_meta, tags)
    users = _join_meta(indexed.user_map, users_meta, S.USER_ID)

    # splits
    split_tables: dict[str, dict[str, pl.DataFrame]] = {}
    split_records: dict[str, SplitRecord] = {}
    from recdata.splits import SPLITTERS

    for name, spec in resolved.splits.items():
        stage.stage(f"split {name} ({spec.protocol})")
        try:
            split = SPLITTERS[spec.protocol](interactions.lazy(), **spec.params())
        except RecdataError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise StepFailed(f"split {name}", f"{type(exc).__name__}: {exc}") from exc
        train, valid, test = split.collect()
        split_tables[name] = {"train": train, "valid": valid, "test": test}
        split_records[name] = SplitRecord(
            protocol=split.protocol,
            params=spec.params(),
            partition=split.partition,
            ordered=split.ordered,
            report=split.report.model_dump(mode="json"),
            history=S.HISTORY in train.columns,
        )
    default_split = next(iter(resolved.splits), None)

    # features and graphs
    feature_frames: dict[str, pl.DataFrame] = {}
    graph_frames: dict[str, pl.DataFrame] = {}
    feature_records: dict = {}
    graph_records: dict = {}
    if features and (resolved.features is not None or resolved.graphs is not None):
        stage.stage("features and graphs")
        try:
            from recdata.features import FeaturesSpec, GraphsSpec, compute_features
        except ImportError as exc:  # pragma: no cover - the features package ships with recdata
            warnings.append(f"features skipped: {exc}")
        else:
            graphs_spec = resolved.graphs or GraphsSpec(
                user_item=None, item_item=None, item_knn=None
            )
            feature_spec = resolved.features or FeaturesSpec(text=None, image=None, item_text=False)
            graph_split = graphs_spec.split or default_split
            train = split_tables[graph_split]["train"] if graph_split in split_tables else None
            if graphs_spec.split is not None and graph_split not in split_tables:
                raise RecipeError(
                    f"graphs.split {graph_split!r} is not one of the splits {list(split_tables)}"
                )
            result = compute_features(
                items,
                train,
                features=feature_spec,
                graphs=graphs_spec,
                split=graph_split,
                progress=item_bars if item_bars is not None else bars,
            )
            feature_frames, graph_frames = result.features, result.graphs
            feature_records, graph_records = result.feature_records, result.graph_records
            warnings.extend(result.warnings)

    if social is not None:
        edges = social_edges(social, indexed.user_map)
        graph_frames = {**graph_frames, "social": edges}
        graph_records = {
            **graph_records,
            "graphs/social.parquet": GraphRecord(
                kind="social",
                split=None,
                params={"source": resolved.social.source, "symmetric": False, "weight": 1.0},
                stats={
                    "edges": edges.height,
                    "users": int(edges["src"].n_unique()) if edges.height else 0,
                },
            ),
        }

    # statistics and folder
    stage.stage("writing the folder")
    from recdata.statistics import interaction_stats

    statistics: dict[str, Any] = {
        "interactions": interaction_stats(interactions.lazy()),
        "stages": stages,
        "splits": {
            name: {part: int(frame.height) for part, frame in parts.items()}
            for name, parts in split_tables.items()
        },
    }
    manifest = Manifest(
        name=resolved.name,
        recipe=resolved.resolved(),
        recipe_hash=recipe_hash(resolved),
        sources=source_records,
        steps=step_records,
        index=IndexRecord(user_order=resolved.index.order, item_order=resolved.index.order),
        default_split=default_split,
        splits=split_records,
        features=feature_records,
        graphs=graph_records,
        statistics=statistics,
        warnings=warnings,
    )
    for warning in warnings:
        log.warning("%s", warning)
    build_log = _build_log(stage, resolved, fetched, raw_dir)
    path = write_dataset(
        out_path,
        DatasetTables(
            interactions=interactions,
            items=items,
            users=users,
            splits=split_tables,
            features=feature_frames,
            graphs=graph_frames,
        ),
        manifest,
        overwrite=overwrite,
        build_log=build_log,
    )
    stage.stage(f"done: {path}", last=True)
    return path


def _build_log(stage: _Log, recipe: Recipe, fetched: dict[str, FetchedSource], raw_dir: Any) -> str:
    lines = [f"recipe: {recipe.name}"]
    if raw_dir is not None:
        lines.append(f"raw_dir: {Path(raw_dir).resolve()}")
    for name, got in fetched.items():
        lines.append(f"source {name}: {got.path} (from {got.url})")
    lines.extend(stage.lines)
    return "\n".join(lines) + "\n"


__all__ = ["build", "fetch"]
