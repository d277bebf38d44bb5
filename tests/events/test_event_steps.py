"""Event steps and impressions against hand-worked frames and slow row-by-row references."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recdata.errors import ReadError, RecipeError, TransformError
from recdata.events import (
    check_events,
    event_weights,
    exposures_to_impressions,
    keep_events,
    map_impressions,
)

FRAME = pl.DataFrame(
    {
        "user_id": ["a", "a", "b", "a", "b"],
        "item_id": ["x", "y", "x", "z", "y"],
        "event": ["view", "cart", "order", "view", "view"],
    }
)


def test_keep_events_keeps_listed_types_in_order() -> None:
    out = keep_events(FRAME.lazy(), events=["view", "order"]).collect()
    assert out["item_id"].to_list() == ["x", "x", "z", "y"]
    assert out["event"].to_list() == ["view", "order", "view", "view"]


def test_keep_events_needs_an_event_column_and_types() -> None:
    with pytest.raises(TransformError, match="no 'event' column"):
        keep_events(FRAME.drop("event").lazy(), events=["view"])
    with pytest.raises(TransformError, match="at least one"):
        keep_events(FRAME.lazy(), events=[])


def test_event_weights_column_and_missing_types() -> None:
    out = event_weights(FRAME.lazy(), weights={"view": 1, "cart": 2, "order": 3}).collect()
    assert out["weight"].dtype == pl.Float32
    assert out["weight"].to_list() == [1.0, 2.0, 3.0, 1.0, 1.0]
    with pytest.raises(TransformError, match=r"\['cart', 'order'\] have no weight"):
        event_weights(FRAME.lazy(), weights={"view": 1}).collect()
    out = event_weights(FRAME.lazy(), weights={"order": 5}, default=0.5, column="w").collect()
    assert out["w"].to_list() == [0.5, 0.5, 5.0, 0.5, 0.5]


def test_check_events_vocabulary() -> None:
    check_events(FRAME, ["view", "cart", "order"], where="f")
    with pytest.raises(
        ReadError, match=r"outside the vocabulary \['view', 'cart'\], e.g. \['order'\]"
    ):
        check_events(FRAME, ["view", "cart"], where="f")
    with pytest.raises(RecipeError, match="no events vocabulary"):
        check_events(FRAME, None, where="f")
    with pytest.raises(ReadError, match="no event type"):
        check_events(
            FRAME.with_columns(pl.lit(None, pl.String).alias("event")), ["view"], where="f"
        )
    check_events(FRAME.drop("event"), None, where="f")  # no column: nothing to check


def _exposures_reference(rows: list[dict]) -> list[tuple[str, str, list[str]]]:
    """Row by row: for each clicked row, the items shown to its user in its group, file order."""
    out = []
    for row in rows:
        if row["is_click"] != 1:
            continue
        key = (row["user_id"], row["hour"])
        shown = [r["item_id"] for r in rows if (r["user_id"], r["hour"]) == key]
        out.append((row["user_id"], row["item_id"], shown))
    return out


exposure_rows = st.lists(
    st.fixed_dictionaries(
        {
            "user_id": st.sampled_from(["u1", "u2", "u3"]),
            "item_id": st.sampled_from(["i1", "i2", "i3", "i4"]),
            "hour": st.integers(0, 2),
            "is_click": st.integers(0, 1),
        }
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(exposure_rows)
def test_exposures_to_impressions_matches_reference(rows: list[dict]) -> None:
    frame = pl.DataFrame(
        rows,
        schema={"user_id": pl.String, "item_id": pl.String, "hour": pl.Int64, "is_click": pl.Int64},
    )
    out = exposures_to_impressions(frame.lazy(), group=["hour"], clicked="is_click").collect()
    got = list(zip(out["user_id"], out["item_id"], out["impressions"].to_list(), strict=True))
    assert got == _exposures_reference(rows)


def _map_reference(lists: list[list[str] | None], index: dict[str, int]) -> list[list[int] | None]:
    return [None if xs is None else [index[x] for x in xs if x in index] for xs in lists]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.none() | st.lists(st.sampled_from(["a", "b", "c", "d"]), max_size=5), max_size=12),
    st.sets(st.sampled_from(["a", "b", "c", "d"])),
)
def test_map_impressions_matches_reference(lists: list[list[str] | None], kept: set[str]) -> None:
    index = {raw: i for i, raw in enumerate(sorted(kept), start=1)}
    item_map = pl.DataFrame(
        {"item_idx": list(index.values()), "item_id": list(index)},
        schema={"item_idx": pl.Int32, "item_id": pl.String},
    )
    frame = pl.DataFrame({"impressions": lists}, schema={"impressions": pl.List(pl.String)})
    out, report = map_impressions(frame, item_map)
    assert out["impressions"].dtype == pl.List(pl.Int32)
    assert out["impressions"].to_list() == _map_reference(lists, index)
    shown = sum(len(xs) for xs in lists if xs is not None)
    kept_n = sum(1 for xs in lists if xs is not None for x in xs if x in index)
    assert (report.shown, report.kept, report.dropped_unindexed) == (shown, kept_n, shown - kept_n)
    assert report.rows_with_impressions == sum(xs is not None for xs in lists)


def test_map_impressions_counts_rows_whose_item_is_missing() -> None:
    item_map = pl.DataFrame({"item_idx": [1, 2], "item_id": ["a", "b"]})
    frame = pl.DataFrame({"item_idx": [1, 2], "impressions": [["a", "b"], ["a"]]})
    out, report = map_impressions(frame, item_map)
    assert out["impressions"].to_list() == [[1, 2], [1]]
    assert report.rows_clicked_missing == 1
