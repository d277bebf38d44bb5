"""Recipe steps: one pydantic model per transform, every parameter explicit, discriminated by ``step``.

In YAML a step is written either ``{step: kcore, user_k: 5}`` or ``{kcore: {user_k: 5}}``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from recdata._types import Dedup, KcoreMode
from recdata.sessions._srgnn import SrgnnDataset
from recdata.sessions._steps import ItemCountMode


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = None
    """Key used by ``--set steps.<key>.<param>`` and by ``expected`` (default: the step kind)."""

    @property
    def key(self) -> str:
        """The name, or the kind when no name is given."""
        return self.name or self.step  # type: ignore[attr-defined]

    def params(self) -> dict[str, Any]:
        """The transform's keyword arguments (everything but ``step`` and ``name``)."""
        return self.model_dump(exclude={"step", "name"})


class DedupStep(_Step):
    """Keep one interaction per (user, item): the first, the last, or all (``none``)."""

    step: Literal["dedup"] = "dedup"
    keep: Dedup = "first"
    """``first`` (earliest in sequence order), ``last`` or ``none``."""


class FilterRatingStep(_Step):
    """Keep interactions whose rating is at least ``min_rating`` (null ratings are dropped)."""

    step: Literal["filter_rating"] = "filter_rating"
    min_rating: float
    """Smallest rating kept."""


class ImplicitLabelStep(_Step):
    """Add a 0/1 ``label`` column: 1 where ``rating >= threshold``."""

    step: Literal["implicit_label"] = "implicit_label"
    threshold: float
    """Smallest rating labelled 1."""
    label: str = "label"
    """Name of the label column."""


class KcoreStep(_Step):
    """Keep users with >= ``user_k`` and items with >= ``item_k`` interactions."""

    step: Literal["kcore"] = "kcore"
    user_k: int = Field(default=5, ge=0)
    """Minimum interactions per user."""
    item_k: int = Field(default=5, ge=0)
    """Minimum interactions per item."""
    mode: KcoreMode = "iterative"
    """``iterative`` (to the fixed point) or ``single_pass`` (SASRec's script)."""
    max_rounds: int | None = Field(default=None, ge=1)
    """Cap on rounds for ``iterative`` (null: none)."""


class ActivityFilterStep(_Step):
    """Keep users whose interaction count lies within the bounds (counted once)."""

    step: Literal["activity_filter"] = "activity_filter"
    min_interactions: int | None = Field(default=None, ge=0)
    """Smallest count kept (inclusive); null: no lower bound."""
    max_interactions: int | None = Field(default=None, ge=0)
    """Largest count kept (inclusive); null: no upper bound."""


class TimeWindowStep(_Step):
    """Keep interactions with ``start <= timestamp < end``."""

    step: Literal["time_window"] = "time_window"
    start: dt.datetime | int | None = None
    """Lower bound (datetime, naive = UTC, or epoch milliseconds); null: none."""
    end: dt.datetime | int | None = None
    """Upper bound, exclusive; null: none."""


class SampleUsersStep(_Step):
    """Keep every interaction of a seeded random sample of users."""

    step: Literal["sample_users"] = "sample_users"
    n: int | None = Field(default=None, ge=0)
    """Number of users (give this or ``fraction``)."""
    fraction: float | None = Field(default=None, ge=0, le=1)
    """Share of users (give this or ``n``)."""
    seed: int = 0
    """Seed of ``numpy.random.default_rng``."""

    @model_validator(mode="after")
    def _one(self) -> SampleUsersStep:
        if (self.n is None) == (self.fraction is None):
            raise ValueError("sample_users: give exactly one of n or fraction")
        return self


class SessionizeStep(_Step):
    """Add ``session_id``: a user's stream split where the gap since the previous click exceeds ``gap``."""

    step: Literal["sessionize"] = "sessionize"
    gap: float = Field(default=1800, ge=0)
    """Inactivity gap in seconds; a longer gap (strictly greater) starts a new session."""


class DropShortSessionsStep(_Step):
    """Drop sessions with fewer than ``min_length`` rows."""

    step: Literal["drop_short_sessions"] = "drop_short_sessions"
    min_length: int = Field(default=2, ge=0)
    """Smallest session length kept (rows, repeats included)."""


class DropRareItemsStep(_Step):
    """Drop rows of items seen fewer than ``min_count`` times, then sessions left too short."""

    step: Literal["drop_rare_items"] = "drop_rare_items"
    min_count: int = Field(default=5, ge=0)
    """Smallest item count kept (rows, repeats included)."""
    mode: ItemCountMode = "once"
    """``once`` (counts taken on the input) or ``iterative`` (repeat to the fixed point)."""
    min_session_length: int = Field(default=1, ge=0)
    """Sessions left with fewer rows are dropped after each item filter."""
    max_rounds: int | None = Field(default=None, ge=1)
    """Cap on rounds for ``iterative`` (null: none)."""


class RemoveRepeatsStep(_Step):
    """Drop a click on the same item as the session's previous click (``a a b a`` -> ``a b a``)."""

    step: Literal["remove_repeats"] = "remove_repeats"


class SrgnnStep(_Step):
    """SR-GNN's ``datasets/preprocess.py`` (Diginetica or Yoochoose branch), rule for rule."""

    step: Literal["srgnn"] = "srgnn"
    dataset: SrgnnDataset
    """``diginetica`` (also SR-GNN's sample file: 7 test days, clicks by timeframe) or
    ``yoochoose`` (1 test day, clicks in file order)."""
    timezone: str = "UTC"
    """The zone ``time.mktime`` read dates in (the script used the machine's local zone)."""
    min_item_count: int = Field(default=5, ge=0)
    """Items seen fewer times (counted once) are dropped; the script's value is 5."""
    order: str | None = "timeframe"
    """Diginetica: the column clicks are stably sorted by (ignored for Yoochoose)."""


class KeepEventsStep(_Step):
    """Keep the rows whose ``event`` is one of ``events`` (``keep_events: {events: [order]}``)."""

    step: Literal["keep_events"] = "keep_events"
    events: list[str] = Field(min_length=1)
    """Event types kept (from the recipe's ``events`` vocabulary)."""


class EventWeightsStep(_Step):
    """Add a float32 ``weight`` column from each row's event type."""

    step: Literal["event_weights"] = "event_weights"
    weights: dict[str, float] = Field(min_length=1)
    """Event type -> weight (``{view: 1, cart: 2, order: 3}``)."""
    default: float | None = None
    """Weight of a type missing from ``weights``; null: such a row is an error."""
    column: str = "weight"
    """Name of the weight column."""


class ExposuresToImpressionsStep(_Step):
    """Exposure logs -> clicked rows with the ``impressions`` shown in their group."""

    step: Literal["exposures_to_impressions"] = "exposures_to_impressions"
    group: list[str] = Field(default_factory=list)
    """Columns besides the user that identify one screen of exposures (KuaiRand: date, hourmin)."""
    clicked: str = "is_click"
    """The 0/1 column marking the clicked exposures (the rows kept)."""


Step = Annotated[
    DedupStep
    | FilterRatingStep
    | ImplicitLabelStep
    | KcoreStep
    | ActivityFilterStep
    | TimeWindowStep
    | SampleUsersStep
    | SessionizeStep
    | DropShortSessionsStep
    | DropRareItemsStep
    | RemoveRepeatsStep
    | SrgnnStep
    | KeepEventsStep
    | EventWeightsStep
    | ExposuresToImpressionsStep,
    Field(discriminator="step"),
]
"""Any step, chosen by its ``step`` key."""

STEP_KINDS = (
    "dedup",
    "filter_rating",
    "implicit_label",
    "kcore",
    "activity_filter",
    "time_window",
    "sample_users",
    "sessionize",
    "drop_short_sessions",
    "drop_rare_items",
    "remove_repeats",
    "srgnn",
    "keep_events",
    "event_weights",
    "exposures_to_impressions",
)


def normalise_step(value: Any) -> Any:
    """``{kcore: {user_k: 5}}`` -> ``{step: kcore, user_k: 5}``; a bare ``"dedup"`` -> ``{step: dedup}``."""
    if isinstance(value, str):
        return {"step": value}
    if isinstance(value, dict) and "step" not in value and len(value) == 1:
        ((kind, params),) = value.items()
        if params is None:
            params = {}
        if isinstance(params, dict):
            return {"step": kind, **params}
    return value
