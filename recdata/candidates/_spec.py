"""Options of the ``candidates:`` recipe section and of ``recdata candidates`` (pydantic)."""

from __future__ import annotations

from typing import Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field

CandidateSampler: TypeAlias = Literal["uniform", "popularity", "impressions", "all"]
CandidateExclude: TypeAlias = Literal["all", "train"]
EVAL_PARTS: tuple[str, ...] = ("valid", "test")


class CandidatesSpec(BaseModel):
    """Seeded evaluation candidates: the positive plus ``n`` negatives per valid/test row."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sampler: CandidateSampler = "uniform"
    """``uniform``, ``popularity`` (train counts ^ alpha), ``impressions`` (shown, not clicked)
    or ``all`` (full ranking: no file is written, the manifest records it)."""
    n: int = Field(default=99, ge=1)
    """Negatives per row; a row with fewer eligible items gets all of them (counted)."""
    seed: int = Field(default=0, ge=0)
    """Seed of the counter-based generator."""
    exclude: CandidateExclude = "all"
    """``all``: no item the user interacted with anywhere; ``train``: none of the user's train items."""
    protocols: list[str] | None = None
    """Split protocols to add candidates to (None: the default split; ``[all]``: every split)."""
    alpha: float = Field(default=1.0, ge=0)
    """Exponent of the train counts for ``popularity`` (0: uniform over items seen in train)."""

    def params(self) -> dict[str, object]:
        """The parameters recorded in the manifest (alpha only for popularity)."""
        return {
            "sampler": self.sampler,
            "n": self.n,
            "seed": self.seed,
            "exclude": self.exclude,
            "alpha": self.alpha if self.sampler == "popularity" else None,
        }
