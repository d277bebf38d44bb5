"""The Recipe model: a declarative, fully explicit description of how a dataset folder is built."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from recdata._types import IndexOrder
from recdata.candidates._spec import CandidatesSpec
from recdata.features import FeaturesSpec, GraphsSpec
from recdata.normalize._mapping import TableSpec
from recdata.recipe._splits import SplitSpec, normalise_split
from recdata.recipe._steps import Step, normalise_step
from recdata.sources import Source

_NAME = re.compile(r"^[a-z0-9][a-z0-9.@_-]*$")
_SPLIT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SyntheticSpec(_Model):
    """Generate the interactions and items offline with :func:`recdata.synthetic.generate`."""

    size: int = Field(default=100_000, ge=1)
    """Number of interactions to generate (``--set size=1000000``)."""
    seed: int = 0
    """Generator seed."""
    n_users: int | None = Field(default=None, ge=1)
    """Distinct users (default ``size // 8``)."""
    n_items: int | None = Field(default=None, ge=1)
    """Distinct items (default ``size // 20``)."""


class ExpectedCounts(_Model):
    """Counts a stage must have; each is optional (only the ones a public table gives)."""

    users: int | None = Field(default=None, ge=0)
    """Distinct users."""
    items: int | None = Field(default=None, ge=0)
    """Distinct items."""
    interactions: int | None = Field(default=None, ge=0)
    """Rows."""

    def mismatches(self, actual: dict[str, int]) -> list[str]:
        """``key expected X, got Y`` for each count that differs."""
        out = []
        for key in ("users", "items", "interactions"):
            want = getattr(self, key)
            if want is not None and actual.get(key) != want:
                out.append(f"{key} expected {want:,}, got {actual.get(key, 0):,}")
        return out


class IndexSpec(_Model):
    """How raw ids become contiguous indices from 1 (assigned after the last step)."""

    order: IndexOrder = "raw_id"
    """``raw_id`` (sorted raw ids), ``first_seen`` or ``popularity`` (most frequent first)."""


class OutputSpec(_Model):
    """How the folder's tables are laid out on disk (never what they hold)."""

    max_rows_per_file: int | None = Field(default=None, ge=1)
    """Write the interactions and each split part with more rows than this as a folder of
    ordered parts of exactly this many rows (``interactions/part-00000.parquet``, ...); null:
    33,554,432 (``recdata.dataset.PART_ROWS``)."""


def _check_table(kind: str, table: TableSpec, sources: list[Source]) -> None:
    names = [s.name for s in sources]
    if table.source not in names:
        raise ValueError(f"{kind}.source {table.source!r} is not one of the sources {names}")
    source = next(s for s in sources if s.name == table.source)
    if source.archive in ("zip", "tar") and table.member is None:
        raise ValueError(f"{kind}: source {table.source!r} is an archive; give member")
    if table.member is not None and source.members:
        declared = [m.name for m in source.members]
        if table.member not in declared:
            raise ValueError(f"{kind}.member {table.member!r} is not one of {declared}")


class Recipe(_Model):
    """A recipe: sources, field mapping, steps, splits, features and expected statistics."""

    name: str
    """Full name, lower-case and hyphenated (``amazon2018-gift-cards-5core``)."""
    family: str
    """Family the recipe belongs to (``amazon2018``, ``movielens``, ``synthetic``)."""
    version: str = "1"
    """Release or version of the data (``2018``, ``100k``)."""
    description: str = ""
    """One paragraph: what the data is and what the recipe does to it."""
    licence: str | None = None
    """Terms of use of the data, in a line."""
    citation: str | None = None
    """What to cite."""
    homepage: str | None = None
    """The publisher's page."""
    alias_of: str | None = None
    """For an alias: the catalog recipe it is built on (with its own overrides)."""
    sources: list[Source] = Field(default_factory=list)
    """Raw files, each with URLs, checksums, archive members (empty for ``synthetic``)."""
    synthetic: SyntheticSpec | None = None
    """Generate data instead of reading sources."""
    interactions: TableSpec | None = None
    """The interaction table and its mapping (``user_id``, ``item_id``, ``timestamp``, ``rating``, extras)."""
    items: TableSpec | None = None
    """Item metadata (``item_id``, ``title``, ``description``, ``categories``, ``brand``, ``price``, ``image_urls``...)."""
    users: TableSpec | None = None
    """User attributes (``user_id`` and any attributes)."""
    item_tags: TableSpec | None = None
    """A table of (``item_id``, ``tag``) rows aggregated into an items ``tags`` list column."""
    social: TableSpec | None = None
    """A (``user_id``, ``friend_id``) table written as ``graphs/social.parquet`` between kept users."""
    events: list[str] | None = None
    """The event vocabulary (``[view, cart, order]``) when the interactions map ``event``:
    every value must be one of these; the manifest records it."""
    steps: list[Step] = Field(default_factory=list)
    """Transforms of the interactions, in order."""
    index: IndexSpec = Field(default_factory=IndexSpec)
    """Index assignment order."""
    splits: dict[str, SplitSpec] = Field(default_factory=dict)
    """Split folder name -> protocol and parameters; the first is the default split."""
    features: FeaturesSpec | None = Field(default_factory=FeaturesSpec)
    """Item texts and embeddings (null: none)."""
    graphs: GraphsSpec | None = Field(default_factory=GraphsSpec)
    """Graphs from the first split's train part (null: none)."""
    candidates: CandidatesSpec | None = None
    """Seeded evaluation candidates of the splits' valid/test rows (off unless set)."""
    expected: dict[str, ExpectedCounts] = Field(default_factory=dict)
    """Expected counts by stage: ``raw`` (after mapping), a step's label, or ``final``."""
    expected_coverage: dict[Literal["items", "users"], dict[str, float]] = Field(
        default_factory=dict
    )
    """Minimum share of rows with a value, per table and field (``{items: {title: 0.9}}``);
    the build warns when the folder falls short."""
    check_stats: bool = True
    """Fail the build when a count differs from ``expected`` (``--set check_stats=false``)."""
    output: OutputSpec = Field(default_factory=OutputSpec)
    """File layout: ``max_rows_per_file`` (``--set output.max_rows_per_file=1000000``)."""

    @field_validator("steps", mode="before")
    @classmethod
    def _steps(cls, value: Any) -> Any:
        return [normalise_step(v) for v in value] if isinstance(value, list) else value

    @field_validator("splits", mode="before")
    @classmethod
    def _splits(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: normalise_split(v) for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _check(self) -> Recipe:
        if not _NAME.match(self.name):
            raise ValueError(
                f"name {self.name!r} must be lower-case letters, digits, '-', '.', '@' or '_'"
            )
        if (self.synthetic is None) == (self.interactions is None):
            raise ValueError("give exactly one of interactions (with sources) or synthetic")
        names = [s.name for s in self.sources]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"sources: repeated name(s) {repeated}")
        for kind in ("interactions", "items", "users", "item_tags", "social"):
            table: TableSpec | None = getattr(self, kind)
            if table is None:
                continue
            table.check_kind(kind)
            if table.lookup is not None:
                _check_table(f"{kind}.lookup", table.lookup, self.sources)
            _check_table(kind, table, self.sources)
        if self.interactions is not None:
            required = next(s for s in self.sources if s.name == self.interactions.source)
            if required.optional:
                raise ValueError(f"the interactions source {required.name!r} cannot be optional")
        if self.events is not None:
            repeated_events = sorted({e for e in self.events if self.events.count(e) > 1})
            if not self.events or repeated_events:
                raise ValueError(f"events: give distinct event types, got {self.events}")
            for step in self.steps:
                named = getattr(step, "events", None) or list(getattr(step, "weights", {}) or {})
                unknown = sorted(set(named) - set(self.events))
                if unknown:
                    raise ValueError(
                        f"steps.{step.key}: event type(s) {unknown} are not in events {self.events}"
                    )
        labels = [s.key for s in self.steps]
        repeated = sorted({n for n in labels if labels.count(n) > 1})
        if repeated:
            raise ValueError(f"steps: repeated label(s) {repeated}; give each a distinct name")
        unknown = sorted(set(self.expected) - {"raw", "final", *labels})
        if unknown:
            raise ValueError(
                f"expected: unknown stage(s) {unknown}; use raw, final or a step label {labels}"
            )
        for table, minimums in self.expected_coverage.items():
            bad = {k: v for k, v in minimums.items() if not 0.0 <= v <= 1.0}
            if bad:
                raise ValueError(f"expected_coverage.{table}: shares must be in [0, 1], got {bad}")
        for split in self.splits:
            if not _SPLIT_NAME.match(split):
                raise ValueError(f"splits: {split!r} is not a file-safe folder name")
        if self.candidates is not None:
            if not self.splits:
                raise ValueError("candidates: the recipe has no splits to add candidates to")
            wanted = self.candidates.protocols or []
            unknown = [p for p in wanted if p != "all" and p not in self.splits]
            if unknown:
                raise ValueError(
                    f"candidates.protocols: {unknown} are not splits of the recipe {list(self.splits)}"
                )
        return self

    @property
    def download_size(self) -> int | None:
        """Bytes of the required sources when every size is known, else None."""
        sizes = [s.size for s in self.sources if not s.optional]
        if any(s is None for s in sizes):
            return None
        return sum(sizes)  # type: ignore[arg-type]

    def resolved(self) -> dict[str, Any]:
        """The fully explicit form (every default written out), as JSON-ready data.

        ``candidates`` appears only when set, so recipes without it keep their hash.
        """
        data = self.model_dump(mode="json")
        if data.get("candidates") is None:
            data.pop("candidates", None)
        return data
