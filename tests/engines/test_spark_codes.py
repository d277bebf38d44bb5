"""The id codes the driver hands to Spark: sorted-value order, nulls kept, exact round trip."""

from __future__ import annotations

from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from recdata.engines.spark._frames import decode_ids, encode_ids

_ids = st.lists(st.one_of(st.none(), st.text(max_size=10)), min_size=1, max_size=60)


@settings(max_examples=200, deadline=None)
@given(users=_ids, items=_ids, nulls=st.booleans())
def test_codes_rank_the_sorted_values_and_decode_back(
    users: list[str | None], items: list[str | None], nulls: bool
) -> None:
    n = min(len(users), len(items))
    if not nulls:
        users = [u or "" for u in users]
    frame = pl.DataFrame(
        {
            "user_id": pl.Series(users[:n], dtype=pl.String),
            "item_id": pl.Series([i or "x" for i in items[:n]], dtype=pl.String),
            "other": list(range(n)),
        }
    )
    coded, values = encode_ids(frame)
    for column in ("user_id", "item_id"):
        distinct = sorted({v for v in frame[column].to_list() if v is not None})
        position = {v: k for k, v in enumerate(distinct)}  # the slow reference: a dict
        want = [None if v is None else position[v] for v in frame[column].to_list()]
        assert coded[column].dtype == pl.Int64
        assert coded[column].to_list() == want
        assert values[column].to_list() == distinct
    assert decode_ids(coded, values).equals(frame)


def test_integer_ids_are_left_alone() -> None:
    frame = pl.DataFrame({"user_id": [3, 1], "item_id": [7, 7]})
    coded, values = encode_ids(frame)
    assert values == {} and coded.equals(frame)


def test_local_heap_is_a_quarter_of_the_machine_unless_chosen(monkeypatch: Any) -> None:
    import os

    from recdata.engines.spark._session import _memory_chosen, local_heap

    total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    assert local_heap() == f"{max(1, total // 4 // 2**30)}g"
    for name in ("PYSPARK_SUBMIT_ARGS", "SPARK_DRIVER_MEMORY"):
        monkeypatch.delenv(name, raising=False)
    assert not _memory_chosen({"spark.ui.enabled": "false"})
    assert _memory_chosen({"spark.driver.memory": "2g"})
    monkeypatch.setenv("PYSPARK_SUBMIT_ARGS", "--driver-memory 6g pyspark-shell")
    assert _memory_chosen({})
    monkeypatch.setenv("PYSPARK_SUBMIT_ARGS", "pyspark-shell")
    monkeypatch.setenv("SPARK_DRIVER_MEMORY", "3g")
    assert _memory_chosen({})


def test_shuffle_partitions_grow_with_the_input_unless_chosen(monkeypatch: Any) -> None:
    """recdata's few local partitions scale with the rows (a 2×10^8-row build on 4 partitions
    ran out of heap); a value the user set is left alone."""
    from recdata.engines.spark._session import _own_partitions, shuffle_partitions

    monkeypatch.delenv("PYSPARK_SUBMIT_ARGS", raising=False)
    assert _own_partitions(2, {}) == 4
    assert _own_partitions(8, {}) == 16
    assert _own_partitions(None, {}) is None  # a cluster: Spark's own
    assert _own_partitions(2, {"spark.sql.shuffle.partitions": "64"}) is None
    monkeypatch.setenv("PYSPARK_SUBMIT_ARGS", "--conf spark.sql.shuffle.partitions=9 pyspark-shell")
    assert _own_partitions(2, {}) is None
    assert shuffle_partitions(4, 0) == 4
    assert shuffle_partitions(4, 10_000_000) == 4
    assert shuffle_partitions(4, 25_000_000) == 7
    assert shuffle_partitions(4, 200_000_000) == 50
