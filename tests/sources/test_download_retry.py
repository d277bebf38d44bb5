"""download(): what is retried and what is not, counted in requests (never in seconds).

A name that does not resolve and a refused connection cost one attempt; 5xx answers, resets,
dropped bodies and read timeouts are retried; a 4xx answer is final.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sources.sources_http import FileServer, sha256
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from recdata.sources import DownloadError, download
from recdata.sources._download import _policy

BODY = bytes(range(256)) * 400  # 102400 bytes
FAST: dict[str, Any] = dict(backoff=0.01, max_wait=5.0)


def _counting_lookup(
    monkeypatch: pytest.MonkeyPatch, fail: bool
) -> tuple[list[tuple[Any, ...]], Callable[..., Any]]:
    """Patch socket.getaddrinfo (every new connection calls it once) to count the calls."""
    real = socket.getaddrinfo
    calls: list[tuple[Any, ...]] = []

    def lookup(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append((host, port))
        if fail:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    return calls, lookup


def _closed_port() -> int:
    with socket.socket() as s:  # bound, never listening, then closed: connections are refused
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_refused_connection_is_one_attempt(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls, _ = _counting_lookup(monkeypatch, fail=False)
    url = f"http://127.0.0.1:{_closed_port()}/x.bin"
    with pytest.raises(DownloadError) as info:
        download(url, tmp_path / "x.part", max_attempts=5, **FAST)
    assert len(calls) == 1
    assert info.value.attempts == 1
    assert info.value.url == url and "refused" in info.value.reason.lower()
    assert "\n" not in str(info.value)


def test_name_not_resolving_is_one_attempt(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls, _ = _counting_lookup(monkeypatch, fail=True)
    url = "https://data.example.invalid/files/x.bin"
    with pytest.raises(DownloadError) as info:
        download(url, tmp_path / "x.part", max_attempts=5, **FAST)
    assert [host for host, _ in calls] == ["data.example.invalid"]
    assert info.value.attempts == 1
    assert "cannot resolve data.example.invalid" in info.value.reason


def test_503_twice_then_200_is_retried(http_server: FileServer, tmp_path: Path) -> None:
    url = http_server.add("/busy.bin", BODY, fail_first=2, retry_after="0")
    digest = download(url, tmp_path / "busy.part", max_attempts=5, **FAST)
    assert digest.sha256 == sha256(BODY) and digest.size == len(BODY)
    assert (tmp_path / "busy.part").read_bytes() == BODY
    assert len(http_server.requests("/busy.bin")) == 3


def test_503_retries_are_bounded(http_server: FileServer, tmp_path: Path) -> None:
    url = http_server.add("/down.bin", BODY, fail_first=100)
    with pytest.raises(DownloadError, match="HTTP 503") as info:
        download(url, tmp_path / "down.part", max_attempts=3, **FAST)
    assert len(http_server.requests("/down.bin")) == 3
    assert info.value.attempts == 3 and "3 attempts" in str(info.value)


def test_404_is_not_retried(http_server: FileServer, tmp_path: Path) -> None:
    url = http_server.url("/missing.bin")
    with pytest.raises(DownloadError, match="HTTP 404") as info:
        download(url, tmp_path / "missing.part", max_attempts=5, **FAST)
    assert len(http_server.requests("/missing.bin")) == 1
    assert info.value.attempts == 1


def test_reset_mid_body_resumes_with_range(http_server: FileServer, tmp_path: Path) -> None:
    url = http_server.add("/reset.bin", BODY, reset_after=40000)
    digest = download(url, tmp_path / "reset.part", max_attempts=3, **FAST)
    assert digest.sha256 == sha256(BODY)
    assert (tmp_path / "reset.part").read_bytes() == BODY
    ranges = [r[2] for r in http_server.requests("/reset.bin")]
    assert ranges[0] is None and len(ranges) == 2
    # the resume asks for the bytes after those already on disk (all that reached the socket)
    assert ranges[1] is not None and ranges[1].startswith("bytes=") and ranges[1] != "bytes=0-"


def test_dropped_body_resumes_with_range(http_server: FileServer, tmp_path: Path) -> None:
    url = http_server.add("/drop.bin", BODY, drop_after=30000)
    digest = download(url, tmp_path / "drop.part", max_attempts=3, **FAST)
    assert digest.sha256 == sha256(BODY)
    assert [r[2] for r in http_server.requests("/drop.bin")] == [None, "bytes=30000-"]


def test_read_timeout_is_retried(http_server: FileServer, tmp_path: Path) -> None:
    url = http_server.add("/slow.bin", BODY, stall_first=1.5)
    digest = download(url, tmp_path / "slow.part", timeout=0.3, max_attempts=3, **FAST)
    assert digest.sha256 == sha256(BODY)
    assert len(http_server.requests("/slow.bin")) == 2


def test_policy_retries_connect_timeouts_but_not_unopenable_connections() -> None:
    policy = _policy(3, 0.0, 5.0)
    again = policy.increment("GET", "http://h/x", error=ConnectTimeoutError("timed out"))
    assert again.connect == policy.connect - 1  # a connect timeout is worth another attempt
    for final in (
        NewConnectionError(None, "Connection refused"),  # type: ignore[arg-type]
        NameResolutionError("h", None, socket.gaierror(-2, "unknown")),  # type: ignore[arg-type]
    ):
        with pytest.raises(Exception) as info:
            policy.increment("GET", "http://h/x", error=final)
        assert info.value.attempts == 1  # type: ignore[attr-defined]


def test_file_url(tmp_path: Path) -> None:
    (tmp_path / "f.bin").write_bytes(BODY)
    digest = download((tmp_path / "f.bin").as_uri(), tmp_path / "out" / "f.part")
    assert digest.sha256 == sha256(BODY)
    with pytest.raises(DownloadError, match="no such file"):
        download((tmp_path / "nope.bin").as_uri(), tmp_path / "out" / "g.part")
