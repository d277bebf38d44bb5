"""The Spark engine: each stage of :class:`~recdata.engines.Engine` on Spark DataFrames."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl

from recdata import schema as S
from recdata._types import IndexOrder
from recdata.engines._base import Engine, Indexed, SplitResult, TableRead
from recdata.engines.polars import PolarsEngine
from recdata.engines.spark import _events, _graphs, _index, _sessions, _splits, _stats, _steps
from recdata.engines.spark._errors import explain_spark_failure, local_dir_of
from recdata.engines.spark._frames import (
    ROW,
    IdCodes,
    Staging,
    checkpoint,
    decode_ids,
    numbered_chunks,
    ordered_chunks,
    to_polars,
)
from recdata.engines.spark._session import shuffle_partitions, start_spark_session
from recdata.errors import RecdataError, UsageError
from recdata.recipe._steps import (
    ActivityFilterStep,
    DedupStep,
    DropRareItemsStep,
    DropShortSessionsStep,
    EventWeightsStep,
    ExposuresToImpressionsStep,
    FilterRatingStep,
    ImplicitLabelStep,
    KcoreStep,
    KeepEventsStep,
    RemoveRepeatsStep,
    SampleUsersStep,
    SessionizeStep,
    SrgnnStep,
    TimeWindowStep,
)

log = logging.getLogger("recdata.engines.spark")

_KNOWN_TYPES: dict[str, pl.DataType] = {
    S.INTERACTION: pl.Int64,
    S.USER: pl.Int32,
    S.ITEM: pl.Int32,
    S.HISTORY: pl.List(pl.Int32),
}


CHUNK_ROWS = 1 << 22
"""Rows per chunk moved between the driver and Spark (hand-over and collection), by default."""


class SparkEngine(Engine[Any]):
    """Stages on Apache Spark; the mapped interactions arrive from the driver with their source
    row number (``_row``), and finished tables return to the driver in order, a chunk at a time.

    ``master``: a Spark master URL (default ``local[*]``, or Spark Connect via
    ``SPARK_REMOTE``); ``spark``: an existing session to use (it is then not stopped);
    ``staging``: a folder every executor (and the driver) can read and write, for the
    hand-over and collection Parquet files; ``chunk_rows``: the rows of one such file, which
    bounds the driver's memory for moving tables; ``read_chunk_bytes`` and
    ``read_chunk_rows``: the bytes of a text file and the rows of a Parquet file one reading
    task takes (default 64 MB, 4M rows); ``read_on_driver``: read and map the interactions
    on the driver with polars and hand them over (what the tasks' reading is measured
    against)."""

    name = "spark"

    def __init__(
        self,
        *,
        master: str | None = None,
        spark: Any = None,
        staging: str | Path | None = None,
        conf: dict[str, str] | None = None,
        chunk_rows: int = CHUNK_ROWS,
        read_chunk_bytes: int | None = None,
        read_chunk_rows: int | None = None,
        read_on_driver: bool = False,
    ) -> None:
        if chunk_rows < 1:
            raise UsageError(f"SparkEngine: chunk_rows must be >= 1, got {chunk_rows}")
        self.chunk_rows = chunk_rows
        self.read_chunk_bytes = read_chunk_bytes
        self.read_chunk_rows = read_chunk_rows
        self.read_on_driver = read_on_driver
        self._own = spark is None
        self._spark = spark
        self._starting = start_spark_session(master, conf=conf) if spark is None else None
        self.staging = Staging(staging)
        self._schema: dict[str, pl.DataType] = dict(_KNOWN_TYPES)
        self._codes: dict[str, pl.Series] = {}
        self._known: tuple[Any, dict[str, int]] | None = None
        """The last frame whose counts a stage already knows, and those counts."""

    @property
    def spark(self) -> Any:
        """The session (waiting here for the end of its start-up, begun with the engine)."""
        if self._spark is None:
            assert self._starting is not None
            self._spark = self._starting.result()
        return self._spark

    # ------------------------------------------------------------------ data in and out

    def load(self, interactions: pl.DataFrame) -> Any:
        """The frame, in chunks of ``chunk_rows`` with their ``_row`` and coded ids, written to
        staging Parquet files that Spark reads (no whole-frame copy on the driver)."""
        clash = {ROW} & set(interactions.columns)
        if clash:
            raise UsageError(f"--engine spark: the interactions have a column named {ROW!r}")
        self._schema = {**interactions.schema, **_KNOWN_TYPES}
        codes = IdCodes(interactions)
        self._codes = codes.values
        self._scale_partitions(interactions.height)
        loaded = self.staging.put(self.spark, numbered_chunks(interactions, codes, self.chunk_rows))
        if {S.USER_ID, S.ITEM_ID} <= set(interactions.columns):  # counted here, not by a job
            self._known = (loaded, PolarsEngine().counts(interactions))
        return loaded

    def prepare_read(self) -> None:
        """Start Spark's Python workers (with recdata's readers imported) in the background,
        so the first reading pass does not wait for them (about 5 s on local[2])."""
        if self.read_on_driver:
            return
        from recdata.engines.spark import _reader

        def warm() -> None:
            try:
                _reader.run_tasks(self.spark, _reader.ready, 2)
            except Exception:  # noqa: BLE001 - only a head start; the read reports failures
                log.debug("warming the Python workers failed", exc_info=True)

        threading.Thread(target=warm, name="recdata-spark-warm", daemon=True).start()

    def read_interactions(
        self, files: list[tuple[Any, Path]], *, events: list[str] | None, where: str
    ) -> TableRead[Any] | None:
        """The files read and mapped by Spark tasks (:mod:`._reader`), ids coded as
        :meth:`load` codes them; ``None`` (logged with the reason) when the driver must read."""
        from recdata.engines.spark import _reader

        if self.read_on_driver:
            return None
        options = {
            name: value
            for name, value in (
                ("chunk_bytes", self.read_chunk_bytes),
                ("chunk_rows", self.read_chunk_rows),
            )
            if value is not None
        }
        try:
            table = _reader.read_interactions(
                self.spark, files, self.staging, events=events, where=where, **options
            )
        except _reader.DriverRead as why:
            log.warning(
                "--engine spark: the driver reads the interactions (%s); they must fit in its "
                "memory",
                why,
            )
            return None
        self._scale_partitions(table.rows)
        frame, self._codes = _reader.code_ids(self.spark, table, self.staging)
        self._schema = {**table.schema, **_KNOWN_TYPES}
        if {S.USER_ID, S.ITEM_ID} <= set(self._codes):  # counted here, not by a job
            counts = {
                "interactions": table.rows,
                "users": len(self._codes[S.USER_ID]),
                "items": len(self._codes[S.ITEM_ID]),
            }
            self._known = (frame, counts)
        return TableRead(frame, table.per_file, table.dropped, how=table.how)

    def _scale_partitions(self, rows: int) -> None:
        """Shuffle partitions for an input of ``rows``, when recdata chose them (a value the
        user set is kept)."""
        least = self._starting.partitions if self._starting is not None else None
        if least is not None:
            self.spark.conf.set(
                "spark.sql.shuffle.partitions", str(shuffle_partitions(least, rows))
            )

    def collect(self, frame: Any) -> pl.DataFrame:
        """Indexed frames in ``interaction_idx`` order; raw-id frames in source row order
        (without their ``_row``, ids decoded). The rows arrive unordered and are sorted here by
        that unique key (one driver sort instead of Spark's sampled range sort)."""
        if S.INTERACTION in frame.columns:
            frame = frame.drop(ROW) if ROW in frame.columns else frame
            return to_polars(frame, self._schema).sort(S.INTERACTION)
        if ROW in frame.columns:
            got = decode_ids(to_polars(frame).sort(ROW).drop(ROW), self._codes)
            return got.cast({k: v for k, v in self._schema.items() if k in got.columns})
        return to_polars(frame, self._schema)

    def collect_chunks(self, frame: Any) -> Iterator[pl.DataFrame]:
        """An indexed frame as :meth:`collect` gives it, in ranges of ``chunk_rows``
        ``interaction_idx`` values (written by Spark to staging, read back one by one)."""
        if S.INTERACTION not in frame.columns:
            yield self.collect(frame)
            return
        frame = frame.drop(ROW) if ROW in frame.columns else frame
        yield from ordered_chunks(
            frame,
            key=S.INTERACTION,
            rows=self.chunk_rows,
            staging=self.staging,
            schema=self._schema,
        )

    def explain(self, exc: Exception) -> RecdataError | None:
        """A Spark failure as one line: out of memory or disk with what to change, else the
        innermost Java cause."""
        local_dir = local_dir_of(self._spark) if self._spark is not None else None
        return explain_spark_failure(exc, local_dir=local_dir)

    def close(self) -> None:
        self.staging.close()
        if not self._own:
            return
        try:
            session = self.spark
        except Exception:  # noqa: BLE001 - a session that failed to start has nothing to stop
            log.debug("the Spark session never started", exc_info=True)
            return
        session.stop()

    # ------------------------------------------------------------------ stages

    def counts(self, frame: Any) -> dict[str, int]:
        from pyspark.sql import functions as F

        if self._known is not None and self._known[0] is frame:
            return dict(self._known[1])
        row = frame.agg(
            F.count(F.lit(1)).alias("interactions"),
            F.countDistinct(S.USER_ID).alias("users"),
            F.countDistinct(S.ITEM_ID).alias("items"),
        ).collect()[0]
        counts = {k: int(row[k]) for k in ("interactions", "users", "items")}
        self._known = (frame, counts)
        return dict(counts)

    def step(self, step: Any, frame: Any) -> tuple[Any, dict[str, Any]]:
        details: dict[str, Any] = {}
        known: dict[str, int] | None = None
        if isinstance(step, DedupStep):
            out, removed = _steps.dedup(frame, keep=step.keep)
            before = self._known[1] if self._known and self._known[0] is frame else None
            if before is not None:  # one row per pair: the same users and items remain
                known = {**before, "interactions": before["interactions"] - removed}
        elif isinstance(step, FilterRatingStep):
            out = _steps.filter_rating(frame, min_rating=step.min_rating)
        elif isinstance(step, ImplicitLabelStep):
            out = _steps.implicit_label(frame, threshold=step.threshold, label=step.label)
            self._schema[step.label] = pl.Int8
        elif isinstance(step, KcoreStep):
            out, rounds, converged, known = _steps.kcore(
                frame,
                user_k=step.user_k,
                item_k=step.item_k,
                mode=step.mode,
                max_rounds=step.max_rounds,
                spark=self.spark,
                stage=self.staging,
            )
            details = {"rounds": rounds, "converged": converged}
            log.info("kcore %s: %d rounds", step.mode, rounds)
        elif isinstance(step, ActivityFilterStep):
            out = _steps.activity_filter(
                frame,
                min_interactions=step.min_interactions,
                max_interactions=step.max_interactions,
            )
        elif isinstance(step, TimeWindowStep):
            out = _steps.time_window(frame, start=step.start, end=step.end)
        elif isinstance(step, SampleUsersStep):
            out = _steps.sample_users(
                frame,
                n=step.n,
                fraction=step.fraction,
                seed=step.seed,
                spark=self.spark,
                stage=self.staging,
                codes=self._codes,
            )
        elif isinstance(step, SessionizeStep):
            out = _sessions.sessionize(
                frame, gap=step.gap, codes=self._codes, stage=self.staging, spark=self.spark
            )
        elif isinstance(step, DropShortSessionsStep):
            out = _sessions.drop_short_sessions(frame, min_length=step.min_length)
        elif isinstance(step, DropRareItemsStep):
            out, details = _sessions.drop_rare_items(
                frame,
                min_count=step.min_count,
                mode=step.mode,
                min_session_length=step.min_session_length,
                max_rounds=step.max_rounds,
            )
        elif isinstance(step, RemoveRepeatsStep):
            out = _sessions.remove_repeats(frame)
        elif isinstance(step, SrgnnStep):
            out, details = _sessions.srgnn(
                frame,
                dataset=step.dataset,
                timezone=step.timezone,
                min_item_count=step.min_item_count,
                order=step.order,
            )
        elif isinstance(step, KeepEventsStep):
            out = _events.keep_events(frame, events=step.events)
        elif isinstance(step, EventWeightsStep):
            out = _events.event_weights(
                frame, weights=step.weights, default=step.default, column=step.column
            )
        elif isinstance(step, ExposuresToImpressionsStep):
            out = _events.exposures_to_impressions(
                frame,
                group=step.group,
                clicked=step.clicked,
                codes=self._codes,
                stage=self.staging,
                spark=self.spark,
            )
        else:
            name = getattr(step, "key", type(step).__name__)
            raise UsageError(
                f"--engine spark: step {name!r} has no Spark implementation; "
                "build with --engine polars"
            )
        out = checkpoint(out)
        if known is not None:
            self._known = (out, known)
        return out, details

    def index(self, frame: Any, *, order: IndexOrder) -> Indexed[Any]:
        interactions, user_map, item_map = _index.index(
            frame, order=order, stage=self.staging, spark=self.spark
        )
        maps = decode_ids(user_map, self._codes)
        user_map = maps.with_columns(pl.col(S.USER_ID).cast(pl.String))
        items = decode_ids(item_map, self._codes)
        item_map = items.with_columns(pl.col(S.ITEM_ID).cast(pl.String))
        return Indexed(interactions, user_map, item_map)

    def split(
        self, interactions: Any, *, protocol: str, params: dict[str, Any]
    ) -> SplitResult[Any]:
        if protocol == "leave_one_out":
            return _splits.leave_one_out(interactions, params, **params)
        if protocol == "global_temporal":
            return _splits.global_temporal(interactions, params, **params)
        if protocol == "ratio":
            return _splits.ratio(interactions, params, spark=self.spark, **params)
        if protocol == "cold_start":
            return _splits.cold_start(
                interactions, params, spark=self.spark, staging=self.staging, **params
            )
        if protocol == "last_session_out":
            return _sessions.last_session_out(interactions, params, **params)
        if protocol == "temporal_sessions":
            return _sessions.temporal_sessions(interactions, params, **params)
        if protocol == "srgnn":
            return _sessions.srgnn_split(interactions, params, **params)
        if protocol == "target_event":
            return _events.target_event(interactions, params, spark=self.spark, **params)
        raise UsageError(f"--engine spark: split protocol {protocol!r} has no Spark implementation")

    def user_item(self, train: Any, *, weight: str) -> pl.DataFrame:
        return _graphs.user_item(train, weight=weight)

    def item_item(
        self,
        train: Any,
        *,
        window: int | None,
        symmetric: bool,
        top_k: int | None,
        self_loops: bool,
        order: list[str],
    ) -> pl.DataFrame:
        return _graphs.item_item(
            train,
            window=window,
            symmetric=symmetric,
            top_k=top_k,
            self_loops=self_loops,
            order=order,
        )

    def session_count(self, frame: Any) -> int:
        """Distinct (user, session) pairs by a Spark aggregation (nulls count as values)."""
        return int(frame.select(S.USER, S.SESSION).distinct().count())

    def event_counts(self, frame: Any) -> dict[str, int]:
        """Rows per event type by a Spark aggregation, in sorted type order."""
        rows = frame.groupBy(S.EVENT).count().collect()
        return {str(k): int(n) for k, n in sorted((r[0], r[1]) for r in rows)}

    def statistics(self, interactions: Any) -> dict[str, Any]:
        return _stats.interaction_stats(interactions)
