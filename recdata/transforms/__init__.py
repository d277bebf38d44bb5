"""Transforms: pure functions over ``polars.LazyFrame`` with keyword-only options.

Column names default to the canonical ones (``user_idx``, ``item_idx``, ``timestamp``) and can be
given explicitly, so every step also works on raw-id frames. See README.md, "Transforms and splits".
"""

from recdata.transforms._codes import Encoded, encode
from recdata.transforms._dedup import dedup
from recdata.transforms._filters import activity_filter, sample_users, time_window
from recdata.transforms._implicit import filter_rating, implicit_label
from recdata.transforms._index import IndexedData, index_ids, inverse_ids, reindex
from recdata.transforms._kcore import KcoreReport, kcore, kcore_mask, kcore_report
from recdata.transforms._sort import sequence_permutation, stable_argsort
from recdata.transforms._time import sequence_order, to_timestamp

__all__ = [
    "Encoded",
    "IndexedData",
    "KcoreReport",
    "activity_filter",
    "dedup",
    "encode",
    "filter_rating",
    "implicit_label",
    "index_ids",
    "inverse_ids",
    "kcore",
    "kcore_mask",
    "kcore_report",
    "reindex",
    "sample_users",
    "sequence_order",
    "sequence_permutation",
    "stable_argsort",
    "time_window",
    "to_timestamp",
]
