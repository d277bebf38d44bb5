"""Safe, streaming extraction of zip / tar / gzip archives, verifying member checksums.

A member whose name is absolute, has a drive letter or a ``..`` component (zip-slip), or that is
a link or device (tar), makes the whole archive refused before anything is written.
Members are copied in 1 MiB chunks while being hashed; extraction happens in a temporary folder
renamed into place at the end, so a failure never leaves a half-extracted tree in the cache.
"""

from __future__ import annotations

import contextlib
import gzip
import posixpath
import re
import shutil
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from recdata.errors import ChecksumMismatch, SourceError
from recdata.sources._models import Member
from recdata.sources._verify import Hasher, check

COMPLETE = ".recdata-complete"
_CHUNK = 1 << 20
_DRIVE = re.compile(r"^[A-Za-z]:")


def safe_member_path(archive: Path, name: str) -> str:
    """The normalised relative path of a member, or a SourceError if it could escape the folder."""
    clean = name.replace("\\", "/")
    parts = [p for p in clean.split("/") if p not in ("", ".")]
    if clean.startswith("/") or _DRIVE.match(clean) or ".." in parts or not parts:
        raise SourceError(
            f"{archive.name}: member {name!r} would be written outside the extraction folder "
            "(absolute path or '..'); refusing to extract this archive (zip-slip); "
            "get the archive from its publisher",
            path=archive,
        )
    return "/".join(parts)


def _copy_verified(
    src: IO[bytes], dest: Path, archive: Path, member: Member | None, name: str
) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    hasher = Hasher()
    with open(dest, "wb") as out:
        while chunk := src.read(_CHUNK):
            out.write(chunk)
            hasher.update(chunk)
    if member is not None:
        check(
            hasher.digest(),
            where=f"{archive.name} member {name}",
            sha256=member.sha256,
            md5=member.md5,
            size=member.size,
            hint="the archive differs from the one the recipe was written for; "
            "delete it and fetch again, or update the recipe",
            path=archive,
        )


def _zip_entries(archive: Path, zf: zipfile.ZipFile) -> Iterator[tuple[str, zipfile.ZipInfo]]:
    infos = zf.infolist()
    names = [(safe_member_path(archive, i.filename), i) for i in infos]  # check all first
    for clean, info in names:
        if not info.is_dir():
            yield clean, info


def _tar_entries(archive: Path, tf: tarfile.TarFile) -> list[tuple[str, tarfile.TarInfo]]:
    out = []
    for info in tf.getmembers():
        clean = safe_member_path(archive, info.name)
        if info.isdir():
            continue
        if not info.isfile():
            raise SourceError(
                f"{archive.name}: member {info.name!r} is a link or special file; "
                "refusing to extract this archive",
                path=archive,
            )
        out.append((clean, info))
    return out


def _gzip_member_name(archive: Path, members: list[Member]) -> str:
    if members:
        return safe_member_path(archive, members[0].name)
    return archive.name[:-3] if archive.name.endswith(".gz") else archive.name + ".out"


def extract(
    archive: Path, kind: str, dest: Path, members: list[Member], *, scratch: Path
) -> dict[str, Path]:
    """Extract ``archive`` (``zip``/``tar``/``gzip``) into ``dest``; returns member name -> path.

    With ``members`` declared, only those are extracted and each is verified; otherwise all
    files are. Already-complete extractions (``dest/.recdata-complete``) are reused.
    """
    wanted = {safe_member_path(archive, m.name): m for m in members}
    if (dest / COMPLETE).is_file():
        found = _complete_members(dest, wanted)
        if found is not None:
            return found
    scratch.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=scratch, prefix="extract-"))
    try:
        extracted = _extract_into(archive, kind, work, wanted)
        (work / COMPLETE).write_text("\n".join(sorted(extracted)) + "\n", encoding="utf8")
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.exists():
            shutil.rmtree(dest)  # an older, incomplete or partial extraction of the same blob
        try:
            work.rename(dest)
        except OSError:
            if not (dest / COMPLETE).is_file():
                raise
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    found = _complete_members(dest, wanted)
    assert found is not None
    return found


def _complete_members(dest: Path, wanted: dict[str, Member]) -> dict[str, Path] | None:
    listed = (dest / COMPLETE).read_text(encoding="utf8").split()
    names = list(wanted) if wanted else listed
    if any(n not in listed for n in names):
        return None
    return {n: dest / n for n in names}


def _extract_into(archive: Path, kind: str, work: Path, wanted: dict[str, Member]) -> list[str]:
    done: list[str] = []
    try:
        if kind == "zip":
            with zipfile.ZipFile(archive) as zf:
                entries = list(_zip_entries(archive, zf))
                _require(archive, [n for n, _ in entries], wanted)
                for clean, info in entries:
                    if wanted and clean not in wanted:
                        continue
                    with zf.open(info) as src:
                        _copy_verified(src, work / clean, archive, wanted.get(clean), clean)
                    done.append(clean)
        elif kind == "tar":
            with tarfile.open(archive, mode="r:*") as tf:
                entries = _tar_entries(archive, tf)
                _require(archive, [n for n, _ in entries], wanted)
                for clean, info in entries:
                    if wanted and clean not in wanted:
                        continue
                    src = tf.extractfile(info)
                    assert src is not None
                    with contextlib.closing(src):
                        _copy_verified(src, work / clean, archive, wanted.get(clean), clean)
                    done.append(clean)
        elif kind == "gzip":
            name = _gzip_member_name(archive, list(wanted.values()))
            with gzip.open(archive, "rb") as src:
                _copy_verified(src, work / name, archive, wanted.get(name), name)
            done.append(name)
        else:
            raise SourceError(f"{archive.name}: unknown archive kind {kind!r}", path=archive)
    except ChecksumMismatch:
        raise
    except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise SourceError(
            f"{archive.name}: cannot read as {kind} archive ({exc}); "
            "delete it from the cache and fetch again",
            path=archive,
        ) from exc
    return done


def _require(archive: Path, present: list[str], wanted: dict[str, Member]) -> None:
    missing = [n for n in wanted if n not in set(present)]
    if missing:
        shown = ", ".join(sorted(present)[:8])
        raise SourceError(
            f"{archive.name}: member(s) {missing} not in the archive (it has: {shown}"
            f"{', ...' if len(present) > 8 else ''}); fix the recipe's members",
            path=archive,
        )


def member_basename(name: str) -> str:
    """The last path component of a member name."""
    return posixpath.basename(name.replace("\\", "/"))
