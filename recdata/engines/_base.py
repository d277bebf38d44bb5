"""The engine interface: what each pipeline stage takes and returns.

A build reads and maps its sources on the driver (polars), hands the mapped interactions to an
engine with :meth:`Engine.load`, and from then on holds only the engine's own frames (``F``)
until :meth:`Engine.collect` turns a finished table into a ``polars.DataFrame`` (or
:meth:`Engine.collect_chunks` into ordered chunks of one) for the folder writer. Every stage
an engine implements gives the same rows in the same order as every other engine's (DESIGN §5, "engines").
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import polars as pl

from recdata._types import IndexOrder
from recdata.dataset import SplitRecord
from recdata.errors import RecdataError

F = TypeVar("F")
"""An engine's frame type (``polars.DataFrame``, ``pyspark.sql.DataFrame``)."""


@dataclass
class Indexed(Generic[F]):
    """Interactions with int32 indices in sequence order, and the two id maps (sorted by idx)."""

    interactions: F
    user_map: pl.DataFrame
    item_map: pl.DataFrame


@dataclass
class SplitResult(Generic[F]):
    """One split protocol's three parts and its manifest record."""

    parts: dict[str, F]
    record: SplitRecord
    sizes: dict[str, int] = field(default_factory=dict)
    """Rows of ``train``, ``valid`` and ``test`` (for the manifest's statistics)."""


@dataclass
class TableRead(Generic[F]):
    """Interactions an engine read and mapped itself (:meth:`Engine.read_interactions`)."""

    frame: F
    """As :meth:`Engine.load` would give them: canonical columns, rows without ids dropped."""
    per_file: list[tuple[int, dict[str, Any]]]
    """Per file read: the malformed lines skipped and the ``clean:`` counts."""
    dropped: int
    """Rows without a user or item id, dropped."""
    how: str = ""
    """How they were read, for the build's log (``read and mapped by 5 Spark tasks``)."""


class Engine(ABC, Generic[F]):
    """One implementation of the engine-dependent stages (steps, index, splits, graphs, stats)."""

    name: str

    @abstractmethod
    def load(self, interactions: pl.DataFrame) -> F:
        """The mapped raw-id interactions (canonical columns, source row order) as an engine frame."""

    def prepare_read(self) -> None:
        """Called before the sources are fetched, when :meth:`read_interactions` will be asked:
        start what reading needs (in the background). Here: nothing."""

    def read_interactions(
        self, files: list[tuple[Any, Path]], *, events: list[str] | None, where: str
    ) -> TableRead[F] | None:
        """Read and map the interactions' files (``(TableSpec, path)`` pairs, in order) on the
        engine itself, with the driver's results; ``None``: the driver reads them (polars) and
        hands them over with :meth:`load`. ``events`` is the vocabulary the ``event`` column
        is checked against, ``where`` names the table in that check's messages.
        Here: ``None``."""
        return None

    @abstractmethod
    def counts(self, frame: F) -> dict[str, int]:
        """``{"interactions", "users", "items"}`` of a raw-id frame."""

    @abstractmethod
    def step(self, step: Any, frame: F) -> tuple[F, dict[str, Any]]:
        """Apply one recipe step to a raw-id frame; the result and step-only details."""

    @abstractmethod
    def index(self, frame: F, *, order: IndexOrder) -> Indexed[F]:
        """Raw ids to contiguous indices in ``order``; rows into sequence order."""

    @abstractmethod
    def split(self, interactions: F, *, protocol: str, params: dict[str, Any]) -> SplitResult[F]:
        """One split protocol over the indexed interactions."""

    @abstractmethod
    def user_item(self, train: F, *, weight: str) -> pl.DataFrame:
        """The user–item edge list of a train part (``graphs.user_item``)."""

    @abstractmethod
    def item_item(
        self,
        train: F,
        *,
        window: int | None,
        symmetric: bool,
        top_k: int | None,
        self_loops: bool,
        order: list[str],
    ) -> pl.DataFrame:
        """The item–item co-occurrence edge list of a train part (``graphs.item_item``)."""

    @abstractmethod
    def statistics(self, interactions: F) -> dict[str, Any]:
        """:func:`recdata.statistics.interaction_stats` of the indexed interactions."""

    def session_count(self, frame: F) -> int:
        """Distinct (``user_idx``, ``session_id``) pairs of indexed interactions (a null
        session counts once per user). Here: over :meth:`collect`."""
        from recdata import schema as S

        return int(self.collect(frame).select(pl.struct(S.USER, S.SESSION).n_unique()).item())

    def event_counts(self, frame: F) -> dict[str, int]:
        """Rows per event type, in sorted type order (the manifest's ``events.counts``).
        Here: over :meth:`collect`."""
        from recdata.events import event_counts

        return event_counts(self.collect(frame))

    @abstractmethod
    def collect(self, frame: F) -> pl.DataFrame:
        """A finished table as a ``polars.DataFrame``, rows in the frame's defined order."""

    def collect_chunks(self, frame: F) -> Iterator[pl.DataFrame]:
        """An indexed table (interactions, a split part) as consecutive ``polars.DataFrame``
        chunks in ``interaction_idx`` order, so the writer never needs it whole; at least one
        chunk (empty when the table is). Here: the whole of :meth:`collect` as one chunk."""
        yield self.collect(frame)

    def columns(self, frame: F) -> list[str]:
        """Column names of a frame."""
        return list(frame.columns)  # type: ignore[attr-defined]

    def explain(self, exc: Exception) -> RecdataError | None:
        """``exc`` as a one-line error a user can act on when it is the engine's own failure
        (out of memory, a failed job); ``None`` when it is not. Called while the engine is open.
        Here: ``None`` (a polars failure is a bug, reported as it is)."""
        return None

    def close(self) -> None:
        """Release what the engine holds (temporary files, cached frames)."""
