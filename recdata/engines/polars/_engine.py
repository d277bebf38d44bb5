"""The polars engine: the library's transforms, splits, graphs and statistics, eagerly."""

from __future__ import annotations

from typing import Any

import polars as pl

from recdata import schema as S
from recdata._types import IndexOrder
from recdata.dataset import SplitRecord
from recdata.engines._base import Engine, Indexed, SplitResult
from recdata.errors import RecipeError
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

_RAW_USER, _RAW_ITEM = S.USER_ID, S.ITEM_ID


class PolarsEngine(Engine[pl.DataFrame]):
    """Stages as eager polars/numpy code in this process (frames are ``polars.DataFrame``)."""

    name = "polars"

    def load(self, interactions: pl.DataFrame) -> pl.DataFrame:
        return interactions

    def counts(self, frame: pl.DataFrame) -> dict[str, int]:
        row = (
            frame.lazy()
            .select(
                pl.len().alias("interactions"),
                pl.col(_RAW_USER).n_unique().alias("users"),
                pl.col(_RAW_ITEM).n_unique().alias("items"),
            )
            .collect()
            .row(0, named=True)
        )
        return {k: int(v) for k, v in row.items()}

    def step(self, step: Any, frame: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, Any]]:
        from recdata import transforms as T

        lf = frame.lazy()
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
        if isinstance(step, KeepEventsStep | EventWeightsStep | ExposuresToImpressionsStep):
            return _event_step(step, lf)
        return _session_step(step, lf)

    def index(self, frame: pl.DataFrame, *, order: IndexOrder) -> Indexed[pl.DataFrame]:
        from recdata.transforms import index_ids

        got = index_ids(frame.lazy(), user=_RAW_USER, item=_RAW_ITEM, time=S.TIME, order=order)
        return Indexed(got.interactions, got.user_map, got.item_map)

    def split(
        self, interactions: pl.DataFrame, *, protocol: str, params: dict[str, Any]
    ) -> SplitResult[pl.DataFrame]:
        from recdata.splits import SPLITTERS

        split = SPLITTERS[protocol](interactions.lazy(), **params)
        train, valid, test = split.collect()
        parts = {"train": train, "valid": valid, "test": test}
        record = SplitRecord(
            protocol=split.protocol,
            params=params,
            partition=split.partition,
            ordered=split.ordered,
            report=split.report.model_dump(mode="json"),
            history=S.HISTORY in train.columns,
        )
        return SplitResult(parts, record, {k: int(v.height) for k, v in parts.items()})

    def user_item(self, train: pl.DataFrame, *, weight: str) -> pl.DataFrame:
        from recdata.graphs import user_item

        return user_item(train.lazy(), weight=weight)  # type: ignore[arg-type]

    def item_item(
        self,
        train: pl.DataFrame,
        *,
        window: int | None,
        symmetric: bool,
        top_k: int | None,
        self_loops: bool,
        order: list[str],
    ) -> pl.DataFrame:
        from recdata.graphs import item_cooccurrence
        from recdata.graphs._cooc import DEFAULT_ORDER

        return item_cooccurrence(
            train.lazy(),
            window=window,
            symmetric=symmetric,
            top_k=top_k,
            self_loops=self_loops,
            order=order or DEFAULT_ORDER,
        )

    def statistics(self, interactions: pl.DataFrame) -> dict[str, Any]:
        from recdata.statistics import interaction_stats

        return interaction_stats(interactions.lazy())

    def collect(self, frame: pl.DataFrame) -> pl.DataFrame:
        return frame

    def columns(self, frame: pl.DataFrame | pl.LazyFrame) -> list[str]:
        return frame.lazy().collect_schema().names()


def _event_step(step: Any, lf: pl.LazyFrame) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The event and impression steps of :mod:`recdata.events` over a raw-id frame."""
    from recdata import events as EV

    if isinstance(step, KeepEventsStep):
        return EV.keep_events(lf, events=step.events).collect(), {}
    if isinstance(step, EventWeightsStep):
        return EV.event_weights(
            lf, weights=step.weights, default=step.default, column=step.column
        ).collect(), {}
    out = EV.exposures_to_impressions(
        lf, group=step.group, clicked=step.clicked, user=_RAW_USER, item=_RAW_ITEM
    ).collect()
    return out, {}


def _session_step(step: Any, lf: pl.LazyFrame) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The session steps of :mod:`recdata.sessions` over a raw-id frame."""
    from recdata import sessions as SS

    if isinstance(step, SessionizeStep):
        return SS.sessionize(lf, gap=step.gap, user=_RAW_USER, time=S.TIME).collect(), {}
    if isinstance(step, DropShortSessionsStep):
        return SS.drop_short_sessions(lf, min_length=step.min_length).collect(), {}
    if isinstance(step, DropRareItemsStep):
        out, report = SS.drop_rare_items_report(
            lf,
            min_count=step.min_count,
            mode=step.mode,
            min_session_length=step.min_session_length,
            max_rounds=step.max_rounds,
            item=_RAW_ITEM,
        )
        return out, {"rounds": report.rounds, "converged": report.converged}
    if isinstance(step, RemoveRepeatsStep):
        return SS.remove_repeats(lf, item=_RAW_ITEM, time=S.TIME).collect(), {}
    if isinstance(step, SrgnnStep):
        out, srgnn = SS.srgnn_preprocess_report(
            lf,
            dataset=step.dataset,
            timezone=step.timezone,
            min_item_count=step.min_item_count,
            order=step.order,
            item=_RAW_ITEM,
            time=S.TIME,
        )
        return out, srgnn.as_dict()
    raise RecipeError(f"unknown step {step!r}")
