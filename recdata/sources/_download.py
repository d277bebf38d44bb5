"""HTTP(S) download into a ``.part`` file: urllib3's retry policy, resume with Range.

urllib3's :class:`~urllib3.util.Retry` decides what is worth another attempt, with separate
budgets for connect, read and status failures, exponential backoff and ``Retry-After``: a
connect timeout, a read timeout, a reset and a 5xx/408/425/429 answer are retried; a host name
that does not resolve, a refused connection and any other 4xx answer fail at once (offline,
a URL costs one attempt). A body cut short is resumed with a ``Range`` request from the bytes
already on disk; any byte received renews the attempt budget.
"""

from __future__ import annotations

import logging
import os
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.util import Retry, Timeout

from recdata.errors import SourceError
from recdata.sources._verify import Digest, Hasher, digest_file

log = logging.getLogger("recdata.sources")

_CHUNK = 1 << 16
_BACKOFF_MAX = 8.0
USER_AGENT = "recdata (https://github.com/recdata; dataset fetcher)"
RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})

ProgressHook = Callable[[int, int | None], None]
"""Called with (bytes so far, total or None) as the download advances."""


class DownloadError(SourceError):
    """One URL failed for good (4xx, or retries exhausted); ``url`` says which, ``reason`` why.

    ``attempts`` is the number of requests made for the URL.
    """

    def __init__(
        self, message: str, *, url: str, reason: str | None = None, attempts: int = 0
    ) -> None:
        super().__init__(message)
        self.url = url
        self.reason = reason or message
        self.attempts = attempts


class _GaveUp(MaxRetryError):
    """urllib3's MaxRetryError plus how many requests were made."""

    def __init__(self, pool: Any, url: str | None, reason: Exception | None, attempts: int) -> None:
        super().__init__(pool, url or "", reason)
        self.attempts = attempts


class _Policy(Retry):
    """urllib3's Retry, except that a connection that cannot be opened at all is final.

    ``NewConnectionError`` (a refused connection) and its subclass ``NameResolutionError``
    (a host name that does not resolve) are not retried; a connect *timeout* still is.
    """

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: TracebackType | None = None,
    ) -> _Policy:
        attempts = len(self.history) + 1
        if isinstance(error, NewConnectionError):
            raise _GaveUp(_pool, url, error, attempts) from error
        try:
            return super().increment(method, url, response, error, _pool, _stacktrace)
        except MaxRetryError as exc:
            raise _GaveUp(_pool, url, exc.reason, attempts) from exc


def _policy(max_attempts: int, backoff: float, max_wait: float) -> _Policy:
    retries = max(max_attempts - 1, 0)
    return _Policy(
        total=None,
        connect=retries,
        read=retries,
        status=retries,
        other=0,
        redirect=10,
        allowed_methods=frozenset({"GET"}),
        status_forcelist=RETRY_STATUS,
        backoff_factor=backoff,
        backoff_max=min(_BACKOFF_MAX, max_wait),
        respect_retry_after_header=True,
        retry_after_max=max(int(max_wait), 1),
        raise_on_status=False,
        raise_on_redirect=True,
    )


def _pool_for(url: str) -> urllib3.PoolManager:
    """A pool manager, through the proxy of ``http_proxy``/``https_proxy`` unless ``no_proxy``."""
    parts = urllib.parse.urlsplit(url)
    proxy = urllib.request.getproxies().get(parts.scheme)
    if proxy and not urllib.request.proxy_bypass(parts.hostname or ""):
        return urllib3.ProxyManager(proxy)
    return urllib3.PoolManager()


def describe(error: BaseException | None) -> str:
    """A short reason for a failed request: ``name ... does not resolve``, ``connection refused``."""
    if isinstance(error, NameResolutionError):
        host = getattr(error, "_host", None) or "the host name"
        return f"cannot resolve {host} (offline or no DNS)"
    if isinstance(error, NewConnectionError):
        cause = error.__cause__ or error.__context__
        return f"cannot connect: {cause.strerror if isinstance(cause, OSError) and cause.strerror else error}"
    if isinstance(error, ConnectTimeoutError):
        return "connect timed out"
    if isinstance(error, ReadTimeoutError):
        return "read timed out"
    if isinstance(error, SSLError):
        return f"TLS error: {error}"
    if isinstance(error, ProtocolError):
        inner = error.args[1] if len(error.args) > 1 else error
        return f"connection broken: {type(inner).__name__}"
    if isinstance(error, MaxRetryError):
        return describe(error.reason)
    return str(error) if error is not None else "unknown error"


def _total_from(response: urllib3.BaseHTTPResponse, offset: int, resumed: bool) -> int | None:
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


def _stream(
    response: urllib3.BaseHTTPResponse, url: str, part: Path, on_progress: ProgressHook | None
) -> tuple[Digest, int]:
    """Write the body to ``part`` (appending after a 206); returns (digest, bytes received).

    A body that breaks off raises urllib3's ``ProtocolError``/``ReadTimeoutError`` with the
    bytes received so far in ``received`` on the exception.
    """
    offset = part.stat().st_size if part.exists() else 0
    resumed = offset > 0 and response.status == 206
    if offset and not resumed:
        log.info("%s: server ignored the Range request; downloading from the start", url)
        offset = 0
    hasher = Hasher()
    if resumed:
        digest_file(part, hasher)
    total = _total_from(response, offset, resumed)
    received = 0
    try:
        with open(part, "ab" if resumed else "wb") as out:
            while chunk := response.read1(_CHUNK, decode_content=False):
                out.write(chunk)
                hasher.update(chunk)
                received += len(chunk)
                if on_progress is not None:
                    on_progress(hasher.size, total)
            out.flush()
            os.fsync(out.fileno())
        if total is not None and hasher.size < total:
            raise ProtocolError(f"got {hasher.size} of {total} bytes", ConnectionError())
    except (ProtocolError, ReadTimeoutError) as exc:
        exc.received = received  # type: ignore[attr-defined]
        raise
    except (TimeoutError, OSError, HTTPError) as exc:
        broken = ProtocolError(f"connection broken after {hasher.size} bytes: {exc}", exc)
        broken.received = received  # type: ignore[attr-defined]
        raise broken from exc
    return hasher.digest(), received


def _copy_file_url(url: str, part: Path, on_progress: ProgressHook | None) -> Digest:
    """A ``file://`` URL: copy the local file into ``part``."""
    source = Path(urllib.request.url2pathname(urllib.parse.urlsplit(url).path))
    if not source.is_file():
        raise DownloadError(f"{url}: no such file", url=url, reason="no such file", attempts=1)
    hasher = Hasher()
    total = source.stat().st_size
    with open(source, "rb") as src, open(part, "wb") as out:
        while chunk := src.read(_CHUNK):
            out.write(chunk)
            hasher.update(chunk)
            if on_progress is not None:
                on_progress(hasher.size, total)
    return hasher.digest()


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

    ``max_attempts`` bounds the requests per kind of failure (connect timeout, read failure,
    retryable status) without a byte arriving; ``backoff`` is the urllib3 backoff factor (waits
    of backoff·2ⁿ s, at most 8 s); ``max_wait`` caps any wait, a server's ``Retry-After``
    included. Raises :class:`DownloadError` with a one-line ``reason`` when the URL fails.
    """
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in ("http", "https", "file"):
        raise DownloadError(f"{url}: unsupported URL scheme (use http, https or file)", url=url)
    part.parent.mkdir(parents=True, exist_ok=True)
    if scheme == "file":
        return _copy_file_url(url, part, on_progress)
    pool = _pool_for(url)
    policy = _policy(max_attempts, backoff, max_wait)
    try:
        while True:
            offset = part.stat().st_size if part.exists() else 0
            headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
            if offset:
                headers["Range"] = f"bytes={offset}-"
            try:
                response = pool.request(
                    "GET",
                    url,
                    headers=headers,
                    retries=policy,
                    preload_content=False,
                    timeout=Timeout(connect=timeout, read=timeout),
                )
            except _GaveUp as exc:
                raise _failed(url, describe(exc.reason), exc.attempts) from exc
            except HTTPError as exc:  # e.g. a malformed URL or too many redirects
                raise _failed(url, describe(exc), len(policy.history) + 1) from exc
            try:
                if response.status == 416 and offset:
                    # Range not satisfiable: the part file is probably complete already.
                    return digest_file(part)
                policy = response.retries if isinstance(response.retries, _Policy) else policy
                if response.status >= 400:
                    reason = f"HTTP {response.status} {response.reason or ''}".rstrip()
                    raise _failed(url, reason, len(policy.history) + 1)
                try:
                    digest, _ = _stream(response, url, part, on_progress)
                    return digest
                except (ProtocolError, ReadTimeoutError) as exc:
                    if getattr(exc, "received", 0):
                        policy = _policy(max_attempts, backoff, max_wait)  # progress renews it
                    try:
                        policy = policy.increment("GET", url, error=exc)
                    except _GaveUp as gave_up:
                        raise _failed(url, describe(exc), gave_up.attempts) from gave_up
                    log.info("%s: %s; resuming", url, describe(exc))
                    policy.sleep()
            finally:
                response.release_conn()
    finally:
        pool.clear()


def _failed(url: str, reason: str, attempts: int) -> DownloadError:
    counted = f" ({attempts} attempts)" if attempts > 1 else ""
    return DownloadError(
        f"{url}: {reason}{counted}", url=url, reason=f"{reason}{counted}", attempts=attempts
    )
