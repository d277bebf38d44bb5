"""The download cache: content-addressed blobs, a small JSON index, file locks, atomic writes.

Layout under ``RECDATA_HOME`` (default ``~/.cache/recdata``)::

    blobs/sha256/<hash>/<file name>     verified downloads, keyed by content
    extracted/<archive sha256>/...      archive members, complete once ``.recdata-complete`` exists
    index.json                          source key (canonical URL) -> sha256/md5/size seen
    tofu.json                           trust-on-first-use record for sources without checksum
    manual/                             where manual downloads may be dropped
    tmp/, locks/                        partial downloads (``.part``) and lock files

Every write goes to a temporary file that is renamed into place, and every read-modify-write
of the index happens under a lock, so builds sharing one cache never see half-written files.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

if os.name == "nt":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock_fd(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_LOCK, 1)

    def _unlock_fd(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock_fd(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)

    def _unlock_fd(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def cache_home() -> Path:
    """The cache folder: ``$RECDATA_HOME`` if set, else ``~/.cache/recdata``."""
    env = os.environ.get("RECDATA_HOME")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "recdata"


def _safe_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf8")).hexdigest()[:32]


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive advisory lock (``flock``) on ``path``; blocks until it is free.

    Locks belong to the open file, so two threads of one process exclude each other too.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _lock_fd(fd)
        try:
            yield
        finally:
            _unlock_fd(fd)
    finally:
        os.close(fd)


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class Cache:
    """Paths and records of one cache folder."""

    def __init__(self, home: Path | None = None) -> None:
        self.home = Path(home) if home is not None else cache_home()

    # ---- paths
    @property
    def tmp(self) -> Path:
        return self.home / "tmp"

    @property
    def manual(self) -> Path:
        return self.home / "manual"

    def blob_dir(self, sha256: str) -> Path:
        return self.home / "blobs" / "sha256" / sha256

    def blob(self, sha256: str, filename: str) -> Path:
        return self.blob_dir(sha256) / filename

    def extracted_dir(self, archive_sha256: str) -> Path:
        return self.home / "extracted" / archive_sha256

    def part(self, key: str, filename: str) -> Path:
        """The partial-download file of one source (kept between runs to resume)."""
        return self.tmp / f"{_safe_key(key)}-{filename}.part"

    def lock(self, key: str) -> contextlib.AbstractContextManager[None]:
        return file_lock(self.home / "locks" / f"{_safe_key(key)}.lock")

    # ---- blobs
    def find_blob(self, sha256: str, filename: str) -> Path | None:
        """The cached file with this content, under ``filename`` (hard-linked if stored by another name)."""
        target = self.blob(sha256, filename)
        if target.is_file():
            return target
        folder = self.blob_dir(sha256)
        if not folder.is_dir():
            return None
        for other in sorted(folder.iterdir()):
            if other.is_file() and not other.name.startswith("."):
                tmp = folder / f".{filename}.{os.getpid()}.link"
                try:
                    os.link(other, tmp)
                except OSError:
                    import shutil

                    shutil.copyfile(other, tmp)
                os.replace(tmp, target)
                return target
        return None

    def store_blob(self, src: Path, sha256: str, filename: str) -> Path:
        """Move the verified file ``src`` into the cache (atomic rename; same file system)."""
        target = self.blob(sha256, filename)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, target)
        return target

    # ---- JSON records (index.json, tofu.json)
    def _read_json(self, name: str) -> dict[str, Any]:
        path = self.home / name
        try:
            return json.loads(path.read_text(encoding="utf8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            return {}

    def _update_json(self, name: str, key: str, value: dict[str, Any]) -> None:
        with file_lock(self.home / "locks" / f"{name}.lock"):
            data = self._read_json(name)
            data[key] = value
            atomic_write_text(self.home / name, json.dumps(data, indent=1, sort_keys=True) + "\n")

    def index_get(self, key: str) -> dict[str, Any] | None:
        """What the cache knows of a source key: ``{"sha256", "md5", "size"}``."""
        return self._read_json("index.json").get(key)

    def index_put(self, key: str, *, sha256: str, md5: str | None, size: int) -> None:
        self._update_json("index.json", key, {"sha256": sha256, "md5": md5, "size": size})

    def tofu_get(self, key: str) -> dict[str, Any] | None:
        """The hash recorded the first time a checksum-less source was fetched, if any."""
        return self._read_json("tofu.json").get(key)

    def tofu_put(self, key: str, *, sha256: str, size: int, url: str) -> None:
        self._update_json("tofu.json", key, {"sha256": sha256, "size": size, "url": url})
