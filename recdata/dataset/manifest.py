"""The ``manifest.json`` model: what a dataset folder holds and how it was made.

The manifest is deterministic: no absolute paths and no wall-clock times (those go to
``build.log``), so two builds of the same recipe from the same bytes are byte-identical.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from recdata.errors import DatasetError
from recdata.schema import SCHEMA_VERSION

FORMAT_VERSION = "1"
MANIFEST_NAME = "manifest.json"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FileRecord(_Model):
    """Checksum and size of one file of the folder."""

    sha256: str
    """Hex sha256 of the file's bytes."""
    bytes: int
    """Size in bytes."""
    rows: int | None = None
    """Row count for Parquet tables; None for other files."""


class SourceRecord(_Model):
    """One raw source the build read, as verified."""

    name: str
    """The recipe's key for the source (``reviews``, ``meta``)."""
    url: str | None = None
    """Canonical URL of the file (not the mirror or local path it came from)."""
    sha256: str | None = None
    """sha256 of the verified file; None only for a missing optional source."""
    bytes: int | None = None
    """Size of the verified file."""
    trusted_on_first_use: bool = False
    """True when the recipe declares no checksum and the hash above was recorded on first use."""
    missing: bool = False
    """True for an optional source that was not available; the build went on without it."""


class StepRecord(_Model):
    """One transform applied to the interactions, with its counts before and after."""

    name: str
    """The step's name as in the recipe (``dedup``, ``kcore``)."""
    params: dict[str, Any] = Field(default_factory=dict)
    """Every parameter, explicit."""
    rows_before: int
    """Interactions entering the step."""
    rows_after: int
    """Interactions leaving the step."""
    details: dict[str, Any] = Field(default_factory=dict)
    """Step-only facts (k-core rounds, rows skipped as bad lines)."""


class SplitRecord(_Model):
    """One split protocol written under ``splits/<name>/``."""

    protocol: str
    """The splitter (``leave_one_out``, ``global_temporal``, ``ratio``, ``cold_start``)."""
    params: dict[str, Any] = Field(default_factory=dict)
    """Every parameter of the splitter, explicit."""
    partition: bool = True
    """True when train, valid and test are disjoint and their union is the interactions."""
    ordered: bool = False
    """True when no valid/test row is earlier than its user's train rows (checked by validate)."""
    report: dict[str, Any] = Field(default_factory=dict)
    """What the splitter kept, dropped or moved, with counts."""
    history: bool = False
    """True when split files carry a ``history`` column."""


class FeatureRecord(_Model):
    """One file under ``features/`` (an embedding table, the rendered item texts or semantic IDs)."""

    kind: Literal["text", "image", "item_text", "semantic_ids"]
    """What the file holds (``semantic_ids``: code tuples; method, parameters, embedding and
    quality metrics are in ``details``)."""
    model: str | None = None
    """Model name or local path's base name."""
    revision: str | None = None
    """Model revision (commit) when known."""
    dim: int | None = None
    """Embedding dimension."""
    normalized: bool | None = None
    """Whether vectors are L2-normalised."""
    template: str | None = None
    """The item text template."""
    details: dict[str, Any] = Field(default_factory=dict)
    """Counts (items embedded, missing images) and settings (batch size, dtype)."""


class GraphRecord(_Model):
    """One edge list under ``graphs/``."""

    kind: Literal["user_item", "item_item", "item_knn", "social"]
    """``user_item`` and ``item_item`` come from a split's train part; ``item_knn`` from embeddings."""
    split: str | None = None
    """The split protocol whose train part built the graph (None for item_knn and social)."""
    params: dict[str, Any] = Field(default_factory=dict)
    """Window, weighting, symmetric, top-k, source embedding."""
    stats: dict[str, Any] = Field(default_factory=dict)
    """Edge count and degree statistics."""


class CandidatePartRecord(_Model):
    """The candidate lists of one evaluation part (valid or test) of a split."""

    file: str | None = None
    """``splits/<protocol>/candidates-<part>.parquet``; None for the ``all`` sampler (no file)."""
    rows: int = 0
    """Evaluated rows (one list each)."""
    short_rows: int = 0
    """Rows with fewer than ``n`` negatives because fewer items were eligible."""
    negatives: int = 0
    """Negatives over all lists."""


class CandidatesRecord(_Model):
    """Seeded evaluation candidates of one split protocol: how they were drawn, per part."""

    sampler: Literal["uniform", "popularity", "impressions", "all"]
    """How negatives were chosen (``all``: full ranking, no file)."""
    n: int
    """Negatives per row (fewer only for rows counted in ``short_rows``)."""
    seed: int
    """Seed of the counter-based generator."""
    exclude: Literal["all", "train"]
    """Items never given as negatives: all the user's interactions, or the user's train items."""
    alpha: float | None = None
    """Exponent of the train counts (popularity sampler only)."""
    parts: dict[str, CandidatePartRecord] = Field(default_factory=dict)
    """``valid`` and ``test``."""


class IndexRecord(_Model):
    """How raw ids were mapped to contiguous indices (from 1; 0 is padding)."""

    user_order: str = "raw_id"
    """Order of user indices: raw_id, first_seen or popularity."""
    item_order: str = "raw_id"
    """Order of item indices: raw_id, first_seen or popularity."""


class Manifest(_Model):
    """The whole ``manifest.json``."""

    format_version: str = FORMAT_VERSION
    """Version of this manifest layout."""
    schema_version: str = SCHEMA_VERSION
    """Version of the table schemas (recdata.schema)."""
    recdata_version: str = ""
    """recdata version that wrote the folder."""
    name: str
    """Dataset (recipe) name."""
    recipe: dict[str, Any] | None = None
    """The fully resolved recipe; None for folders written by hand."""
    recipe_hash: str | None = None
    """sha256 of the resolved recipe's canonical JSON."""
    sources: list[SourceRecord] = Field(default_factory=list)
    """Raw sources read, as verified."""
    steps: list[StepRecord] = Field(default_factory=list)
    """Transforms applied, in order."""
    index: IndexRecord = Field(default_factory=IndexRecord)
    """Index assignment order."""
    default_split: str | None = None
    """The split protocol that features and graphs use (the recipe's first)."""
    splits: dict[str, SplitRecord] = Field(default_factory=dict)
    """Split protocols by folder name."""
    features: dict[str, FeatureRecord] = Field(default_factory=dict)
    """Feature files by path relative to the folder (``features/text-all-minilm-l6-v2.parquet``)."""
    graphs: dict[str, GraphRecord] = Field(default_factory=dict)
    """Graph files by path relative to the folder (``graphs/user_item.parquet``)."""
    candidates: dict[str, CandidatesRecord] = Field(default_factory=dict)
    """Evaluation candidates by split protocol (files ``splits/<protocol>/candidates-*.parquet``)."""
    statistics: dict[str, Any] = Field(default_factory=dict)
    """Statistics of the interactions and of each split."""
    warnings: list[str] = Field(default_factory=list)
    """Things the build skipped or could not do (missing optional source, missing extra)."""
    files: dict[str, FileRecord] = Field(default_factory=dict)
    """Every file of the folder but the manifest and build.log, by relative path."""

    def to_json(self) -> str:
        """Canonical JSON text: sorted keys, two-space indent, trailing newline."""
        return (
            json.dumps(self.model_dump(mode="json"), indent=2, sort_keys=True, ensure_ascii=False)
            + "\n"
        )

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        """Read and validate ``folder/manifest.json``; a :class:`DatasetError` names what is wrong."""
        path = Path(folder) / MANIFEST_NAME
        if not path.is_file():
            what = "does not exist" if not Path(folder).exists() else f"has no {MANIFEST_NAME}"
            raise DatasetError(f"{folder} is not a dataset folder: it {what}", path=path)
        try:
            return cls.model_validate_json(path.read_bytes())
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first.get("loc", ()))
            why = f"{loc}: {first['msg']}" if loc else first["msg"]
            raise DatasetError(f"{path} is not a valid manifest ({why})", path=path) from exc


def manifest_hash(folder: Path) -> str:
    """sha256 of a folder's ``manifest.json`` bytes: the identity of a built dataset."""
    return hashlib.sha256((Path(folder) / MANIFEST_NAME).read_bytes()).hexdigest()


def canonical_hash(obj: Any) -> str:
    """sha256 of an object's canonical JSON (sorted keys, no spaces): used for recipe hashes."""
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
