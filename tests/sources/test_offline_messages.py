"""Offline and --raw-dir failures: one warning line per URL, one final line saying where to look.

No test touches the internet: host name lookups are patched to fail (as they do offline), and
refused connections use a closed 127.0.0.1 port.
"""

from __future__ import annotations

import logging
import socket
from pathlib import Path
from typing import Any

import pytest
from sources.sources_http import FileServer, sha256

from recdata.cli import _console, main
from recdata.errors import SourceError
from recdata.recipe import resolve
from recdata.sources import Member, Source, fetch

BODY = b"user\titem\n" * 100


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every host name lookup fails as it does without a network; returns the hosts looked up."""
    hosts: list[str] = []

    def lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
        hosts.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    return hosts


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECDATA_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("RECDATA_MIRROR", raising=False)
    monkeypatch.setattr(_console.stderr, "_width", 40)  # narrow: wrapping would show


def _closed_port_url(name: str) -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/{name}"


def _archive_source(url: str) -> Source:
    return Source(
        name="archive",
        urls=[url],
        sha256=sha256(b"zip"),
        archive="zip",
        members=[
            Member(name="ml-100k/u.data", sha256=sha256(BODY)),
            Member(name="ml-100k/u.item", sha256=sha256(b"items")),
        ],
    )


def test_offline_build_prints_one_line_per_url_and_one_final_line(
    offline: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    urls = resolve("amazon-beauty").sources[0].urls
    assert len(urls) >= 2
    code = main(["build", "amazon-beauty", "-o", str(tmp_path / "out")])
    _, err = capsys.readouterr()
    assert code == 1
    assert len(offline) == len(urls)  # one lookup (one attempt) per URL, no retries
    lines = err.strip().splitlines()
    assert all(line.startswith(("warning: ", "error: ")) for line in lines), err  # nothing wrapped
    warnings = [line for line in lines if line.startswith("warning: ")]
    for url in urls:
        assert sum(url in line for line in warnings) <= 1
    final = lines[-1]
    assert final.startswith("error: ") and len([ln for ln in lines if ln.startswith("error")]) == 1
    assert all(url in final for url in urls)
    assert "reviews_Beauty_5.json.gz" in final and str(tmp_path / "home" / "manual") in final
    assert "--raw-dir" in final and "cannot resolve" in final
    assert not (tmp_path / "out").exists()


def test_empty_raw_dir_is_named_with_the_names_searched(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    url = _closed_port_url("ml-100k.zip")
    with caplog.at_level(logging.WARNING, logger="recdata.sources"):
        with pytest.raises(SourceError) as info:
            fetch([_archive_source(url)], raw_dir=raw, backoff=0.01)
    message = str(info.value)
    assert f"--raw-dir {raw} was searched for ml-100k.zip" in message
    assert "ml-100k/u.data, ml-100k/u.item" in message and "holds none of them" in message
    assert "in a folder passed as --raw-dir" not in message
    assert url in message and "\n" not in message
    # said once, in the error; a warning only when the file is then found elsewhere
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_raw_dir_miss_then_download_warns_once(
    http_server: FileServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    gone = http_server.url("/gone/ratings.csv")
    good = http_server.add("/ok/ratings.csv", BODY)
    src = Source(name="data", urls=[gone, good], sha256=sha256(BODY))
    with caplog.at_level(logging.INFO, logger="recdata.sources"):
        got = fetch([src], raw_dir=raw, backoff=0.01)["data"]
    assert got.url == good
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == [
        f"could not download {gone}: HTTP 404 Not Found; used {good} instead",
        f"--raw-dir {raw} was searched for ratings.csv, which is not there; used {good} instead",
    ]


def test_raw_dir_with_some_members_says_which_are_missing(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    (raw / "ml-100k").mkdir(parents=True)
    (raw / "ml-100k" / "u.data").write_bytes(BODY)
    with pytest.raises(SourceError) as info:
        fetch([_archive_source(_closed_port_url("ml-100k.zip"))], raw_dir=raw, backoff=0.01)
    assert "holds ml-100k/u.data but not ml-100k/u.item" in str(info.value)
    assert (raw / "ml-100k" / "u.data").read_bytes() == BODY  # the user's file is untouched


def test_raw_dir_plain_file_source(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    src = Source(name="data", urls=[_closed_port_url("ratings.csv")], sha256=sha256(BODY))
    with pytest.raises(SourceError) as info:
        fetch([src], raw_dir=raw, backoff=0.01)
    message = str(info.value)
    assert f"--raw-dir {raw} was searched for ratings.csv, which is not there" in message
    assert "extracted members" not in message


def test_build_with_empty_raw_dir_offline(
    offline: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    code = main(["build", "ml-100k", "--raw-dir", str(raw), "-o", str(tmp_path / "out")])
    _, err = capsys.readouterr()
    assert code == 1
    final = err.strip().splitlines()[-1]
    assert final.startswith("error: ")
    assert f"--raw-dir {raw} was searched for ml-100k.zip" in final
    assert "ml-100k/u.data" in final and "ml-100k/u.item" in final and "ml-100k/u.user" in final


def test_unreachable_hub_fails_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A Hub-only source: one connection attempt (the Hub client would retry for ~20 s)."""
    hub_constants = pytest.importorskip("huggingface_hub.constants")
    from recdata.sources import HFFile

    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", False)
    endpoint = _closed_port_url("").rstrip("/")
    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    real = socket.getaddrinfo
    lookups: list[Any] = []

    def counting(host: Any, *args: Any, **kwargs: Any) -> Any:
        lookups.append(host)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", counting)
    spec = HFFile(
        repo_id="McAuley-Lab/Amazon-Reviews-2023", filename="x/All_Beauty.csv", revision="a" * 40
    )
    src = Source(name="ratings", hf=spec, sha256=sha256(BODY))
    with pytest.raises(SourceError) as info:
        fetch([src], home=tmp_path / "h")
    # one connection to the Hub (huggingface_hub may also look up its own host once per process)
    assert [host for host in lookups if host == "127.0.0.1"] == ["127.0.0.1"]
    message = str(info.value)
    assert "connection refused" in message and spec.url in message and "\n" not in message
    assert "All_Beauty.csv" in message and str(tmp_path / "h" / "manual") in message


@pytest.mark.parametrize("terminal", [True, False])
def test_log_lines_are_never_wrapped(monkeypatch: pytest.MonkeyPatch, terminal: bool) -> None:
    import io

    from rich.console import Console

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=terminal, width=40, highlight=False, markup=False)
    monkeypatch.setattr(_console, "stderr", console)
    url = "https://example.org/" + "/".join(["a-long-path-segment"] * 8) + "/file.json.gz"
    record = logging.LogRecord(
        "recdata.sources",
        logging.WARNING,
        __file__,
        1,
        "%s: %s",
        (url, "cannot resolve example.org"),
        None,
    )
    handler = _console.LineHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.emit(record)
    text = buffer.getvalue()
    assert text.endswith("\n") and text.count("\n") == 1
    assert url in text and "warning" in text
