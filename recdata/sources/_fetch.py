"""Turn source declarations into verified local files: raw-dir, cache, mirror, Hub, URLs.

Order tried for each source: ``--raw-dir`` (the file, or its archive members already
extracted), the cache, ``<home>/manual/``, ``RECDATA_MIRROR``, the Hugging Face Hub, then the
source's URLs in order. Every file is verified (size, sha256 or md5) before use; a source with
neither is trusted on first use: fetched with a warning, its hash recorded in ``tofu.json`` and
enforced from then on, and refused under ``strict``. Nothing outside the cache is ever deleted.
"""

from __future__ import annotations

import glob
import logging
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from recdata.errors import ChecksumMismatch, MissingExtra, SourceError, UsageError
from recdata.sources._archive import extract, member_basename, safe_member_path
from recdata.sources._cache import Cache
from recdata.sources._download import DownloadError, download
from recdata.sources._hf import hf_download
from recdata.sources._models import FetchedSource, Source
from recdata.sources._progress import progress_bar, wants_progress
from recdata.sources._verify import Digest, check, digest_file

log = logging.getLogger("recdata.sources")


@dataclass(frozen=True)
class _Expect:
    """What a file must match: declared checksums, or the hash recorded on first use."""

    sha256: str | None
    md5: str | None
    size: int | None
    tofu_recorded: bool = False

    @property
    def verifiable(self) -> bool:
        return self.sha256 is not None or self.md5 is not None


@dataclass(frozen=True)
class _Options:
    cache: Cache
    raw_dir: Path | None
    mirror: str | None
    strict: bool
    progress: bool
    timeout: float
    max_attempts: int
    max_wait: float
    backoff: float


def fetch(
    sources: Sequence[Source],
    *,
    home: Path | None = None,
    raw_dir: Path | None = None,
    mirror: str | None = None,
    strict: bool = False,
    progress: bool | None = None,
    timeout: float = 30.0,
    max_attempts: int = 5,
    max_wait: float = 60.0,
    backoff: float = 0.5,
) -> dict[str, FetchedSource]:
    """Download (or find) and verify every source; returns source name -> :class:`FetchedSource`.

    Parameters
    ----------
    home
        Cache folder (default :func:`cache_home`, i.e. ``RECDATA_HOME`` or ``~/.cache/recdata``).
    raw_dir
        Folder of files the user already has: the source file itself or, for archives, the
        declared members already extracted (found by relative path or by basename).
    mirror
        Base URL or folder tried first (default ``$RECDATA_MIRROR``): ``<mirror>/<file name of
        the canonical URL>``.
    strict
        Refuse sources without a published checksum instead of trusting them on first use.
    progress
        Show a progress bar; default: only when stderr is a terminal.
    timeout, max_attempts, max_wait, backoff
        Connect and read timeout (s); requests per URL and kind of failure without a byte
        arriving (a name that does not resolve, a refused connection or a 4xx costs one);
        longest wait before a retry, a server's ``Retry-After`` included (s); urllib3 backoff
        factor (waits of backoff·2ⁿ s, at most 8). See :func:`recdata.sources.download`.

    Raises
    ------
    SourceError
        A required source could not be obtained (the message says where to get it).
    ChecksumMismatch
        A file differs from its declared or recorded checksum (names where, expected, got).
    """
    names = [s.name for s in sources]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise UsageError(f"source names must be unique; repeated: {duplicated}")
    if raw_dir is not None and not Path(raw_dir).is_dir():
        raise UsageError(f"--raw-dir {raw_dir} is not a folder")
    options = _Options(
        cache=Cache(home),
        raw_dir=Path(raw_dir) if raw_dir is not None else None,
        mirror=mirror if mirror is not None else (os.environ.get("RECDATA_MIRROR") or None),
        strict=strict,
        progress=wants_progress(progress),
        timeout=timeout,
        max_attempts=max_attempts,
        max_wait=max_wait,
        backoff=backoff,
    )
    fetched: dict[str, FetchedSource] = {}
    for source in sources:
        try:
            fetched[source.name] = _fetch_one(source, options)
        except ChecksumMismatch:
            raise
        except (SourceError, MissingExtra) as exc:
            variant = _fetch_variant(source, options)
            if variant is not None:
                fetched[source.name] = variant
                continue
            if source.variants and isinstance(exc, SourceError) and not source.optional:
                names = ", ".join(v.filename for v in source.variants)
                raise SourceError(f"{exc} (a known variant would also do: {names})") from exc
            if not source.optional:
                raise
            log.warning("optional source %r is missing: %s", source.name, exc)
            fetched[source.name] = FetchedSource(name=source.name, path=None, missing=True)
    return fetched


# --------------------------------------------------------------------------- one source


def _fetch_one(source: Source, opt: _Options) -> FetchedSource:
    if opt.strict and source.trust_on_first_use:
        raise SourceError(
            f"source {source.name!r} ({source.key}) has no published checksum (sha256: null) "
            "and --strict refuses trust on first use; add its sha256 to the recipe or drop "
            "--strict"
        )
    cache = opt.cache
    cache.home.mkdir(parents=True, exist_ok=True)
    with cache.lock(source.key):
        expect = _expected(source, cache)
        found = _from_raw_dir(source, opt, expect)
        raw_note = _raw_dir_searched(source, opt) if found is None and opt.raw_dir else None
        if found is None:
            found = _from_cache(source, cache, expect)
        if found is None:
            found = _from_local(source, cache.manual, expect, opt, origin="manual")
        if found is None:
            found = _from_mirror_folder(source, opt, expect)
        hub_failures: list[str] = []
        if found is None and source.hf is not None:
            try:
                found = _from_hf(source, opt, expect)
            except (SourceError, MissingExtra) as exc:
                if isinstance(exc, ChecksumMismatch) or (
                    isinstance(exc, MissingExtra) and not source.urls
                ):
                    raise
                log.info("%s; trying the source's URLs", exc)
                hub_failures.append(str(exc))
        if found is None:
            found = _from_urls(source, opt, expect, raw_note, hub_failures)
        if raw_note is not None:
            log.warning("%s; used %s instead", raw_note, _origin(found))
    if source.archive is not None and found.path is not None and not found.members:
        assert found.sha256 is not None
        with cache.lock(f"extract:{found.sha256}"):
            members = extract(
                found.path,
                source.archive,
                cache.extracted_dir(found.sha256),
                source.members,
                scratch=cache.tmp,
            )
        found = found.model_copy(update={"members": members})
    return found


def _fetch_variant(source: Source, opt: _Options) -> FetchedSource | None:
    """The first of ``source.variants`` found locally, verified by its own checksum."""
    for variant in source.variants:
        stand_in = source.model_copy(
            update={
                "filename": variant.filename,
                "sha256": variant.sha256,
                "md5": variant.md5,
                "size": variant.size,
                "urls": [],
                "hf": None,
                "manual": source.manual or f"variant {variant.name} of {source.file_name}",
                "archive": None,
                "members": [],
                "variants": [],
            }
        )
        try:
            found = _fetch_one(stand_in, opt)
        except ChecksumMismatch:
            raise
        except (SourceError, MissingExtra):
            continue
        log.info("source %r: using its variant %r (%s)", source.name, variant.name, found.path)
        return found.model_copy(update={"variant": variant.name})
    return None


def _expected(source: Source, cache: Cache) -> _Expect:
    expect = _Expect(sha256=source.sha256, md5=source.md5, size=source.size)
    if source.trust_on_first_use:
        record = cache.tofu_get(source.key)
        if record is not None:
            expect = replace(
                expect, sha256=record["sha256"], size=record.get("size"), tofu_recorded=True
            )
    return expect


def _hint(source: Source, expect: _Expect) -> str:
    if expect.tofu_recorded:
        return (
            "the hash was recorded when this checksum-less source was first fetched "
            "(tofu.json in the cache); if the publisher really changed the file, delete that "
            "entry to trust the new one"
        )
    return "the file is corrupt or not the one the recipe expects; the bad copy was not cached"


def _accept(
    source: Source,
    opt: _Options,
    expect: _Expect,
    path: Path,
    digest: Digest,
    *,
    where: str,
    url: str,
    hint: str | None = None,
) -> FetchedSource:
    """Verify ``digest`` against ``expect``; record it (index, TOFU); return the fetched source."""
    check(
        digest,
        where=where,
        sha256=expect.sha256,
        md5=expect.md5,
        size=expect.size,
        hint=hint or _hint(source, expect),
        path=path,
    )
    tofu = source.trust_on_first_use
    if tofu and not expect.tofu_recorded:
        log.warning(
            "source %r (%s) has no published checksum: trusting it on first use and recording "
            "sha256 %s (%d bytes); it will be enforced from now on",
            source.name,
            source.key,
            digest.sha256,
            digest.size,
        )
        opt.cache.tofu_put(source.key, sha256=digest.sha256, size=digest.size, url=url)
    opt.cache.index_put(source.key, sha256=digest.sha256, md5=digest.md5, size=digest.size)
    return FetchedSource(
        name=source.name,
        path=path,
        url=url,
        sha256=digest.sha256,
        size=digest.size,
        trusted_on_first_use=tofu,
    )


def _find_file(folder: Path, relative: str) -> Path | None:
    """``folder/relative`` if it is a file, else the first file with that basename below it."""
    direct = folder / relative
    if direct.is_file():
        return direct
    base = member_basename(relative)
    matches = sorted(p for p in folder.rglob(glob.escape(base)) if p.is_file())
    return matches[0] if matches else None


def _from_local(
    source: Source, folder: Path | None, expect: _Expect, opt: _Options, *, origin: str
) -> FetchedSource | None:
    """A file the user placed in ``folder`` (raw-dir or the manual drop folder), used in place."""
    if folder is None or not folder.is_dir():
        return None
    path = _find_file(folder, source.file_name)
    if path is None:
        return None
    digest = digest_file(path)
    return _accept(
        source,
        opt,
        expect,
        path,
        digest,
        where=str(path),
        url=origin,
        hint="this local copy is not the file the recipe expects; replace it with the "
        f"original{(' from ' + source.urls[0]) if source.urls else ''} (it was left untouched)",
    )


def _from_raw_dir(source: Source, opt: _Options, expect: _Expect) -> FetchedSource | None:
    found = _from_local(source, opt.raw_dir, expect, opt, origin="raw-dir")
    if found is not None or opt.raw_dir is None or source.archive is None or not source.members:
        return found
    return _members_from_raw_dir(source, opt)


def _member_names(source: Source) -> list[str]:
    """The extracted archive members ``--raw-dir`` accepts in place of the archive."""
    if source.archive is None:
        return []
    return [safe_member_path(Path(source.file_name), m.name) for m in source.members]


def _find_member(raw_dir: Path, source: Source, name: str) -> Path | None:
    """An extracted member in ``raw_dir``: below ``<stem>/`` first (the archive's own folder, so
    two archives with the same member names, MIND's train and dev, stay apart), then by
    relative path or basename anywhere."""
    stem = raw_dir / source.file_name.split(".")[0]
    path = _find_file(stem, name) if stem.is_dir() else None
    return path if path is not None else _find_file(raw_dir, name)


def _raw_dir_searched(source: Source, opt: _Options) -> str:
    """One clause saying what ``--raw-dir`` was searched for and what of it is there."""
    assert opt.raw_dir is not None
    members = _member_names(source)
    text = f"--raw-dir {opt.raw_dir} was searched for {source.file_name}"
    if not members:
        return f"{text}, which is not there"
    present = [m for m in members if _find_member(opt.raw_dir, source, m) is not None]
    text += f" or its extracted members {', '.join(members)} (by path or file name)"
    if not present:
        return f"{text}, and holds none of them"
    missing = [m for m in members if m not in present]
    return f"{text}, and holds {', '.join(present)} but not {', '.join(missing)}"


def _members_from_raw_dir(source: Source, opt: _Options) -> FetchedSource | None:
    """Archive members the user already extracted, each verified by its member checksum."""
    assert opt.raw_dir is not None
    located: dict[str, Path] = {}
    for name in _member_names(source):
        path = _find_member(opt.raw_dir, source, name)
        if path is None:
            return None  # _raw_dir_searched says which members are there and which are not
        located[name] = path
    trusted = False
    for member in source.members:
        name = safe_member_path(Path(source.file_name), member.name)
        path = located[name]
        if member.sha256 is None and member.md5 is None:
            if opt.strict:
                raise SourceError(
                    f"{path}: member {name} of source {source.name!r} has no checksum to verify "
                    "it by, and --strict refuses it; put the archive itself in --raw-dir"
                )
            log.warning("%s: member %s has no checksum; using it unverified", path, name)
            trusted = True
            continue
        check(
            digest_file(path),
            where=str(path),
            sha256=member.sha256,
            md5=member.md5,
            size=member.size,
            hint=f"this extracted copy of {source.file_name} member {name} is not the one the "
            "recipe expects; replace it or put the original archive in --raw-dir",
            path=path,
        )
    folder = Path(os.path.commonpath([p.parent for p in located.values()]))
    return FetchedSource(
        name=source.name,
        path=folder,
        url="raw-dir",
        members=located,
        trusted_on_first_use=trusted,
    )


def _from_cache(source: Source, cache: Cache, expect: _Expect) -> FetchedSource | None:
    sha = expect.sha256
    if sha is None and expect.md5 is not None:
        entry = cache.index_get(source.key)
        if entry is not None and entry.get("md5") == expect.md5:
            sha = entry["sha256"]
    if sha is None:
        return None
    path = cache.find_blob(sha, source.file_name)
    if path is None:
        return None
    size = path.stat().st_size
    if expect.size is not None and size != expect.size:
        log.warning("cached %s has %d bytes, expected %d; fetching again", path, size, expect.size)
        return None
    return FetchedSource(
        name=source.name,
        path=path,
        url="cache",
        sha256=sha,
        size=size,
        trusted_on_first_use=source.trust_on_first_use,
    )


def _mirror_name(source: Source) -> str:
    if source.urls:
        base = os.path.basename(unquote(urlsplit(source.urls[0]).path))
        if base:
            return base
    return source.file_name


def _is_url(text: str) -> bool:
    return urlsplit(text).scheme in ("http", "https", "file")


def _from_mirror_folder(source: Source, opt: _Options, expect: _Expect) -> FetchedSource | None:
    """A mirror folder: verify ``<mirror>/<name>`` and copy it into the cache."""
    if opt.mirror is None or _is_url(opt.mirror):
        return None
    path = Path(opt.mirror) / _mirror_name(source)
    if not path.is_file():
        log.debug("mirror folder %s has no %s", opt.mirror, path.name)
        return None
    part = opt.cache.part(source.key, source.file_name)
    part.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, part)
    try:
        return _store(source, opt, expect, part, digest_file(part), where=str(path), url="mirror")
    except ChecksumMismatch as exc:
        log.warning("%s; trying the source's URLs", exc)
        return None


def _store(
    source: Source,
    opt: _Options,
    expect: _Expect,
    part: Path,
    digest: Digest,
    *,
    where: str,
    url: str,
) -> FetchedSource:
    """Verify a downloaded ``.part`` file and move it into the blob store; delete it if bad."""
    try:
        fetched = _accept(source, opt, expect, part, digest, where=where, url=url)
    except ChecksumMismatch:
        part.unlink(missing_ok=True)
        raise
    path = opt.cache.store_blob(part, digest.sha256, source.file_name)
    return fetched.model_copy(update={"path": path})


def _from_hf(source: Source, opt: _Options, expect: _Expect) -> FetchedSource | None:
    assert source.hf is not None
    path = hf_download(
        source.hf, cache_dir=opt.cache.home / "hf", timeout=opt.timeout, progress=opt.progress
    )
    return _accept(
        source, opt, expect, path, digest_file(path), where=source.hf.url, url=source.hf.url
    )


def _from_urls(
    source: Source,
    opt: _Options,
    expect: _Expect,
    raw_note: str | None = None,
    earlier: list[str] | None = None,
) -> FetchedSource:
    """Try the mirror URL and the source's URLs in order; ``earlier`` are failures before them."""
    urls = list(source.urls)
    if opt.mirror is not None and _is_url(opt.mirror):
        urls.insert(0, opt.mirror.rstrip("/") + "/" + quote(_mirror_name(source)))
    failures: list[str] = list(earlier or [])
    unreachable = list(failures)  # warned about only when a later URL works
    if not urls:
        raise _unavailable(source, opt, failures, raw_note)
    part = opt.cache.part(source.key, source.file_name)
    mismatches: list[ChecksumMismatch] = []
    for url in urls:
        if not expect.verifiable:
            part.unlink(missing_ok=True)  # never splice bytes of two servers unverified
        try:
            with progress_bar(f"{source.name}: {source.file_name}", opt.progress) as hook:
                digest = download(
                    url,
                    part,
                    timeout=opt.timeout,
                    max_attempts=opt.max_attempts,
                    max_wait=opt.max_wait,
                    backoff=opt.backoff,
                    on_progress=hook,
                )
            origin = "mirror" if opt.mirror and url.startswith(opt.mirror.rstrip("/")) else url
            fetched = _store(source, opt, expect, part, digest, where=url, url=origin)
        except ChecksumMismatch as exc:
            log.warning("%s", exc)
            mismatches.append(exc)
            failures.append(f"{url} (checksum mismatch)")
            continue
        except DownloadError as exc:
            log.info("%s", exc)  # reported once: below if another URL works, else in the error
            failures.append(f"{url}: {exc.reason}")
            unreachable.append(failures[-1])
            continue
        for failure in unreachable:
            log.warning("could not download %s; used %s instead", failure, url)
        return fetched
    if mismatches:
        raise mismatches[0]
    raise _unavailable(source, opt, failures, raw_note)


def _origin(found: FetchedSource) -> str:
    """Where a source was found, for messages."""
    named = {"cache": "the cached copy", "manual": f"{found.path}", "mirror": "the mirror"}
    return named.get(found.url or "", found.url or "?")


def _unavailable(
    source: Source, opt: _Options, failures: list[str], raw_note: str | None = None
) -> SourceError:
    """The one-line final error: every URL tried and why it failed, and where to put the file."""
    if raw_note is not None:
        also = " (or its extracted members)" if _member_names(source) else ""
        where = f"{raw_note}: put {source.file_name}{also} there"
    else:
        where = f"put {source.file_name} in {opt.cache.manual} or in a folder passed as --raw-dir"
    if source.manual:
        return SourceError(
            f"source {source.name!r} must be downloaded by hand: {source.manual.strip()}; "
            f"then {where}"
        )
    tried = "; ".join(failures) if failures else "no URL declared"
    return SourceError(
        f"source {source.name!r} could not be downloaded ({tried}); {where}, or set RECDATA_MIRROR"
    )
