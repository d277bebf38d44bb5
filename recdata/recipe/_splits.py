"""Recipe split protocols: one model per splitter of :mod:`recdata.splits`, discriminated by ``protocol``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from recdata._types import ColdEntity, RatioOrder, ShortUserPolicy, UnseenPolicy


class _Split(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    history: bool = False
    """Write each row's earlier items as a ``history`` list column."""
    history_cap: int | None = Field(default=None, ge=1)
    """Keep at most this many most recent items in ``history`` (null: all)."""

    def params(self) -> dict[str, Any]:
        """Keyword arguments of the splitter."""
        out = self.model_dump(exclude={"protocol"})
        return out


class LeaveOneOutSplit(_Split):
    """Per user in sequence order: last -> test, second last -> valid, the rest -> train."""

    protocol: Literal["leave_one_out"] = "leave_one_out"
    min_interactions: int = Field(default=3, ge=1)
    """Users with fewer interactions are handled by ``short_users``."""
    short_users: ShortUserPolicy = "train"
    """``train`` (keep all their rows in train) or ``drop``."""


class GlobalTemporalSplit(_Split):
    """Two global cut-offs: ``train < t1 <= valid < t2 <= test``."""

    protocol: Literal["global_temporal"] = "global_temporal"
    cutoffs: tuple[dt.datetime | int, dt.datetime | int] | None = None
    """Cut-offs as datetimes (naive = UTC) or epoch milliseconds."""
    quantiles: tuple[float, float] | None = None
    """Cut-offs as quantiles of all timestamps (give this or ``cutoffs``)."""
    unseen: UnseenPolicy = "keep"
    """Valid/test rows whose user or item is not in train: ``keep`` or ``drop``."""

    @model_validator(mode="after")
    def _one(self) -> GlobalTemporalSplit:
        if (self.cutoffs is None) == (self.quantiles is None):
            raise ValueError("global_temporal: give exactly one of cutoffs or quantiles")
        return self


class RatioSplit(_Split):
    """Per-user ratio split, chronological or seeded random."""

    protocol: Literal["ratio"] = "ratio"
    ratios: tuple[float, float, float] = (0.8, 0.1, 0.1)
    """Shares of train, valid, test (sum 1)."""
    order: RatioOrder = "chronological"
    """``chronological`` or ``random``."""
    seed: int = 0
    """Seed for ``random``."""


class ColdStartSplit(_Split):
    """Whole users or items held out into valid/test."""

    protocol: Literal["cold_start"] = "cold_start"
    entity: ColdEntity = "user"
    """``user`` or ``item``."""
    ratios: tuple[float, float, float] = (0.8, 0.1, 0.1)
    """Shares of entities in train, valid, test."""
    seed: int = 0
    """Seed of the permutation."""

    def params(self) -> dict[str, Any]:
        """cold_start takes no history options."""
        return self.model_dump(exclude={"protocol", "history", "history_cap"})


SplitSpec = Annotated[
    LeaveOneOutSplit | GlobalTemporalSplit | RatioSplit | ColdStartSplit,
    Field(discriminator="protocol"),
]
"""Any split protocol, chosen by its ``protocol`` key."""


def normalise_split(value: Any) -> Any:
    """A bare protocol name (``loo: leave_one_out``) -> ``{protocol: leave_one_out}``."""
    if isinstance(value, str):
        return {"protocol": value}
    if value is None:
        return {"protocol": "leave_one_out"}
    return value
