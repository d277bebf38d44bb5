"""fetch(): download, resume, retry, verify, cache, mirrors, TOFU, strict, concurrency."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import socket
import sys
import threading
from pathlib import Path

import pytest
from sources.sources_http import FileServer, sha256

from recdata.errors import ChecksumMismatch, SourceError, UsageError
from recdata.sources import FetchedSource, Source, cache_home, fetch

BODY = bytes(range(256)) * 400  # 102400 bytes
FAST = dict(backoff=0.01, max_wait=10.0)


def _src(url: str, body: bytes = BODY, **kw: object) -> Source:
    return Source(name="data", urls=[url], sha256=sha256(body), size=len(body), **kw)  # type: ignore[arg-type]


def test_cache_home_follows_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RECDATA_HOME", str(tmp_path / "h"))
    assert cache_home() == tmp_path / "h"
    monkeypatch.delenv("RECDATA_HOME")
    assert cache_home() == Path.home() / ".cache" / "recdata"


def test_download_verify_and_reuse_cache(http_server: FileServer, tmp_path: Path) -> None:
    url = http_server.add("/d/file.bin", BODY)
    got = fetch([_src(url)], home=tmp_path, **FAST)["data"]
    assert isinstance(got, FetchedSource)
    assert got.path is not None and got.path.read_bytes() == BODY
    assert got.path == tmp_path / "blobs" / "sha256" / sha256(BODY) / "file.bin"
    assert (got.url, got.sha256, got.size, got.missing) == (url, sha256(BODY), len(BODY), False)
    again = fetch([_src(url)], home=tmp_path, **FAST)["data"]
    assert again.url == "cache" and again.path == got.path
    assert len(http_server.requests("/d/file.bin")) == 1
    assert not list((tmp_path / "tmp").glob("*.part"))


def test_resume_after_dropped_connection(http_server: FileServer, tmp_path: Path) -> None:
    url = http_server.add("/drop.bin", BODY, drop_after=30000)
    got = fetch([_src(url)], home=tmp_path, **FAST)["data"]
    assert got.path is not None and got.path.read_bytes() == BODY
    ranges = [r[2] for r in http_server.requests("/drop.bin")]
    assert ranges == [None, "bytes=30000-"]


def test_partial_file_resumed_by_next_run(http_server: FileServer, tmp_path: Path) -> None:
    url = http_server.add("/drop2.bin", BODY, drop_after=5000)
    with pytest.raises(SourceError, match="drop2.bin"):
        fetch([_src(url)], home=tmp_path, max_attempts=1, backoff=0.01)
    parts = list((tmp_path / "tmp").glob("*.part"))
    assert len(parts) == 1 and parts[0].stat().st_size == 5000
    got = fetch([_src(url)], home=tmp_path, **FAST)["data"]
    assert got.path is not None and got.path.read_bytes() == BODY
    assert http_server.requests("/drop2.bin")[-1][2] == "bytes=5000-"


def test_server_ignoring_range_restarts_cleanly(http_server: FileServer, tmp_path: Path) -> None:
    url = http_server.add("/norange.bin", BODY, drop_after=7000, honour_range=False)
    got = fetch([_src(url)], home=tmp_path, **FAST)["data"]
    assert got.path is not None and got.path.read_bytes() == BODY


def test_retry_after_503(http_server: FileServer, tmp_path: Path) -> None:
    url = http_server.add("/busy.bin", BODY, fail_first=2)
    got = fetch([_src(url)], home=tmp_path, **FAST)["data"]
    assert got.path is not None and got.path.read_bytes() == BODY
    assert len(http_server.requests("/busy.bin")) == 3


def test_503_forever_gives_up(http_server: FileServer, tmp_path: Path) -> None:
    url = http_server.add("/down.bin", BODY, fail_first=100)
    with pytest.raises(SourceError, match="503"):
        fetch([_src(url)], home=tmp_path, max_attempts=3, backoff=0.01)
    assert len(http_server.requests("/down.bin")) == 3


def test_refused_connection_fails_at_once(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/x.bin"
    with pytest.raises(SourceError, match="Connection refused") as info:
        fetch([_src(url)], home=tmp_path, timeout=2, max_attempts=3, backoff=0.01)
    assert "attempts" not in str(info.value)  # one attempt: a refused connection is not retried


def test_checksum_mismatch_names_url_expected_got(http_server: FileServer, tmp_path: Path) -> None:
    url = http_server.add("/bad.bin", b"not the right bytes")
    src = Source(name="data", urls=[url], sha256="0" * 64)
    with pytest.raises(ChecksumMismatch) as info:
        fetch([src], home=tmp_path, **FAST)
    message = str(info.value)
    assert url in message and "0" * 64 in message and sha256(b"not the right bytes") in message
    assert "\n" not in message
    assert not (tmp_path / "blobs").exists() or not any((tmp_path / "blobs").rglob("*.bin"))
    assert not list((tmp_path / "tmp").glob("*.part"))


def test_size_mismatch(http_server: FileServer, tmp_path: Path) -> None:
    url = http_server.add("/size.bin", BODY)
    src = Source(name="data", urls=[url], size=len(BODY) + 1, md5="0" * 32)
    with pytest.raises(ChecksumMismatch, match="size mismatch"):
        fetch([src], home=tmp_path, **FAST)


def test_md5_only_source_and_index_reuse(http_server: FileServer, tmp_path: Path) -> None:
    import hashlib

    url = http_server.add("/legacy.zip", BODY)
    src = Source(name="data", urls=[url], md5=hashlib.md5(BODY).hexdigest())
    first = fetch([src], home=tmp_path, **FAST)["data"]
    assert first.sha256 == sha256(BODY) and not first.trusted_on_first_use
    second = fetch([src], home=tmp_path, **FAST)["data"]
    assert second.url == "cache" and len(http_server.requests("/legacy.zip")) == 1
    index = json.loads((tmp_path / "index.json").read_text())
    assert index[url]["sha256"] == sha256(BODY)


def test_404_then_next_url(http_server: FileServer, tmp_path: Path) -> None:
    good = http_server.add("/mirror2/file.bin", BODY)
    src = Source(
        name="data",
        urls=[http_server.url("/gone/file.bin"), good],
        sha256=sha256(BODY),
    )
    got = fetch([src], home=tmp_path, **FAST)["data"]
    assert got.url == good
    assert len(http_server.requests("/gone/file.bin")) == 1  # a 404 is not retried


def test_bad_mirror_content_falls_back(http_server: FileServer, tmp_path: Path) -> None:
    bad = http_server.add("/evil/file.bin", b"tampered")
    good = http_server.add("/ok/file.bin", BODY)
    src = Source(name="data", urls=[bad, good], sha256=sha256(BODY))
    assert fetch([src], home=tmp_path, **FAST)["data"].url == good


def test_404_everywhere(http_server: FileServer, tmp_path: Path) -> None:
    url = http_server.url("/missing.csv")
    with pytest.raises(SourceError, match=r"404.*raw-dir") as info:
        fetch([_src(url)], home=tmp_path, **FAST)
    assert url in str(info.value)


def test_optional_source_missing_is_reported(http_server: FileServer, tmp_path: Path) -> None:
    url = http_server.url("/missing-meta.json.gz")
    got = fetch([_src(url, optional=True)], home=tmp_path, **FAST)["data"]
    assert got.missing and got.path is None


def test_mirror_url_tried_first(
    http_server: FileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    http_server.add("/mirror/file.bin", BODY)
    canonical = http_server.url("/canonical/path/file.bin")  # not served
    monkeypatch.setenv("RECDATA_MIRROR", http_server.url("/mirror/"))
    got = fetch([_src(canonical)], home=tmp_path, **FAST)["data"]
    assert got.url == "mirror"
    assert http_server.requests("/canonical/path/file.bin") == []


def test_mirror_folder(http_server: FileServer, tmp_path: Path) -> None:
    folder = tmp_path / "mirror"
    folder.mkdir()
    (folder / "file.bin").write_bytes(BODY)
    src = _src(http_server.url("/nowhere/file.bin"))
    got = fetch([src], home=tmp_path / "home", mirror=str(folder), **FAST)["data"]
    assert got.url == "mirror" and got.path is not None
    assert got.path.parent.parent.name == "sha256"  # copied into the cache
    assert (folder / "file.bin").read_bytes() == BODY  # the mirror is left alone


def test_tofu_records_then_enforces(
    http_server: FileServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = http_server.add("/nochecksum.json.gz", BODY)
    src = Source(name="data", urls=[url])
    with caplog.at_level(logging.WARNING, logger="recdata.sources"):
        first = fetch([src], home=tmp_path, **FAST)["data"]
    assert first.trusted_on_first_use and first.sha256 == sha256(BODY)
    assert "trusting it on first use" in caplog.text
    tofu = json.loads((tmp_path / "tofu.json").read_text())
    assert tofu[url]["sha256"] == sha256(BODY)
    # publisher changes the file, cache emptied: the recorded hash is enforced
    http_server.add("/nochecksum.json.gz", b"a different file")
    for blob in (tmp_path / "blobs").rglob("nochecksum.json.gz"):
        blob.unlink()
    with pytest.raises(ChecksumMismatch, match="tofu.json"):
        fetch([src], home=tmp_path, **FAST)


def test_strict_refuses_tofu(http_server: FileServer, tmp_path: Path) -> None:
    url = http_server.add("/nochecksum2.csv", BODY)
    with pytest.raises(SourceError, match="strict"):
        fetch([Source(name="data", urls=[url])], home=tmp_path, strict=True)
    assert http_server.requests("/nochecksum2.csv") == []


def test_manual_source_instructions(tmp_path: Path) -> None:
    src = Source(
        name="reviews",
        manual="accept the terms at https://business.yelp.com/data/resources/open-dataset/",
        filename="Yelp-JSON.zip",
        sha256=sha256(BODY),
    )
    with pytest.raises(SourceError) as info:
        fetch([src], home=tmp_path)
    message = str(info.value)
    assert "yelp.com" in message and "Yelp-JSON.zip" in message
    assert str(tmp_path / "manual") in message and "--raw-dir" in message
    (tmp_path / "manual").mkdir()
    (tmp_path / "manual" / "Yelp-JSON.zip").write_bytes(BODY)
    got = fetch([src], home=tmp_path)["reviews"]
    assert got.url == "manual" and got.path == tmp_path / "manual" / "Yelp-JSON.zip"


def test_raw_dir_file_used_in_place_and_never_deleted(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    (raw / "sub").mkdir(parents=True)
    (raw / "sub" / "file.bin").write_bytes(BODY)
    got = fetch([_src("https://example.invalid/x/file.bin")], home=tmp_path / "h", raw_dir=raw)
    assert got["data"].url == "raw-dir" and got["data"].path == raw / "sub" / "file.bin"
    (raw / "sub" / "file.bin").write_bytes(b"edited by the user")
    with pytest.raises(ChecksumMismatch, match="file.bin"):
        fetch([_src("https://example.invalid/x/file.bin")], home=tmp_path / "h", raw_dir=raw)
    assert (raw / "sub" / "file.bin").read_bytes() == b"edited by the user"


def test_duplicate_names_and_bad_raw_dir(tmp_path: Path) -> None:
    a = _src("https://example.invalid/a.bin")
    with pytest.raises(UsageError, match="unique"):
        fetch([a, a], home=tmp_path)
    with pytest.raises(UsageError, match="raw-dir"):
        fetch([a], home=tmp_path, raw_dir=tmp_path / "nope")


def test_concurrent_threads_share_one_download(http_server: FileServer, tmp_path: Path) -> None:
    body = os.urandom(300_000)
    url = http_server.add("/big.bin", body)
    results: list[FetchedSource] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(fetch([_src(url, body)], home=tmp_path, **FAST)["data"])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert {r.path for r in results} == {results[0].path}
    assert results[0].path is not None and results[0].path.read_bytes() == body
    assert len(http_server.requests("/big.bin")) == 1
    assert sorted(r.url for r in results) == sorted([url] + ["cache"] * 3)


def _fetch_in_child(url: str, digest: str, home: str, queue: multiprocessing.Queue) -> None:
    src = Source(name="data", urls=[url], sha256=digest)
    got = fetch([src], home=Path(home), backoff=0.01)["data"]
    queue.put(str(got.path))


@pytest.mark.skipif(sys.platform != "linux", reason="uses the fork start method")
def test_concurrent_processes_share_cache(http_server: FileServer, tmp_path: Path) -> None:
    body = os.urandom(200_000)
    url = http_server.add("/proc.bin", body)
    ctx = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue = ctx.Queue()
    procs = [
        ctx.Process(target=_fetch_in_child, args=(url, sha256(body), str(tmp_path), queue))
        for _ in range(3)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    paths = {queue.get(timeout=5) for _ in procs}
    assert len(paths) == 1
    assert Path(paths.pop()).read_bytes() == body
    assert len(http_server.requests("/proc.bin")) == 1


def test_file_url_mirror_and_progress_bar(http_server: FileServer, tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "file.bin").write_bytes(BODY)
    src = _src(http_server.url("/not/served/file.bin"))
    got = fetch([src], home=tmp_path / "h", mirror=folder.as_uri(), progress=True, **FAST)["data"]
    assert got.url == "mirror" and got.path is not None and got.path.read_bytes() == BODY
    assert http_server.requests("/not/served/file.bin") == []
