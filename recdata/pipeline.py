"""Run a recipe: read -> map -> steps -> index -> splits -> graphs/features -> statistics -> write.

:func:`build` is ``recdata build`` as a function; :func:`fetch` is ``recdata fetch``. Both log
(``recdata.pipeline``) and never print; the CLI turns ``progress`` messages into a status line.
Reading and mapping run here (polars); the data stages run on an engine
(:mod:`recdata.engines`: ``polars`` here, or ``spark``), and the folder is written here.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from recdata import schema as S
from recdata._atomic import check_target
from recdata.dataset import (
    DatasetTables,
    GraphRecord,
    IndexRecord,
    Manifest,
    SourceRecord,
    StepRecord,
)
from recdata.dataset._folder import dataset_writer
from recdata.engines import Engine, Indexed, SplitResult, get_engine
from recdata.errors import RecdataError, RecipeError, StatsMismatch, StepFailed
from recdata.events import check_events, map_impressions
from recdata.normalize._mapping import (
    TableSpec,
    add_clean_counts,
    aggregate_tags,
    apply_lookup,
    canonical_interactions,
    first_per_key,
    interactions_frame,
    map_table_report,
    read_table,
    social_edges,
)
from recdata.recipe import Recipe, recipe_hash, resolve
from recdata.sources import FetchedSource

log = logging.getLogger("recdata.pipeline")

Progress = Callable[[str], None]
_RAW_USER = S.USER_ID


@dataclass
class _Log:
    """Stage messages for the CLI (callback) and timings for ``build.log`` (never the manifest)."""

    callback: Progress | None
    lines: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)

    def stage(self, message: str) -> None:
        memory = _memory_note()
        log.info("%s%s", message, memory)
        self.lines.append(f"[{time.perf_counter() - self.started:8.2f}s] {message}{memory}")
        if self.callback is not None:
            self.callback(message)


def _memory_note() -> str:
    """`` (rss X GB, peak so far Y GB)`` of this process on Linux, for build.log; else ``""``."""
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
        values = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        rss, peak = (int(values[k].split()[0]) * 1024 / 1e9 for k in ("VmRSS", "VmHWM"))
    except (OSError, KeyError, ValueError):
        return ""
    return f" (rss {rss:.2f} GB, peak so far {peak:.2f} GB)"


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
    spec: TableSpec,
    path: Path,
    kind: str,
    warnings: list[str],
    fetched: dict[str, FetchedSource],
    normalisations: dict[str, Any] | None = None,
) -> pl.DataFrame:
    raw, bad = read_table(spec, path)
    frame, cleaned = map_table_report(raw, spec, path=path.name)
    _file_notes(spec, path, kind, bad, cleaned, warnings, normalisations)
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


def _file_notes(
    spec: TableSpec,
    path: Path,
    kind: str,
    bad: int,
    cleaned: dict[str, dict[str, Any]],
    warnings: list[str],
    normalisations: dict[str, Any] | None,
) -> None:
    """One file's skipped lines (a warning) and ``clean:`` counts (the manifest)."""
    if bad:
        warnings.append(f"{kind}: skipped {bad:,} malformed line(s) of {path.name}")
    if cleaned and normalisations is not None:
        where = spec.source if spec.member is None else f"{spec.source}:{spec.member}"
        _add_normalisations(normalisations, kind, where, cleaned)


def _add_normalisations(
    normalisations: dict[str, Any], kind: str, where: str, cleaned: dict[str, dict[str, Any]]
) -> None:
    """Record one file's ``clean:`` counts; a table read from several files sums them."""
    if kind not in normalisations:
        normalisations[kind] = {"source": where, "fields": cleaned}
        return
    add_clean_counts(normalisations[kind]["fields"], cleaned)


def _table_files(
    spec: TableSpec, path: Path, kind: str, warnings: list[str], fetched: dict[str, FetchedSource]
) -> list[tuple[TableSpec, Path]]:
    """The table's file, then each of its ``also`` files present (same format and mapping)."""
    files = [(spec, path)]
    for ref in spec.also:
        other = spec.model_copy(update={"source": ref.source, "member": ref.member, "also": []})
        other_path = _table_path(other, fetched)
        if other_path is None:
            warnings.append(f"{kind}: optional file {ref.member or ref.source!r} is missing")
            continue
        files.append((other, other_path))
    return files


def _read_all(
    spec: TableSpec,
    path: Path,
    kind: str,
    warnings: list[str],
    fetched: dict[str, FetchedSource],
    normalisations: dict[str, Any] | None = None,
) -> pl.DataFrame:
    """The table's files (:func:`_table_files`), each read and mapped, appended."""
    frames = [
        _read(one, one_path, kind, warnings, fetched, normalisations)
        for one, one_path in _table_files(spec, path, kind, warnings, fetched)
    ]
    return frames[0] if len(frames) == 1 else pl.concat(frames, how="diagonal_relaxed")


def _synthetic(recipe: Recipe) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Generated interactions (canonical columns, epoch seconds -> timestamps) and items."""
    from recdata.synthetic import generate
    from recdata.transforms import to_timestamp

    assert recipe.synthetic is not None
    spec = recipe.synthetic
    data = generate(
        spec.size, n_users=spec.n_users, n_items=spec.n_items, seed=spec.seed, categorical=True
    )
    inter = to_timestamp(data.interactions.lazy(), column=S.TIME, unit="s").collect()
    return canonical_interactions(inter), data.items


# --------------------------------------------------------------------------- read and map


@dataclass
class _Inputs:
    """Stage ``read``: the mapped tables (polars, on the driver) and what was fetched."""

    interactions: pl.DataFrame
    loaded: Any = None
    """The interactions as the engine's frame when the engine read them itself."""
    items: pl.DataFrame | None = None
    users: pl.DataFrame | None = None
    tags: pl.DataFrame | None = None
    social: pl.DataFrame | None = None
    fetched: dict[str, FetchedSource] = field(default_factory=dict)
    sources: list[SourceRecord] = field(default_factory=list)
    normalisations: dict[str, Any] = field(default_factory=dict)
    """Per table, the values each ``clean:`` field changed and nulled (manifest statistics)."""
    users_are_sessions: bool = False
    """The source has sessions and no users: each session is its own user."""


def _source_records(
    recipe: Recipe, fetched: dict[str, FetchedSource], warnings: list[str]
) -> list[SourceRecord]:
    records = []
    for source in recipe.sources:
        got = fetched[source.name]
        url = (
            source.urls[0]
            if source.urls
            else (source.hf.url if source.hf else f"manual:{source.file_name}")
        )
        if got.variant and got.path is not None:
            url = f"manual:{got.path.name}"
        if got.missing:
            warnings.append(
                f"optional source {source.name!r} ({source.file_name}) is missing; built without it"
            )
        records.append(
            SourceRecord(
                name=source.name,
                url=url,
                sha256=got.sha256,
                bytes=got.size,
                trusted_on_first_use=got.trusted_on_first_use,
                missing=got.missing,
            )
        )
    return records


Fits = Callable[[int, str], None]
"""``fits(rows, what)`` raises :class:`UsageError` when ``rows`` interactions will not fit."""


def _memory_check(engine: Engine[Any]) -> Fits:
    """The polars engine's memory check (a budget taken now); no check for other engines."""
    if engine.name != "polars":
        return lambda rows, what: None
    from recdata.engines.polars._memory import check_fits, memory_budget

    budget = memory_budget()
    return lambda rows, what: check_fits(rows, what=what, budget=budget)


def _read_inputs(
    engine: Engine[Any],
    recipe: Recipe,
    stage: _Log,
    warnings: list[str],
    fits: Fits,
    **fetch_options: Any,
) -> _Inputs:
    """Fetch the sources (or generate), read and map every table into canonical columns."""
    if recipe.synthetic is not None:
        fits(recipe.synthetic.size, f"{recipe.name} (size={recipe.synthetic.size})")
        stage.stage(f"generating {recipe.synthetic.size:,} synthetic interactions")
        inter, items_meta = _synthetic(recipe)
        return _Inputs(inter, items=items_meta)
    engine.prepare_read()  # e.g. Spark's Python workers start while the sources are fetched
    stage.stage(f"fetching {len(recipe.sources)} source(s)")
    fetched = fetch(recipe, **fetch_options)
    inputs = _Inputs(pl.DataFrame(), fetched=fetched)
    inputs.sources = _source_records(recipe, fetched, warnings)
    assert recipe.interactions is not None
    stage.stage("reading interactions")
    spec = recipe.interactions
    path = _table_path(spec, fetched)
    assert path is not None
    fields = spec.fields
    if S.SESSION in fields:  # where the source has no users, each session is its own user
        inputs.users_are_sessions = fields.get(_RAW_USER, fields[S.SESSION]) == fields[S.SESSION]
    where = f"interactions ({path.name})"
    files = _table_files(spec, path, "interactions", warnings, fetched)
    read = engine.read_interactions(files, events=recipe.events, where=where)
    if read is not None:  # the engine read and mapped the files itself
        stage.stage(read.how or "read and mapped by the engine")
        for (one, one_path), (bad, cleaned) in zip(files, read.per_file, strict=True):
            _file_notes(
                one, one_path, "interactions", bad, cleaned, warnings, inputs.normalisations
            )
        dropped, inputs.loaded = read.dropped, read.frame
    else:
        from recdata.engines.polars._memory import rows_from_file

        fits(rows_from_file(path, spec.format), path.name)
        inter = _read_all(spec, path, "interactions", warnings, fetched, inputs.normalisations)
        check_events(inter, recipe.events, where=where)
        fits(inter.height, path.name)
        inputs.interactions, dropped = interactions_frame(inter, spec)
    if dropped:
        warnings.append(
            f"interactions: dropped {dropped:,} row(s) of {path.name} without a user or item id"
        )
    for kind in ("items", "users", "item_tags", "social"):
        spec: TableSpec | None = getattr(recipe, kind)
        if spec is None:
            continue
        table_path = _table_path(spec, fetched)
        if table_path is None:
            continue
        stage.stage(f"reading {kind}")
        frame = _read_all(spec, table_path, kind, warnings, fetched, inputs.normalisations)
        if kind == "item_tags":
            inputs.tags = aggregate_tags(frame)
        else:
            setattr(inputs, kind, frame)
    return inputs


def _variant_checks(
    recipe: Recipe, fetched: dict[str, FetchedSource], warnings: list[str]
) -> Recipe:
    """The recipe whose ``expected`` the build checks: none when a source is a variant (a
    sample of the file the statistics describe)."""
    variants = [
        f"{name} is the variant {got.variant!r}" for name, got in fetched.items() if got.variant
    ]
    if not variants:
        return recipe
    warnings.append(
        f"built from a variant of the raw file ({'; '.join(variants)}): the recipe's expected "
        "statistics are the full file's and were not checked"
    )
    return recipe.model_copy(update={"expected": {}})


def _session_stats(sessions: int, rows: int, users_are_sessions: bool) -> dict[str, Any]:
    """Sessions, their mean length and whether users are sessions (manifest statistics)."""
    return {
        "sessions": sessions,
        "mean_length": round(rows / sessions, 6) if sessions else 0.0,
        "users_are_sessions": users_are_sessions,
    }


# --------------------------------------------------------------------------- steps


def _check_expected(
    recipe: Recipe, stage: str, counts: dict[str, int], problems: list[str]
) -> None:
    want = recipe.expected.get(stage)
    if want is not None:
        problems.extend(f"{stage}: {m}" for m in want.mismatches(counts))


def _failed(engine: Engine[Any], stage: str, exc: Exception) -> StepFailed:
    """``exc`` raised in ``stage`` as a StepFailed, in the engine's one-line words when it is
    the engine's own failure (Spark's Java trace is not a message)."""
    known = engine.explain(exc)
    return StepFailed(stage, str(known) if known is not None else f"{type(exc).__name__}: {exc}")


def _run_steps(
    engine: Engine[Any], recipe: Recipe, inter: Any, stage: _Log, warnings: list[str]
) -> tuple[Any, list[StepRecord], dict[str, dict[str, int]]]:
    """Stage ``steps``: each recipe step in order, with counts before/after and the checks."""
    problems: list[str] = []
    counts = engine.counts(inter)
    stages: dict[str, dict[str, int]] = {"raw": counts}
    _check_expected(recipe, "raw", counts, problems)
    records: list[StepRecord] = []
    for step in recipe.steps:
        stage.stage(f"step {step.key}")
        try:
            after, details = engine.step(step, inter)
        except RecdataError:
            raise
        except Exception as exc:  # noqa: BLE001 - wrapped with the step's name
            raise _failed(engine, step.key, exc) from exc
        new_counts = engine.counts(after)
        details = {
            **details,
            "users_before": counts["users"],
            "users_after": new_counts["users"],
            "items_before": counts["items"],
            "items_after": new_counts["items"],
        }
        records.append(
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
        _check_expected(recipe, step.key, counts, problems)
    stages["final"] = counts
    _check_expected(recipe, "final", counts, problems)
    if problems and recipe.check_stats:
        raise StatsMismatch(
            f"{recipe.name}: statistics differ from the recipe's expected ones: {'; '.join(problems)} "
            "(the source may have changed; --set check_stats=false builds anyway)",
            expected={k: v.model_dump() for k, v in recipe.expected.items()},
            actual=stages,
        )
    warnings.extend(f"expected statistics differ: {problem}" for problem in problems)
    if counts["interactions"] == 0:
        raise StepFailed(records[-1].name if records else "read", "no interaction is left")
    return inter, records, stages


# --------------------------------------------------------------------------- index, items and users


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


# --------------------------------------------------------------------------- splits


def _run_splits(
    engine: Engine[Any], recipe: Recipe, interactions: Any, stage: _Log
) -> dict[str, SplitResult[Any]]:
    """Stage ``splits``: every split protocol of the recipe over the indexed interactions."""
    out: dict[str, SplitResult[Any]] = {}
    for name, spec in recipe.splits.items():
        stage.stage(f"split {name} ({spec.protocol})")
        try:
            out[name] = engine.split(interactions, protocol=spec.protocol, params=spec.params())
        except RecdataError:
            raise
        except Exception as exc:  # noqa: BLE001 - wrapped with the split's name
            raise _failed(engine, f"split {name}", exc) from exc
    return out


# --------------------------------------------------------------------------- candidates


@dataclass
class _Candidates:
    """Stage ``candidates``: ``{protocol: {part: frame}}`` and ``{protocol: record}``."""

    frames: dict[str, dict[str, pl.DataFrame]] = field(default_factory=dict)
    records: dict[str, Any] = field(default_factory=dict)


def _run_candidates(
    engine: Engine[Any],
    recipe: Recipe,
    interactions: Any,
    splits: dict[str, SplitResult[Any]],
    n_items: int,
    n_users: int,
    stage: _Log,
) -> _Candidates:
    """Seeded evaluation candidates of the chosen splits (numpy, over collected frames)."""
    out = _Candidates()
    spec = recipe.candidates
    if spec is None or not splits:
        return out
    from recdata.candidates import compute_candidates

    wanted = spec.protocols or [next(iter(recipe.splits))]
    names = list(splits) if "all" in wanted else list(dict.fromkeys(wanted))
    inter = engine.collect(interactions).lazy()
    for name in names:
        stage.stage(f"candidates {name} ({spec.sampler}, n={spec.n})")
        parts = {p: engine.collect(f).lazy() for p, f in splits[name].parts.items()}
        result = compute_candidates(
            inter, parts, protocol=name, spec=spec, n_items=n_items, n_users=n_users
        )
        out.frames[name] = result.frames
        out.records[name] = result.record
    return out


# --------------------------------------------------------------------------- graphs and features


@dataclass
class _Extras:
    """Stage ``graphs/features``: frames under features/ and graphs/ with their records."""

    features: dict[str, pl.DataFrame] = field(default_factory=dict)
    graphs: dict[str, pl.DataFrame] = field(default_factory=dict)
    feature_records: dict[str, Any] = field(default_factory=dict)
    graph_records: dict[str, Any] = field(default_factory=dict)


def _features_and_graphs(
    engine: Engine[Any],
    recipe: Recipe,
    items: pl.DataFrame,
    splits: dict[str, SplitResult[Any]],
    stage: _Log,
    warnings: list[str],
    bars: bool | Callable[[str, int], Any] | None,
) -> _Extras:
    """Texts and embeddings (here, over the items table) and train graphs (on the engine)."""
    out = _Extras()
    if recipe.features is None and recipe.graphs is None:
        return out
    stage.stage("features and graphs")
    try:
        from recdata.features import FeaturesSpec, GraphsSpec, compute_features
    except ImportError as exc:  # pragma: no cover - the features package ships with recdata
        warnings.append(f"features skipped: {exc}")
        return out
    graphs_spec = recipe.graphs or GraphsSpec(user_item=None, item_item=None, item_knn=None)
    feature_spec = recipe.features or FeaturesSpec(text=None, image=None, item_text=False)
    graph_split = graphs_spec.split or next(iter(recipe.splits), None)
    if graphs_spec.split is not None and graph_split not in splits:
        raise RecipeError(f"graphs.split {graph_split!r} is not one of the splits {list(splits)}")
    train = splits[graph_split].parts["train"] if graph_split in splits else None
    result = compute_features(
        items,
        train,
        features=feature_spec,
        graphs=graphs_spec,
        split=graph_split,
        progress=bars,
        engine=engine,
    )
    warnings.extend(result.warnings)
    return _Extras(result.features, result.graphs, result.feature_records, result.graph_records)


def _social(recipe: Recipe, social: pl.DataFrame, user_map: pl.DataFrame, extras: _Extras) -> None:
    """The social graph (user -> user edges from the source) added to ``extras``."""
    assert recipe.social is not None
    edges = social_edges(social, user_map)
    extras.graphs = {**extras.graphs, "social": edges}
    extras.graph_records = {
        **extras.graph_records,
        "graphs/social.parquet": GraphRecord(
            kind="social",
            split=None,
            params={"source": recipe.social.source, "symmetric": False, "weight": 1.0},
            stats={
                "edges": edges.height,
                "users": int(edges["src"].n_unique()) if edges.height else 0,
            },
        ),
    }


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
    engine: str | Engine[Any] = "polars",
    spark_master: str | None = None,
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
    engine
        ``"polars"`` (here, the default), ``"spark"`` or an :class:`~recdata.engines.Engine`;
        both give the same folder contents.
    spark_master
        A Spark master URL for ``engine="spark"`` (default ``local[*]``, or ``SPARK_REMOTE``).

    Returns the folder written. A failed build leaves no folder behind.
    """
    stage = _Log(progress if callable(progress) else None)
    bars = progress if isinstance(progress, bool) else None
    item_bars = getattr(progress, "bar", None) if callable(progress) else None
    resolved = resolve(recipe, overrides)
    if check_stats is not None:
        resolved = resolved.model_copy(update={"check_stats": check_stats})
    out_path = Path(out) if out is not None else _default_out(resolved)
    protect = _protected(raw_dir=raw_dir, mirror=mirror, home=home)
    check_target(out_path, overwrite=overwrite, protect=protect)  # fail before any work
    eng = engine if isinstance(engine, Engine) else get_engine(engine, spark_master=spark_master)
    try:
        return _build(
            eng,
            resolved,
            out_path,
            stage,
            item_bars if item_bars is not None else bars,
            features,
            overwrite,
            raw_dir,
            dict(raw_dir=raw_dir, mirror=mirror, home=home, strict=strict, progress=bars),
            protect,
        )
    except RecdataError:
        raise
    except Exception as exc:  # the engine's own failure in its words; a bug as it is
        known = eng.explain(exc)
        if known is None:
            raise
        raise known from exc
    finally:
        if eng is not engine:
            eng.close()


def _build(
    engine: Engine[Any],
    recipe: Recipe,
    out_path: Path,
    stage: _Log,
    bars: bool | Callable[[str, int], Any] | None,
    features: bool,
    overwrite: bool,
    raw_dir: Any,
    fetch_options: dict[str, Any],
    protect: dict[str, list[Path]],
) -> Path:
    """The stages in order: read -> map -> steps -> index -> splits -> candidates -> the
    interactions' statistics and file -> graphs/features -> statistics -> write the rest."""
    warnings: list[str] = []
    inputs = _read_inputs(engine, recipe, stage, warnings, _memory_check(engine), **fetch_options)
    checked = _variant_checks(recipe, inputs.fetched, warnings)
    inter, step_records, stages = _run_steps(
        engine, checked, _hand_over(engine, inputs), stage, warnings
    )

    stage.stage("assigning indices")
    indexed: Indexed[Any] = engine.index(inter, order=recipe.index.order)
    del inter  # each stage's input is freed as soon as its output exists
    impressions = None
    if S.IMPRESSIONS in engine.columns(indexed.interactions):
        mapped, report = map_impressions(engine.collect(indexed.interactions), indexed.item_map)
        indexed = Indexed(engine.load(mapped), indexed.user_map, indexed.item_map)
        impressions = report.as_dict()
        if report.dropped_unindexed:
            warnings.append(
                f"impressions: dropped {report.dropped_unindexed:,} of {report.shown:,} shown "
                "item(s) that are not in the final item index"
            )
    items = _items(indexed.item_map, inputs.items, inputs.tags)
    users = _join_meta(indexed.user_map, inputs.users, S.USER_ID)

    splits = _run_splits(engine, recipe, indexed.interactions, stage)
    candidates = _run_candidates(
        engine, recipe, indexed.interactions, splits, items.height, users.height, stage
    )
    with dataset_writer(
        out_path,
        overwrite=overwrite,
        protect=protect,
        max_rows_per_file=recipe.output.max_rows_per_file,
    ) as writer:
        # the interactions are written (and their statistics taken) before the graphs and
        # then freed, so the graphs' pair counts run without them in memory
        stage.stage("saving the interactions")
        interaction_stats = engine.statistics(indexed.interactions)
        sessions = events = None
        columns = engine.columns(indexed.interactions)
        if S.SESSION in columns:
            sessions = _session_stats(
                engine.session_count(indexed.interactions),
                interaction_stats["interactions"],
                inputs.users_are_sessions,
            )
        if S.EVENT in columns:
            events = {
                "vocabulary": list(recipe.events or []),
                "counts": engine.event_counts(indexed.interactions),
            }
        # in ordered chunks: the engine need not hand the whole table over at once
        chunks = engine.collect_chunks(indexed.interactions)
        writer.write_interactions(chunks, rows=interaction_stats["interactions"])
        user_map = indexed.user_map
        del indexed

        extras = _Extras()
        if features:
            extras = _features_and_graphs(engine, recipe, items, splits, stage, warnings, bars)
        if inputs.social is not None:
            _social(recipe, inputs.social, user_map, extras)

        stage.stage("writing the folder")
        from recdata.statistics import coverage_shortfalls, coverage_stats

        coverage = {"items": coverage_stats(items), "users": coverage_stats(users)}
        for shortfall in coverage_shortfalls(coverage, recipe.expected_coverage):
            warnings.append(f"metadata coverage: {shortfall}")
        statistics = {
            "interactions": interaction_stats,
            "stages": stages,
            "splits": {name: split.sizes for name, split in splits.items()},
            "coverage": coverage,
        }
        if inputs.normalisations:
            statistics["normalisations"] = inputs.normalisations
        for name, split in splits.items():  # each part in ordered chunks, then let go
            for part, frame in split.parts.items():
                rows = split.sizes.get(part)
                if rows is None:  # no row count: the part is collected whole
                    writer.write_split_part(name, part, engine.collect(frame))
                else:
                    writer.write_split_part(name, part, engine.collect_chunks(frame), rows=rows)
        tables = _collect_tables(items, users, extras)
        if sessions is not None:
            statistics["sessions"] = sessions
        if events is not None:
            statistics["events"] = events
        if impressions is not None:
            statistics["impressions"] = impressions
        manifest = Manifest(
            name=recipe.name,
            recipe=recipe.resolved(),
            recipe_hash=recipe_hash(recipe),
            sources=inputs.sources,
            steps=step_records,
            index=IndexRecord(user_order=recipe.index.order, item_order=recipe.index.order),
            default_split=next(iter(recipe.splits), None),
            splits={name: split.record for name, split in splits.items()},
            features=extras.feature_records,
            graphs=extras.graph_records,
            candidates=dict(sorted(candidates.records.items())),
            statistics=statistics,
            warnings=warnings,
        )
        for warning in warnings:
            log.warning("%s", warning)
        tables.candidates = candidates.frames
        writer.write(tables, manifest, build_log=_build_log(stage, recipe, inputs.fetched, raw_dir))
    path = out_path
    stage.stage(f"done: {path}")
    return path


def _hand_over(engine: Engine[Any], inputs: _Inputs) -> Any:
    """The mapped interactions as an engine frame; ``inputs`` lets go of them (so the steps
    stage is their only holder and frees each step's input as soon as its output exists)."""
    if inputs.loaded is not None:
        loaded, inputs.loaded = inputs.loaded, None
        return loaded
    frame, inputs.interactions = inputs.interactions, pl.DataFrame()
    return engine.load(frame)


def _collect_tables(items: pl.DataFrame, users: pl.DataFrame, extras: _Extras) -> DatasetTables:
    """Stage ``write`` (first half): the tables not written yet (items, users, features,
    graphs; the interactions and the split parts are written from the engine's chunks)."""
    return DatasetTables(
        interactions=pl.DataFrame(),
        items=items,
        users=users,
        features=extras.features,
        graphs=extras.graphs,
    )


def _protected(*, raw_dir: Any, mirror: str | None, home: Any) -> dict[str, list[Path]]:
    """The folders a build reads from, which its output must not be, contain or lie in."""
    protect: dict[str, list[Path]] = {}
    if raw_dir is not None:
        protect["--raw-dir"] = [Path(raw_dir)]
    mirror = mirror if mirror is not None else os.environ.get("RECDATA_MIRROR")
    if mirror and "://" not in mirror:
        protect["--mirror"] = [Path(mirror)]
    if home is not None:
        protect["the download cache"] = [Path(home)]
    return protect


def _build_log(stage: _Log, recipe: Recipe, fetched: dict[str, FetchedSource], raw_dir: Any) -> str:
    lines = [f"recipe: {recipe.name}"]
    if raw_dir is not None:
        lines.append(f"raw_dir: {Path(raw_dir).resolve()}")
    for name, got in fetched.items():
        lines.append(f"source {name}: {got.path} (from {got.url})")
    lines.extend(stage.lines)
    return "\n".join(lines) + "\n"


__all__ = ["build", "fetch"]
