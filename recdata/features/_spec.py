"""Options of the ``features:`` and ``graphs:`` recipe sections (pydantic, typos fail)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from recdata.semantic_ids._spec import SemanticIdsSpec

DEFAULT_TEMPLATE = (
    "{title}\nBrand: {brand}\nCategories: {categories}\n{description}\nPrice: {price}"
)
"""One line per field; a line whose fields are all missing or empty is dropped."""

DEFAULT_TEXT_MODEL = "all-MiniLM-L6-v2"
DEFAULT_IMAGE_MODEL = "clip-ViT-B-32"


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TextSpec(_Spec):
    """Text embeddings of the rendered item texts with a sentence-transformers model."""

    model: str = DEFAULT_TEXT_MODEL
    """Model name (hub id, or the packaged ``all-MiniLM-L6-v2``) or a local folder."""
    revision: str | None = None
    """Hub revision (commit) to pin; local folders are identified by a hash of their files."""
    template: str = DEFAULT_TEMPLATE
    """Item text template: ``{column}`` placeholders, one field group per line."""
    max_tokens: int = Field(default=256, ge=1)
    """Rendered texts are cut to this many whitespace-separated tokens (the model may cut further)."""
    batch_size: int = Field(default=64, ge=1)
    """Texts per forward pass."""
    device: str = "cpu"
    """``cpu``, ``cuda``, ``cuda:1`` or ``mps``."""
    fp16: bool = False
    """Half precision on a GPU (ignored with a warning on CPU)."""
    normalize: bool = True
    """L2-normalise the vectors."""


class ImageSpec(_Spec):
    """Image embeddings of each item's first downloadable image with a CLIP-style model."""

    model: str = DEFAULT_IMAGE_MODEL
    """sentence-transformers CLIP model name or local folder."""
    revision: str | None = None
    """Hub revision (commit) to pin."""
    batch_size: int = Field(default=32, ge=1)
    """Images per forward pass."""
    concurrency: int = Field(default=8, ge=1)
    """Parallel downloads."""
    timeout: float = Field(default=20.0, gt=0)
    """Seconds per HTTP request."""
    retries: int = Field(default=2, ge=0)
    """Extra attempts per URL after a failure (with a short back-off)."""
    max_urls: int = Field(default=3, ge=1)
    """URLs tried per item, in order, until one gives a decodable image."""
    device: str = "cpu"
    """``cpu``, ``cuda`` or ``mps``."""
    fp16: bool = False
    """Half precision on a GPU."""
    normalize: bool = True
    """L2-normalise the vectors."""


class FeaturesSpec(_Spec):
    """What to add under ``features/``."""

    text: TextSpec | None = Field(default_factory=TextSpec)
    """Text embeddings (used only when the items have text columns); null to skip."""
    image: ImageSpec | None = None
    """Image embeddings (used only when the items have ``image_urls``)."""
    item_text: bool = True
    """Write the rendered texts to ``features/item_text.parquet``."""
    semantic_ids: SemanticIdsSpec | None = None
    """Semantic IDs quantised from an embedding of this build (computed after the embeddings),
    e.g. ``{method: rq-kmeans, levels: 3, codebook: 256}``; ``true`` means the defaults."""

    @field_validator("semantic_ids", mode="before")
    @classmethod
    def _true_means_default(cls, value: object) -> object:
        if value is True:
            return SemanticIdsSpec()
        return None if value is False else value


class UserItemSpec(_Spec):
    """The user–item edge list of the split's train part."""

    weight: Literal["count", "rating"] = "count"
    """Edge weight: interactions of the pair, or their mean rating."""


class CoocSpec(_Spec):
    """Item–item co-occurrence within a window of each user's train sequence."""

    window: int | None = Field(default=1, ge=1)
    """Max distance in positions (1 = consecutive items); null = any two items of a user."""
    symmetric: bool = True
    """Add both directions' counts to each edge; otherwise edges go earlier -> later."""
    top_k: int | None = Field(default=None, ge=1)
    """Keep each item's k heaviest edges."""
    self_loops: bool = False
    """Count an item repeated within the window as an edge to itself."""


class KnnSpec(_Spec):
    """Item–item kNN by cosine similarity of an embedding written by this build."""

    k: int = Field(default=10, ge=1)
    """Neighbours per item."""
    source: Literal["text", "image"] = "text"
    """Which embedding to use."""


class GraphsSpec(_Spec):
    """What to add under ``graphs/``; ``true``/``false`` stand for the default spec / none."""

    user_item: UserItemSpec | None = Field(default_factory=UserItemSpec)
    """The user–item graph."""
    item_item: CoocSpec | None = Field(default_factory=CoocSpec)
    """The item–item co-occurrence graph."""
    item_knn: KnnSpec | None = None
    """The item kNN graph (from embeddings, not from interactions)."""
    split: str | None = None
    """The split protocol whose train part builds the graphs (default: the first one)."""

    @field_validator("user_item", "item_item", "item_knn", mode="before")
    @classmethod
    def _bool_means_default(cls, value: object, info: object) -> object:
        if value is True:
            name = getattr(info, "field_name", "")
            return {"user_item": UserItemSpec, "item_item": CoocSpec, "item_knn": KnnSpec}[name]()
        if value is False:
            return None
        return value
