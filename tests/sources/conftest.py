"""Fixtures of the sources tests: a local HTTP server started per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sources.sources_http import FileServer, start_server


@pytest.fixture
def http_server() -> Iterator[FileServer]:
    """A threaded HTTP server on 127.0.0.1 with an ephemeral port, shut down after the test."""
    files, httpd, thread = start_server()
    try:
        yield files
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
