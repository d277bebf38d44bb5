"""The polars engine: the library's transforms, splits, graphs and statistics, eagerly.

:meth:`PolarsEngine.load` replaces the raw id strings by int32 codes at once (``index_ids``
with ``order="any"``, input row order kept), the steps run on those codes, and
:meth:`PolarsEngine.index` renumbers the survivors with ``reindex``: the same rows and indices
as running the steps on the raw ids, without holding two string columns per interaction
through every step (a 10^8-row build needs half the memory). Raw-id frames passed to
:meth:`step`, :meth:`counts` and :meth:`index` directly still work as before.
"""

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
from recdata.transforms import IndexedData

_RAW_USER, _RAW_ITEM = S.USER_ID, S.ITEM_ID
_SAMPLE_KEY = "__raw_user_id"
_CODED_STEPS = (
    DedupStep,
    FilterRatingStep,
    ImplicitLabelStep,
    KcoreStep,
    ActivityFilterStep,
    TimeWindowStep,
    SampleUsersStep,
)
"""Steps that run on the codes of :meth:`PolarsEngine.load`; others get the raw ids back."""


class PolarsEngine(Engine[pl.DataFrame]):
    """Stages as eager polars/numpy code in this process (frames are ``polars.DataFrame``)."""

    name = "polars"

    def __init__(self) -> None:
        self._codes: IndexedData | None = None
        """The id maps of the frame :meth:`load` coded (no interactions)."""

    def load(self, interactions: pl.DataFrame) -> pl.DataFrame:
        from recdata.transforms import index_ids

        if _RAW_USER not in interactions.columns or _RAW_ITEM not in interactions.columns:
            return interactions  # already indexed (or not interactions): nothing to code
        data = index_ids(
            interactions.lazy(),
            user=_RAW_USER,
            item=_RAW_ITEM,
            time=S.TIME,
            order="any",
            sort=False,
        )
        self._codes = data.without_interactions()
        return data.interactions

    def _keys(self, frame: pl.DataFrame) -> dict[str, str]:
        """The user and item key columns of a frame: raw ids, or the codes of :meth:`load`."""
        if _RAW_USER in frame.columns or self._codes is None:
            return {"user": _RAW_USER, "item": _RAW_ITEM}
        return {"user": S.USER, "item": S.ITEM}

    def counts(self, frame: pl.DataFrame) -> dict[str, int]:
        ids = self._keys(frame)
        row = (
            frame.lazy()
            .select(
                pl.len().alias("interactions"),
                pl.col(ids["user"]).n_unique().alias("users"),
                pl.col(ids["item"]).n_unique().alias("items"),
            )
            .collect()
            .row(0, named=True)
        )
        return {k: int(v) for k, v in row.items()}

    def _decoded(self, frame: pl.DataFrame) -> pl.DataFrame:
        """A coded frame back in raw ids (the columns and order :meth:`load` was given)."""
        assert self._codes is not None and self._codes.raw_keys is not None
        users, items = self._codes.raw_keys
        rest = [c for c in frame.columns if c not in (S.INTERACTION, S.USER, S.ITEM)]
        return frame.select(
            users.gather(frame.get_column(S.USER).cast(pl.Int64) - 1).alias(_RAW_USER),
            items.gather(frame.get_column(S.ITEM).cast(pl.Int64) - 1).alias(_RAW_ITEM),
            *rest,
        )

    def step(self, step: Any, frame: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, Any]]:
        from recdata import transforms as T

        if not isinstance(step, _CODED_STEPS) and self._keys(frame)["user"] == S.USER:
            frame = self._decoded(frame)  # event and session steps read the raw ids
        lf = frame.lazy()
        ids = self._keys(frame)
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
                user=ids["user"],
            ).collect(), {}
        if isinstance(step, TimeWindowStep):
            return T.time_window(lf, start=step.start, end=step.end, time=S.TIME).collect(), {}
        if isinstance(step, SampleUsersStep):
            if ids["user"] == _RAW_USER:
                return T.sample_users(
                    lf, n=step.n, fraction=step.fraction, seed=step.seed, user=_RAW_USER
                ).collect(), {}
            # the sample depends on the sorted raw ids: sample by them, not by the codes
            assert self._codes is not None and self._codes.raw_keys is not None
            raw = self._codes.raw_keys[0].gather(frame.get_column(S.USER).cast(pl.Int64) - 1)
            return T.sample_users(
                frame.with_columns(raw.alias(_SAMPLE_KEY)).lazy(),
                n=step.n,
                fraction=step.fraction,
                seed=step.seed,
                user=_SAMPLE_KEY,
            ).collect().drop(_SAMPLE_KEY), {}
        if isinstance(step, KeepEventsStep | EventWeightsStep | ExposuresToImpressionsStep):
            return _event_step(step, lf)
        return _session_step(step, lf)

    def index(self, frame: pl.DataFrame, *, order: IndexOrder) -> Indexed[pl.DataFrame]:
        from recdata.transforms import index_ids, reindex

        if self._keys(frame)["user"] == _RAW_USER:
            got = index_ids(frame.lazy(), user=_RAW_USER, item=_RAW_ITEM, time=S.TIME, order=order)
        else:
            assert self._codes is not None
            got = reindex(self._codes, frame, time=S.TIME, order=order)
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

        return interaction_stats(interactions)

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
