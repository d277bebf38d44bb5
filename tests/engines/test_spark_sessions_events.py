"""Spark engine == polars engine for the session and event stages, on random frames (hypothesis).

As in test_spark_equality.py, each example is a batch of independent small cases (disjoint user,
item and session ids) concatenated into one frame, so one Spark job covers them all: timestamp
ties, null timestamps (where the stage allows them), repeated items in a session, sessions of
one row, users with few sessions, sessions shared by several users, null group keys and null
click flags. The polars engine is the reference: tables are compared with assert_frame_equal
(rows, order, columns, dtypes) and step details and split records with ==.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from recdata import schema as S
from recdata.dataset import Manifest
from recdata.engines.polars import PolarsEngine
from recdata.errors import RecdataError, TransformError
from recdata.pipeline import build
from recdata.recipe._steps import (
    DropRareItemsStep,
    DropShortSessionsStep,
    EventWeightsStep,
    ExposuresToImpressionsStep,
    KeepEventsStep,
    RemoveRepeatsStep,
    SessionizeStep,
    SrgnnStep,
)
from recdata.validation import validate

from .test_spark_builds import assert_same_folders

pytestmark = pytest.mark.spark

POLARS = PolarsEngine()
FEW = settings(
    max_examples=2,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: each try is a Spark job
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
EVENTS = ["view", "cart", "order"]
T0 = 1_600_000_000_000  # 2020-09-13T12:26:40Z

_row = st.tuples(
    st.integers(0, 3),  # user within the case
    st.integers(0, 4),  # item within the case
    st.integers(0, 12),  # time step
    st.integers(0, 3),  # session within the case
    st.sampled_from(EVENTS),
    st.integers(0, 3),  # timeframe (SR-GNN's within-session order)
    st.sampled_from([None, 0, 1, 1]),  # is_click
    st.sampled_from([None, "a", "b"]),  # a group column (nullable)
    st.booleans(),  # null timestamp, where allowed
)


@st.composite
def frames(
    draw: Any, *, nulls: bool = True, sessions_are_users: bool = False, step_ms: int = 600_000
) -> pl.DataFrame:
    """Mapped interactions in file order: the canonical columns, ``session_id``, ``event`` and
    the extra columns the event steps read. ``step_ms`` is one time step (ties are common)."""
    cases = draw(st.lists(st.lists(_row, min_size=2, max_size=20), min_size=1, max_size=6))
    string_ids = draw(st.booleans())
    rows = []
    for c, case in enumerate(cases):
        for u, i, t, s, event, frame, click, group, null in case:
            session = f"s{c}-{s}"
            user: Any = session if sessions_are_users else c * 10 + u
            if string_ids and not sessions_are_users:
                user = f"u{c}-{u}"
            item: Any = f"i{c}-{i}" if string_ids else c * 10 + i
            time = None if nulls and null else T0 + t * step_ms
            rows.append((user, item, time, session, event, frame, click, group))
    user_type = pl.String if string_ids or sessions_are_users else pl.Int64
    df = pl.DataFrame(
        rows,
        schema={
            S.USER_ID: user_type,
            S.ITEM_ID: pl.String if string_ids else pl.Int64,
            "t": pl.Int64,
            S.SESSION: pl.String,
            S.EVENT: pl.String,
            "timeframe": pl.Int64,
            "is_click": pl.Int64,
            "hourmin": pl.String,
        },
        orient="row",
    )
    return df.select(
        S.USER_ID,
        S.ITEM_ID,
        pl.col("t").cast(pl.Datetime("ms", "UTC")).alias(S.TIME),
        pl.lit(None, pl.Float32).alias(S.RATING),
        pl.exclude(S.USER_ID, S.ITEM_ID, "t"),
    )


def _same(engine: Any, spark_frame: Any, expected: pl.DataFrame) -> None:
    assert_frame_equal(engine.collect(spark_frame), expected)


def _steps(engine: Any, steps: list[Any], want: pl.DataFrame, got: Any) -> None:
    """Each step on both engines' outputs of the previous one (a chain, as a recipe runs);
    when polars raises a RecdataError Spark must raise the same type, and the chain stops."""
    for step in steps:
        try:
            want, want_details = POLARS.step(step, want)
        except RecdataError as exc:
            with pytest.raises(type(exc)):
                engine.step(step, got)
            return
        got, got_details = engine.step(step, got)
        _same(engine, got, want)
        assert got_details == want_details, step


# --------------------------------------------------------------------------- session steps


@FEW
@given(df=frames(nulls=False), gap=st.sampled_from([0, 600, 1800, 3599.5]))
def test_sessionize_then_session_steps(engine: Any, df: pl.DataFrame, gap: float) -> None:
    # sessions from the gap rule (labels <user>:<n>), then every generic session step on them
    raw = df.drop(S.SESSION)
    steps = [
        SessionizeStep(gap=gap),
        RemoveRepeatsStep(),
        DropRareItemsStep(min_count=2, mode="iterative", min_session_length=2),
        DropShortSessionsStep(min_length=2),
    ]
    _steps(engine, steps, raw, engine.load(raw))


MAPPED_SESSION_STEPS = [
    [RemoveRepeatsStep(), DropShortSessionsStep(min_length=3)],
    [DropRareItemsStep(min_count=3, mode="once", min_session_length=2)],
    [DropRareItemsStep(min_count=3, mode="iterative", min_session_length=2, max_rounds=1)],
    [SessionizeStep(gap=60)],  # the frame already has session_id: an error on both
]


@FEW
@given(df=frames())
def test_session_steps_on_mapped_sessions(engine: Any, df: pl.DataFrame) -> None:
    # sessions as a source maps them (shared by several users), null timestamps first in order
    loaded = engine.load(df)
    for steps in MAPPED_SESSION_STEPS:
        _steps(engine, steps, df, loaded)


def test_sessionize_refuses_null_timestamps_on_both(engine: Any) -> None:
    df = pl.DataFrame(
        {S.USER_ID: ["a", "a"], S.ITEM_ID: ["x", "y"], S.TIME: [T0, None]},
        schema_overrides={S.TIME: pl.Datetime("ms", "UTC")},
    )
    _steps(engine, [SessionizeStep(gap=10)], df, engine.load(df))


# --------------------------------------------------------------------------- SR-GNN


SRGNN = [
    (SrgnnStep(dataset="diginetica", min_item_count=2, order="timeframe"), (4,)),
    # fraction 64 of a few pairs keeps 0: the script's [-0:] keeps them all
    (SrgnnStep(dataset="yoochoose", min_item_count=1, timezone="America/New_York"), (64,)),
]


@FEW
@given(df=frames(nulls=False, sessions_are_users=True, step_ms=43_200_000))
def test_srgnn_step_and_split(engine: Any, df: pl.DataFrame) -> None:
    # half-day steps over 6 days: the 1- and 7-day splits, sessions dated on the split day,
    # ties of date and timeframe; then the index by first appearance and the split's fractions
    loaded = engine.load(df)
    for step, fractions in SRGNN:
        try:
            want, want_details = POLARS.step(step, df)
        except RecdataError as exc:  # e.g. no session left after the filters
            with pytest.raises(type(exc)):
                engine.step(step, loaded)
            continue
        got, got_details = engine.step(step, loaded)
        _same(engine, got, want)  # SR-GNN's row order, srgnn_part and srgnn_order
        assert got_details == want_details
        want_index = POLARS.index(want, order="input")
        got_index = engine.index(got, order="input")
        _same(engine, got_index.interactions, want_index.interactions)
        assert_frame_equal(got_index.user_map, want_index.user_map)
        assert_frame_equal(got_index.item_map, want_index.item_map)
        for fraction in fractions:
            params = {"fraction": fraction}
            w = POLARS.split(want_index.interactions, protocol="srgnn", params=params)
            g = engine.split(got_index.interactions, protocol="srgnn", params=params)
            for part in ("train", "valid", "test"):
                _same(engine, g.parts[part], w.parts[part])
            assert g.record == w.record, fraction
            assert g.sizes == w.sizes


def _dated_sessions(last: list[dt.datetime]) -> pl.DataFrame:
    """Sessions of three clicks on items i0, i1, i2, all at their session's date."""
    rows = [(f"s{s}", f"i{k}", t) for s, t in enumerate(last) for k in range(3)]
    df = pl.DataFrame(rows, schema=[S.SESSION, S.ITEM_ID, "t"], orient="row")
    return df.select(
        pl.col(S.SESSION).alias(S.USER_ID),
        S.ITEM_ID,
        pl.col("t").dt.cast_time_unit("ms").dt.replace_time_zone("UTC").alias(S.TIME),
        S.SESSION,
    )


def test_srgnn_dates_across_daylight_saving_changes(engine: Any) -> None:
    # New York wall-clock dates: 01:30 on 2020-11-01 happens twice (the earlier instant is
    # taken) and sets the split day; 02:30 on 2020-03-08 never happens (an error on both)
    step = SrgnnStep(dataset="yoochoose", min_item_count=1, timezone="America/New_York")
    days = [dt.datetime(2020, 10, d, 12) for d in (20, 25)]
    ambiguous = _dated_sessions(
        [*days, dt.datetime(2020, 11, 1, 1, 30), dt.datetime(2020, 10, 31, 1, 30, 0, 500000)]
    )
    want, details = POLARS.step(step, ambiguous)
    got, got_details = engine.step(step, engine.load(ambiguous))
    _same(engine, got, want)
    assert got_details == details
    assert details["split_date"] == details["max_date"] - 86_400
    gap = _dated_sessions([*days, dt.datetime(2020, 3, 8, 2, 30)])
    for eng, frame in ((POLARS, gap), (engine, engine.load(gap))):
        with pytest.raises(TransformError, match="wall-clock time in 'America/New_York'"):
            eng.step(step, frame)


def test_srgnn_split_without_srgnn_order_uses_sequence_order(engine: Any) -> None:
    # a frame labelled by hand (no srgnn_order column): clicks placed by interaction_idx
    df = pl.DataFrame(
        {
            S.USER_ID: ["a", "a", "a", "b", "b", "c", "c", "c", "c"],
            S.ITEM_ID: ["x", "y", "x", "y", "z", "x", "z", "y", "x"],
            S.TIME: [T0 + k for k in (3, 1, 2, 0, 0, 5, 4, 4, 9)],
            "srgnn_part": ["train"] * 5 + ["test"] * 2 + ["train"] * 2,
        },
        schema_overrides={S.TIME: pl.Datetime("ms", "UTC")},
    )
    want_index = POLARS.index(df, order="raw_id")
    got_index = engine.index(engine.load(df), order="raw_id")
    for fraction in (None, 2):
        w = POLARS.split(want_index.interactions, protocol="srgnn", params={"fraction": fraction})
        g = engine.split(got_index.interactions, protocol="srgnn", params={"fraction": fraction})
        for part in ("train", "valid", "test"):
            _same(engine, g.parts[part], w.parts[part])
        assert g.record == w.record


# --------------------------------------------------------------------------- session splits


SESSION_SPLITS = [
    ("last_session_out", {}),
    ("last_session_out", {"min_sessions": 2, "short_users": "drop", "history": True}),
    ("temporal_sessions", {"quantiles": (0.5, 0.8), "history": True, "history_cap": 2}),
    (
        "temporal_sessions",
        {"cutoffs": (T0 + 3_000_000, T0 + 3_000_000), "by": "end", "unseen": "drop"},
    ),
]


def _splits_agree(engine: Any, want_frame: pl.DataFrame, got_frame: Any, splits: list) -> None:
    for protocol, params in splits:
        try:
            want = POLARS.split(want_frame, protocol=protocol, params=params)
        except RecdataError as exc:
            with pytest.raises(type(exc)):
                engine.split(got_frame, protocol=protocol, params=params)
            continue
        got = engine.split(got_frame, protocol=protocol, params=params)
        for part in ("train", "valid", "test"):
            _same(engine, got.parts[part], want.parts[part])
        assert got.record == want.record, (protocol, params)
        assert got.sizes == want.sizes


@FEW
@given(df=frames())
def test_session_splits(engine: Any, df: pl.DataFrame) -> None:
    want_index = POLARS.index(df, order="first_seen")
    got_index = engine.index(engine.load(df), order="first_seen")
    _splits_agree(engine, want_index.interactions, got_index.interactions, SESSION_SPLITS)


# --------------------------------------------------------------------------- event steps


EVENT_STEPS = [
    [
        KeepEventsStep(events=["cart", "order"]),
        EventWeightsStep(weights={"cart": 2.5, "order": 3.3}),
    ],
    [EventWeightsStep(weights={"order": 0.1}, default=0.7, column="w")],
    [EventWeightsStep(weights={"view": 1})],  # cart/order have no weight: an error on both
    [ExposuresToImpressionsStep(group=[], clicked="is_click")],
    [ExposuresToImpressionsStep(group=["hourmin", S.USER_ID, S.SESSION], clicked="is_click")],
    [ExposuresToImpressionsStep(group=["missing"], clicked="is_click")],
]


@FEW
@given(df=frames())
def test_event_steps(engine: Any, df: pl.DataFrame) -> None:
    loaded = engine.load(df)
    for steps in EVENT_STEPS:
        _steps(engine, steps, df, loaded)
    # impressions already present: a second pass replaces them
    step = ExposuresToImpressionsStep(group=["hourmin"], clicked="is_click")
    _steps(engine, [step, step], df, loaded)


# --------------------------------------------------------------------------- target_event


def _target(base: str, target: list[str], **kw: Any) -> tuple[str, dict[str, Any]]:
    base_params = {k: v for k, v in kw.items() if not k.startswith("history")}
    rest = {k: v for k, v in kw.items() if k.startswith("history")}
    return (
        "target_event",
        {
            "target": target,
            "base": base,
            "base_params": base_params,
            "history": rest.get("history", False),
            "history_cap": rest.get("history_cap"),
        },
    )


TARGET_SPLITS = [
    _target("leave_one_out", ["order"], min_interactions=2, short_users="drop"),
    _target("leave_one_out", ["cart", "order"], min_interactions=1, history=True, history_cap=3),
    _target("ratio", ["order"], ratios=(0.5, 0.25, 0.25)),
    _target("global_temporal", ["order"], quantiles=(0.4, 0.7), unseen="drop", gap=100),
]


@FEW
@given(df=frames())
def test_target_event(engine: Any, df: pl.DataFrame) -> None:
    want_index = POLARS.index(df, order="raw_id")
    got_index = engine.index(engine.load(df), order="raw_id")
    _splits_agree(engine, want_index.interactions, got_index.interactions, TARGET_SPLITS)


# --------------------------------------------------------------------------- whole builds


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RECDATA_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("RECDATA_MIRROR", raising=False)
    return tmp_path / "home"


@pytest.mark.shared
def test_build_diginetica_srgnn(
    engine: Any, home: Path, shared_datasets: Path, tmp_path: Path
) -> None:
    # SR-GNN's sample file: the srgnn step (its row order decides the input-order indices),
    # the srgnn split, and a temporal split of the same sessions
    opts: dict[str, Any] = {
        "raw_dir": shared_datasets / "diginetica-srgnn-sample",
        "features": False,
        "overrides": [
            "splits.temporal={protocol: temporal_sessions, quantiles: [0.8, 0.9], unseen: drop}"
        ],
    }
    a = build("diginetica-srgnn", out=tmp_path / "polars", **opts)
    b = build("diginetica-srgnn", out=tmp_path / "spark", engine=engine, **opts)
    assert validate(b).ok
    assert_same_folders(a, b)
    details = Manifest.read(b).steps[0].details
    assert (details["train_sessions"], details["test_sessions"]) == (469, 39)


def _events_csv(rows: int, seed: int) -> str:
    """Retailrocket's events.csv layout: seeded visitors, items and events over a few hours,
    with repeated clicks and equal timestamps."""
    import numpy as np

    rng = np.random.default_rng(seed)
    visitor = rng.integers(0, 60, rows)
    item = rng.integers(0, 40, rows)
    time = 1_433_221_332_000 + rng.integers(0, 600, rows) * 30_000  # 30 s steps over 5 hours
    kind = rng.choice(["view", "view", "view", "addtocart", "transaction"], rows)
    lines = ["timestamp,visitorid,event,itemid,transactionid"]
    for n, (t, v, e, i) in enumerate(zip(time, visitor, kind, item, strict=True)):
        lines.append(f"{t},{v},{e},{i},{n if e == 'transaction' else ''}")
    return "\n".join(lines) + "\n"


def test_build_retailrocket_events_and_sessions(engine: Any, home: Path, tmp_path: Path) -> None:
    # the event recipe on a seeded local events.csv, with session and event steps added:
    # gap sessions, repeats removed, short sessions dropped, weights by event type; then
    # leave-one-out, target_event (purchases) and last-session-out
    from raw_kit import offline_overrides, write_text

    raw = tmp_path / "raw"
    write_text(raw / "events.csv", _events_csv(2500, seed=5))
    overrides = [
        *offline_overrides("retailrocket"),
        "steps=[{sessionize: {gap: 1800}}, remove_repeats, {drop_short_sessions: {min_length: 2}},"
        " {event_weights: {weights: {view: 1, cart: 2, order: 4}}}]",
        "splits.sessions={protocol: last_session_out, min_sessions: 2, history: true}",
    ]
    opts: dict[str, Any] = {"raw_dir": raw, "features": False, "overrides": overrides}
    a = build("retailrocket", out=tmp_path / "polars", **opts)
    b = build("retailrocket", out=tmp_path / "spark", engine=engine, **opts)
    assert validate(b).ok
    assert_same_folders(a, b)
    m = Manifest.read(b)
    assert [s.name for s in m.steps] == [
        "sessionize",
        "remove_repeats",
        "drop_short_sessions",
        "event_weights",
    ]
    assert m.steps[1].rows_before > m.steps[1].rows_after  # repeats were removed
    assert m.splits["purchase"].report["counts"]["target_rows"] > 0


def test_build_kuairand_impressions(engine: Any, home: Path, tmp_path: Path) -> None:
    # exposure logs in KuaiRand-1K's three files: exposures_to_impressions on Spark, then the
    # shown ids mapped to item_idx after the Spark index, and leave-one-out with history
    import numpy as np
    from raw_kit import offline_overrides, write_text

    header = (
        "user_id,video_id,date,hourmin,time_ms,is_click,is_like,is_follow,is_comment,"
        "is_forward,is_hate,long_view,play_time_ms,duration_ms,profile_stay_time,"
        "comment_stay_time,is_profile_enter,is_rand,tab\n"
    )
    rng = np.random.default_rng(3)
    data = tmp_path / "raw" / "KuaiRand-1K" / "data"
    for name, n in (
        ("log_standard_4_08_to_4_21_1k.csv", 400),
        ("log_standard_4_22_to_5_08_1k.csv", 250),
        ("log_random_4_22_to_5_08_1k.csv", 50),
    ):
        lines = []
        for _ in range(n):
            user, video, hour = rng.integers(0, 20), rng.integers(0, 60), int(rng.integers(8, 11))
            t = 1_649_405_042_264 + hour * 3_600_000 + int(rng.integers(0, 3_600_000))
            click = int(rng.random() < 0.3)
            lines.append(
                f"{user},{video},20220408,{hour}00,{t},{click},0,0,0,0,0,{click},0,1000,0,0,0,0,1\n"
            )
        write_text(data / name, header + "".join(lines))
    overrides = [
        *offline_overrides("kuairand-1k"),
        "splits.loo={protocol: leave_one_out, history: true}",
    ]
    opts: dict[str, Any] = {"raw_dir": tmp_path / "raw", "features": False, "overrides": overrides}
    a = build("kuairand-1k", out=tmp_path / "polars", **opts)
    b = build("kuairand-1k", out=tmp_path / "spark", engine=engine, **opts)
    assert validate(b).ok
    assert_same_folders(a, b)
    impressions = Manifest.read(b).statistics["impressions"]
    assert impressions["shown"] > impressions["rows_with_impressions"] > 0
