"""Split protocols: each returns a :class:`Split` of lazy train/valid/test frames and a report.

Every splitter collects its input once; the parts are lazy frames over that one result.
See README.md, "Transforms and splits", for the exact semantics.
"""

from collections.abc import Callable

from recdata.splits._cold_start import cold_start
from recdata.splits._events import target_event
from recdata.splits._history import add_history
from recdata.splits._leakage import check_leakage
from recdata.splits._loo import leave_one_out
from recdata.splits._ratio import ratio
from recdata.splits._sessions import last_session_out, srgnn_split, temporal_sessions
from recdata.splits._split import PartCounts, Split, SplitReport
from recdata.splits._temporal import global_temporal

SPLITTERS: dict[str, Callable[..., Split]] = {
    "leave_one_out": leave_one_out,
    "global_temporal": global_temporal,
    "ratio": ratio,
    "cold_start": cold_start,
    "last_session_out": last_session_out,
    "temporal_sessions": temporal_sessions,
    "srgnn": srgnn_split,
    "target_event": target_event,
}
"""Splitters by protocol name, for the recipe runner."""

__all__ = [
    "SPLITTERS",
    "PartCounts",
    "Split",
    "SplitReport",
    "add_history",
    "check_leakage",
    "cold_start",
    "global_temporal",
    "last_session_out",
    "leave_one_out",
    "ratio",
    "srgnn_split",
    "target_event",
    "temporal_sessions",
]
