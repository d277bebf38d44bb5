"""Checksums of local files and the one-line mismatch errors."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from recdata.errors import ChecksumMismatch

_CHUNK = 1 << 20


@dataclass(frozen=True)
class Digest:
    """sha256, md5 and size of some bytes."""

    sha256: str
    md5: str
    size: int


class Hasher:
    """Incremental sha256 + md5 + size, fed while bytes stream past."""

    def __init__(self) -> None:
        self._sha = hashlib.sha256()
        self._md5 = hashlib.md5(usedforsecurity=False)
        self.size = 0

    def update(self, chunk: bytes) -> None:
        self._sha.update(chunk)
        self._md5.update(chunk)
        self.size += len(chunk)

    def digest(self) -> Digest:
        return Digest(self._sha.hexdigest(), self._md5.hexdigest(), self.size)


def digest_file(path: Path, hasher: Hasher | None = None) -> Digest:
    """Hash a file (or continue ``hasher`` with it) in 1 MiB chunks."""
    hasher = hasher or Hasher()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            hasher.update(chunk)
    return hasher.digest()


def mismatch(
    digest: Digest,
    *,
    sha256: str | None,
    md5: str | None,
    size: int | None,
) -> tuple[str, str, str] | None:
    """(what, expected, got) of the first declared property ``digest`` violates, else None."""
    if size is not None and digest.size != size:
        return "size", f"{size} bytes", f"{digest.size} bytes"
    if sha256 is not None and digest.sha256 != sha256:
        return "sha256", sha256, digest.sha256
    if sha256 is None and md5 is not None and digest.md5 != md5:
        return "md5", md5, digest.md5
    return None


def check(
    digest: Digest,
    *,
    where: str,
    sha256: str | None,
    md5: str | None,
    size: int | None,
    hint: str,
    path: Path | None = None,
) -> None:
    """Raise :class:`ChecksumMismatch` naming ``where``, expected and got, and what to do."""
    bad = mismatch(digest, sha256=sha256, md5=md5, size=size)
    if bad is None:
        return
    what, expected, got = bad
    raise ChecksumMismatch(
        f"{where}: {what} mismatch: expected {expected}, got {got}; {hint}",
        path=path,
        expected=expected,
        actual=got,
    )
