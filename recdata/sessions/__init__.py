"""Sessions: generic session steps, SR-GNN's Diginetica/Yoochoose preprocessing and its prefix
augmentation. Every function is a pure polars transform with keyword-only options.

The session protocols (last-session-out, temporal by session, SR-GNN's split) live in
:mod:`recdata.splits`. See docs/sessions.md for the exact semantics.
"""

from recdata.sessions._augment import PREFIX, TARGET, prefix_pairs, session_sequences
from recdata.sessions._srgnn import (
    ORDER,
    PART,
    TEST_DAYS,
    SrgnnDataset,
    SrgnnReport,
    srgnn_preprocess,
    srgnn_preprocess_report,
)
from recdata.sessions._steps import (
    ItemCountMode,
    ItemCountReport,
    drop_rare_items,
    drop_rare_items_report,
    drop_short_sessions,
    remove_repeats,
    sessionize,
)

__all__ = [
    "ORDER",
    "PART",
    "PREFIX",
    "TARGET",
    "TEST_DAYS",
    "ItemCountMode",
    "ItemCountReport",
    "SrgnnDataset",
    "SrgnnReport",
    "drop_rare_items",
    "drop_rare_items_report",
    "drop_short_sessions",
    "prefix_pairs",
    "remove_repeats",
    "session_sequences",
    "sessionize",
    "srgnn_preprocess",
    "srgnn_preprocess_report",
]
