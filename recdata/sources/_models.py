"""Declarations of raw sources (as written in recipes) and the verified local files fetch returns."""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import unquote, urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

_HEX = "0123456789abcdef"


def _check_hex(value: str | None, length: int, what: str) -> str | None:
    if value is None:
        return None
    value = value.strip().lower()
    if len(value) != length or any(c not in _HEX for c in value):
        raise ValueError(f"{what} must be {length} hex digits, got {value!r}")
    return value


Sha256 = Annotated[str | None, AfterValidator(lambda v: _check_hex(v, 64, "sha256"))]
"""An optional sha256 checksum, normalised to 64 lower-case hex digits."""
Md5 = Annotated[str | None, AfterValidator(lambda v: _check_hex(v, 32, "md5"))]
"""An optional md5 checksum, normalised to 32 lower-case hex digits."""


class Member(BaseModel):
    """One file inside an archive, with its own checksum (used to verify extracted copies)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="path inside the archive, '/'-separated")
    sha256: Sha256 = None
    md5: Md5 = None
    size: int | None = Field(default=None, ge=0)


class HFFile(BaseModel):
    """A file in a Hugging Face Hub repository at a pinned revision (a commit hash)."""

    model_config = ConfigDict(extra="forbid")

    repo_id: str
    filename: str
    revision: str = Field(description="pinned commit; a branch name makes the build irreproducible")
    repo_type: str = "dataset"

    @field_validator("revision")
    @classmethod
    def _pinned(cls, v: str) -> str:
        if not re.fullmatch(r"[0-9a-f]{40}", v):
            raise ValueError(
                f"revision must be a 40-hex commit hash (a branch or tag such as {v!r} moves)"
            )
        return v

    @property
    def url(self) -> str:
        """A stable, human-readable identifier (not fetched directly)."""
        return f"hf://{self.repo_type}s/{self.repo_id}@{self.revision}/{self.filename}"


class SourceVariant(BaseModel):
    """Another known file that may stand in for a source (e.g. a publisher's sample of it).

    It is used only when the source itself is not available, is found locally (``--raw-dir``,
    the manual folder, the cache or a mirror folder) by ``filename``, verified by its own
    checksum, and a build from it skips the recipe's expected statistics (they are the full
    file's)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="short label recorded by the build, e.g. 'srgnn-sample'")
    filename: str = Field(description="the variant's file name")
    sha256: Sha256 = None
    md5: Md5 = None
    size: int | None = Field(default=None, ge=0)
    description: str = ""


class Source(BaseModel):
    """One raw file of a recipe: where to get it, how to verify it, what is inside it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="key used by the recipe, e.g. 'reviews', 'meta'")
    urls: list[str] = Field(default_factory=list, description="canonical URL first, then mirrors")
    sha256: Sha256 = Field(default=None, description="None => trust on first use")
    md5: Md5 = Field(default=None, description="for legacy publishers that give only md5")
    size: int | None = Field(default=None, ge=0)
    filename: str | None = Field(default=None, description="default: basename of urls[0]")
    archive: Literal["zip", "tar", "gzip"] | None = None
    members: list[Member] = Field(default_factory=list)
    optional: bool = False
    manual: str | None = Field(default=None, description="how to obtain a manual-download file")
    hf: HFFile | None = None
    licence: str | None = None
    citation: str | None = None
    variants: list[SourceVariant] = Field(
        default_factory=list,
        description="other files that may stand in for this one, found locally only",
    )

    @model_validator(mode="after")
    def _has_origin(self) -> Source:
        if not self.urls and self.hf is None and self.manual is None:
            raise ValueError(f"source {self.name!r} needs urls, hf or manual instructions")
        if self.filename is not None and (
            "/" in self.filename or "\\" in self.filename or self.filename in ("", ".", "..")
        ):
            raise ValueError(f"source {self.name!r}: filename must be a plain file name")
        return self

    @property
    def file_name(self) -> str:
        """The local file name: ``filename``, else the basename of the canonical URL or HF path."""
        if self.filename:
            return self.filename
        if self.urls:
            base = posixpath.basename(unquote(urlsplit(self.urls[0]).path))
            if base:
                return base
        if self.hf is not None:
            return posixpath.basename(self.hf.filename)
        return self.name

    @property
    def key(self) -> str:
        """Identity used by the cache index and the trust-on-first-use record."""
        if self.urls:
            return self.urls[0]
        if self.hf is not None:
            return self.hf.url
        return f"manual:{self.file_name}"

    @property
    def trust_on_first_use(self) -> bool:
        """True when the publisher gives no checksum for this file."""
        return self.sha256 is None and self.md5 is None


class FetchedSource(BaseModel):
    """A source resolved to verified local files (or reported missing when optional)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    path: Path | None = Field(
        description="verified local file; for members found already extracted in --raw-dir, "
        "the folder holding them; None when an optional source is missing"
    )
    url: str | None = Field(
        default=None, description="URL that served it, or 'raw-dir', 'mirror', 'cache', 'manual'"
    )
    sha256: str | None = None
    size: int | None = None
    members: dict[str, Path] = Field(default_factory=dict)
    missing: bool = False
    trusted_on_first_use: bool = False
    variant: str | None = None
    """The name of the :class:`SourceVariant` used in place of the source, if one was."""
