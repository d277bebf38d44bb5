"""Multi-behaviour events and impressions: event-type steps, the event vocabulary check and the
mapping of shown raw item ids to ``item_idx``. Every step is a pure polars transform with
keyword-only options; the target-behaviour protocol lives in :mod:`recdata.splits`.
See docs/sessions.md ("Events", "Impressions") for the exact semantics.
"""

from recdata.events._impressions import (
    ImpressionsReport,
    exposures_to_impressions,
    map_impressions,
)
from recdata.events._steps import event_counts, event_weights, keep_events
from recdata.events._vocab import check_events

__all__ = [
    "ImpressionsReport",
    "check_events",
    "event_counts",
    "event_weights",
    "exposures_to_impressions",
    "keep_events",
    "map_impressions",
]
