"""Hugging Face Hub files, served by a local stand-in for the Hub (HF_ENDPOINT)."""

from __future__ import annotations

import hashlib
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from recdata.errors import ChecksumMismatch, MissingExtra, SourceError
from recdata.sources import HFFile, Source, fetch

pytest.importorskip("huggingface_hub")

BODY = b"user_id,parent_asin,rating,timestamp\nU1,B01,5.0,1588615855070\n"
REVISION = "0123456789abcdef0123456789abcdef01234567"
FILE = "benchmark/5core/rating_only/All_Beauty.csv"


class _Hub(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    requests: list[str] = []

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def _answer(self, with_body: bool) -> None:
        _Hub.requests.append(self.path)
        expected = f"/datasets/McAuley-Lab/Amazon-Reviews-2023/resolve/{REVISION}/{FILE}"
        if self.path != expected:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("X-Repo-Commit", REVISION)
        self.send_header("ETag", '"' + hashlib.sha256(BODY).hexdigest() + '"')
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        if with_body:
            self.wfile.write(BODY)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(False)

    def do_GET(self) -> None:  # noqa: N802
        self._answer(True)


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Hub)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    endpoint = f"http://127.0.0.1:{httpd.server_address[1]}"
    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    monkeypatch.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    # other tests switch the Hub client to offline mode (read once, at import): undo it here
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    try:
        yield endpoint
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def _source(sha: str | None) -> Source:
    spec = HFFile(repo_id="McAuley-Lab/Amazon-Reviews-2023", filename=FILE, revision=REVISION)
    return Source(name="ratings", hf=spec, sha256=sha)


def test_hf_file_fetched_at_pinned_revision(hub: str, tmp_path: Path) -> None:
    got = fetch([_source(hashlib.sha256(BODY).hexdigest())], home=tmp_path)["ratings"]
    assert got.path is not None and got.path.read_bytes() == BODY
    assert got.path.is_relative_to(tmp_path / "hf")
    assert got.url == f"hf://datasets/McAuley-Lab/Amazon-Reviews-2023@{REVISION}/{FILE}"
    assert any(REVISION in p for p in _Hub.requests)


def test_hf_checksum_mismatch(hub: str, tmp_path: Path) -> None:
    with pytest.raises(ChecksumMismatch, match="hf://"):
        fetch([_source("f" * 64)], home=tmp_path)


def test_hf_missing_file(hub: str, tmp_path: Path) -> None:
    spec = HFFile(repo_id="McAuley-Lab/Amazon-Reviews-2023", filename="nope.csv", revision=REVISION)
    with pytest.raises(SourceError, match="Hugging Face download failed"):
        fetch([Source(name="x", hf=spec, sha256="f" * 64)], home=tmp_path)


def test_hf_extra_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)
    with pytest.raises(MissingExtra, match=r"recdata\[hf\]"):
        fetch([_source("f" * 64)], home=tmp_path)
    optional = _source("f" * 64).model_copy(update={"optional": True})
    assert fetch([optional], home=tmp_path)["ratings"].missing


def test_a_branch_name_is_not_a_pinned_revision() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="40-hex commit hash"):
        HFFile(repo_id="McAuley-Lab/Amazon-Reviews-2023", filename=FILE, revision="main")
