"""HTTP(S) download into a ``.part`` file: resume with Range, bounded retries, timeouts.

Standard library only (``urllib``): a dropped connection or a 5xx/429 answer is retried with
exponential backoff, resuming from the bytes already on disk; a 4xx answer is final. Retrying
stops after ``max_attempts`` attempts in a row without progress or once ``max_wait`` seconds
have passed without a byte arriving, so an unreachable host gives up within about a minute.
"""

from __future__ import annotations

import http.client
import logging
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from recdata.errors import SourceError
from recdata.sources._verify import Digest, Hasher, digest_file

log = logging.getLogger("recdata.sources")

_CHUNK = 1 << 16
USER_AGENT = "recdata (https://github.com/recdata; dataset fetcher)"
RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})

ProgressHook = Callable[[int, int | None], None]
"""Called with (bytes so far, total or None) as the download advances."""


class DownloadError(SourceError):
    """One URL failed for good (4xx, or retries exhausted); ``url`` says which, ``reason`` why."""

    def __init__(self, message: str, *, url: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.reason = reason or message


class _Retry(Exception):
    """Internal: a transient failure worth another attempt; ``received`` bytes arrived first."""

    def __init__(self, message: str, received: int = 0) -> None:
        super().__init__(message)
        self.received = received


def _open(url: str, offset: int, timeout: float) -> http.client.HTTPResponse:
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(url, headers=headers)
    return urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 (scheme checked by caller)


def _total_from(response: http.client.HTTPResponse, offset: int, resumed: bool) -> int | None:
    if resumed:
        content_range = response.headers.get("Content-Range", "")
        if "/" in content_range and not content_range.endswith("/*"):
            try:
                return int(content_range.rsplit("/", 1)[1])
            except ValueError:
                return None
    length = response.headers.get("Content-Length")
    if length is None:
        return None
    try:
        return int(length) + (offset if resumed else 0)
    except ValueError:
        return None


def _attempt(
    url: str, part: Path, timeout: float, on_progress: ProgressHook | None
) -> tuple[Digest, int]:
    """One request: append to ``part`` from its current size; returns (digest, bytes received)."""
    offset = part.stat().st_size if part.exists() else 0
    try:
        response = _open(url, offset, timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:
            # Range not satisfiable: the part file is probably complete already.
            return digest_file(part), 0
        if exc.code in RETRY_STATUS:
            raise _Retry(f"HTTP {exc.code} {exc.reason}") from exc
        raise DownloadError(
            f"{url}: HTTP {exc.code} {exc.reason}", url=url, reason=f"HTTP {exc.code} {exc.reason}"
        ) from exc
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        raise _Retry(f"cannot connect: {reason}") from exc
    received = 0
    with response:
        status = getattr(response, "status", 200)
        resumed = offset > 0 and status == 206
        if offset and not resumed:
            log.info("%s: server ignored the Range request; downloading from the start", url)
            offset = 0
        hasher = Hasher()
        if resumed:
            digest_file(part, hasher)
        total = _total_from(response, offset, resumed)
        mode = "ab" if resumed else "wb"
        try:
            with open(part, mode) as out:
                while True:
                    chunk = response.read(_CHUNK)
                    if not chunk:
                        break
                    out.write(chunk)
                    hasher.update(chunk)
                    received += len(chunk)
                    if on_progress is not None:
                        on_progress(hasher.size, total)
                out.flush()
                os.fsync(out.fileno())
        except (TimeoutError, OSError, http.client.HTTPException) as exc:
            raise _Retry(f"connection dropped after {hasher.size} bytes: {exc}", received) from exc
    if total is not None and hasher.size < total:
        raise _Retry(f"connection closed early: got {hasher.size} of {total} bytes", received)
    return hasher.digest(), received


def download(
    url: str,
    part: Path,
    *,
    timeout: float = 30.0,
    max_attempts: int = 5,
    max_wait: float = 60.0,
    backoff: float = 0.5,
    on_progress: ProgressHook | None = None,
) -> Digest:
    """Download ``url`` into ``part`` (resuming whatever it holds) and return its digest.

    Raises :class:`DownloadError` for a final HTTP error or once retries are exhausted.
    """
    if urllib.parse.urlsplit(url).scheme not in ("http", "https", "file"):
        raise DownloadError(f"{url}: unsupported URL scheme (use http, https or file)", url=url)
    part.parent.mkdir(parents=True, exist_ok=True)
    failures = 0
    last_progress = time.monotonic()
    while True:
        remaining = max_wait - (time.monotonic() - last_progress)
        try:
            digest, _ = _attempt(url, part, max(1.0, min(timeout, remaining)), on_progress)
            return digest
        except _Retry as exc:
            # any byte received counts as progress: the next attempt resumes from it
            if exc.received:
                failures, last_progress = 1, time.monotonic()
            else:
                failures += 1
            waited = time.monotonic() - last_progress
            delay = min(backoff * (2 ** max(failures - 1, 0)), 8.0)
            if failures >= max_attempts or waited + delay > max_wait:
                reason = f"gave up after {failures} failed attempt(s): {exc}"
                raise DownloadError(
                    f"{url}: {reason}; check the network or pass --raw-dir / set RECDATA_MIRROR",
                    url=url,
                    reason=reason,
                ) from exc
            log.warning("%s: %s; retrying in %.1fs", url, exc, delay)
            time.sleep(delay)
