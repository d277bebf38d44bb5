"""Amazon 2023 from the Hugging Face Hub host: a ``-hf`` recipe built against a stand-in Hub."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import polars as pl
import pytest

import recdata
from recdata.recipe import resolve

pytest.importorskip("huggingface_hub")

RECIPE = "amazon2023-all-beauty-5core-hf"


def _ratings_csv() -> bytes:
    """A 5-core-like rating_only file: 12 users x 6 items, every user rates every item."""
    lines = ["user_id,parent_asin,rating,timestamp"]
    for u in range(12):
        for i in range(6):
            lines.append(
                f"U{u:02d},B{i:03d},{1 + (u + i) % 5}.0,{1600000000000 + u * 1000 + i * 10}"
            )
    return ("\n".join(lines) + "\n").encode()


class _Hub(BaseHTTPRequestHandler):
    """Serves ``/datasets/<repo>/resolve/<revision>/<path>`` from ``files``; 404 otherwise."""

    protocol_version = "HTTP/1.1"
    files: dict[str, bytes] = {}
    seen: list[str] = []

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def _answer(self, with_body: bool) -> None:
        _Hub.seen.append(self.path)
        body = _Hub.files.get(self.path.split("?")[0])
        if body is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("X-Repo-Commit", self.path.split("/")[5])
        self.send_header("ETag", f'"{len(body)}-{hash(body) & 0xFFFF:x}"')
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    do_HEAD = lambda self: self._answer(False)  # noqa: E731, N815
    do_GET = lambda self: self._answer(True)  # noqa: E731, N815


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, home: Path) -> Iterator[dict[str, bytes]]:
    """A stand-in Hub on 127.0.0.1 (HF_ENDPOINT); the test fills the returned file table."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Hub)
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{httpd.server_address[1]}")
    monkeypatch.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    _Hub.files, _Hub.seen = {}, []
    try:
        yield _Hub.files
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_hf_host_recipe_pins_a_commit() -> None:
    recipe = resolve(RECIPE)
    ratings = {s.name: s for s in recipe.sources}["ratings"]
    assert ratings.urls == [] and ratings.hf is not None
    assert ratings.hf.filename == "benchmark/5core/rating_only/All_Beauty.csv"
    assert len(ratings.hf.revision) == 40
    # the UCSD variant's checksum is of the .gz file: it must not leak into the Hub host
    assert ratings.md5 is None and ratings.size is None
    assert {s.name: s for s in resolve("amazon2023-all-beauty-5core").sources}[
        "ratings"
    ].md5 is not None


def test_build_from_the_hub_at_the_pinned_revision(hub: dict[str, bytes], tmp_path: Path) -> None:
    recipe = resolve(RECIPE)
    ratings = {s.name: s for s in recipe.sources}["ratings"]
    path = f"/datasets/McAuley-Lab/Amazon-Reviews-2023/resolve/{ratings.hf.revision}/{ratings.hf.filename}"
    hub[path] = _ratings_csv()
    out = recdata.build(RECIPE, out=tmp_path / "beauty", features=False, progress=False)

    assert recdata.validate(out).ok
    ds = recdata.load(out)
    assert ds.interactions.select(pl.len()).collect().item() == 72
    assert ds.users.select(pl.len()).collect().item() == 12
    manifest = ds.manifest
    recorded = {s.name: s for s in manifest.sources}
    assert recorded["ratings"].url.startswith("hf://datasets/McAuley-Lab/Amazon-Reviews-2023@")
    assert ratings.hf.revision in recorded["ratings"].url
    # metadata is optional: absent from this Hub, reported, and the build goes on
    assert any("meta" in w for w in manifest.warnings)
    # only the pinned revision was ever asked for
    assert all(ratings.hf.revision in p for p in _Hub.seen if "/resolve/" in p)
