"""Recipe split protocols: one model per splitter of :mod:`recdata.splits`, discriminated by ``protocol``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from recdata._types import (
    ColdEntity,
    RatioOrder,
    SessionTime,
    ShortUserPolicy,
    TemporalUnseen,
    UnseenPolicy,
)


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
    unseen: TemporalUnseen = "keep"
    """Valid/test rows whose user or item is not in train: ``keep``, ``drop``, or
    ``drop_users`` (drop only rows of users unseen in train)."""
    gap: float = Field(default=0, ge=0)
    """Seconds before each cut-off whose rows are dropped (train < t1 - gap, valid < t2 - gap)."""

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


class LastSessionOutSplit(_Split):
    """Per user, sessions in order of their first click: last -> test, second last -> valid."""

    protocol: Literal["last_session_out"] = "last_session_out"
    min_sessions: int = Field(default=3, ge=1)
    """Users with fewer sessions are handled by ``short_users``."""
    short_users: ShortUserPolicy = "train"
    """``train`` (keep all their sessions in train) or ``drop``."""


class TemporalSessionsSplit(_Split):
    """Two global cut-offs applied to whole sessions: ``train < t1 <= valid < t2 <= test``."""

    protocol: Literal["temporal_sessions"] = "temporal_sessions"
    cutoffs: tuple[dt.datetime | int, dt.datetime | int] | None = None
    """Cut-offs as datetimes (naive = UTC) or epoch milliseconds."""
    quantiles: tuple[float, float] | None = None
    """Cut-offs as quantiles of the sessions' times (give this or ``cutoffs``)."""
    by: SessionTime = "start"
    """The session's time compared with the cut-offs: its first (``start``) or last (``end``) click."""
    unseen: UnseenPolicy = "keep"
    """Valid/test rows whose item is not in train: ``keep`` or ``drop``."""

    @model_validator(mode="after")
    def _one(self) -> TemporalSessionsSplit:
        if (self.cutoffs is None) == (self.quantiles is None):
            raise ValueError("temporal_sessions: give exactly one of cutoffs or quantiles")
        return self


class SrgnnSplit(_Split):
    """SR-GNN's split (the ``srgnn`` step's ``srgnn_part``), optionally its Yoochoose fraction."""

    protocol: Literal["srgnn"] = "srgnn"
    fraction: int | None = Field(default=None, ge=1)
    """Keep the most recent 1/``fraction`` of train's (prefix, target) pairs (4, 64); null: all."""

    def params(self) -> dict[str, Any]:
        """srgnn takes no history options."""
        return self.model_dump(exclude={"protocol", "history", "history_cap"})


class TargetEventSplit(_Split):
    """Valid/test hold only ``target`` events (a base protocol over them); train holds every
    event before the cut (see docs/sessions.md, "Events")."""

    protocol: Literal["target_event"] = "target_event"
    target: list[str] = Field(min_length=1)
    """The evaluated event types (``[order]``)."""
    base: LeaveOneOutSplit | GlobalTemporalSplit | RatioSplit = Field(
        default_factory=LeaveOneOutSplit, discriminator="protocol"
    )
    """The protocol run on the target rows: leave_one_out, ratio (chronological) or
    global_temporal, with its own options."""

    @model_validator(mode="after")
    def _chronological(self) -> TargetEventSplit:
        if isinstance(self.base, RatioSplit) and self.base.order != "chronological":
            raise ValueError("target_event: base ratio must be chronological")
        return self

    def params(self) -> dict[str, Any]:
        """``target``, ``base`` (its protocol name), ``base_params`` and the history options."""
        return {
            "target": list(self.target),
            "base": self.base.protocol,
            "base_params": self.base.params(),
            "history": self.history,
            "history_cap": self.history_cap,
        }


SplitSpec = Annotated[
    LeaveOneOutSplit
    | GlobalTemporalSplit
    | RatioSplit
    | ColdStartSplit
    | LastSessionOutSplit
    | TemporalSessionsSplit
    | SrgnnSplit
    | TargetEventSplit,
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
