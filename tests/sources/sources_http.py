"""A real HTTP server on 127.0.0.1 (in a thread) whose misbehaviour the tests script."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class Served:
    body: bytes
    fail_first: int = 0  # answer 503 to this many requests first
    drop_after: int | None = None  # first full request: close after this many bytes
    honour_range: bool = True
    reset_after: int | None = None  # first full request: a TCP reset after this many bytes
    stall_first: float = 0.0  # first request: wait this long before answering
    retry_after: str | None = None  # Retry-After header sent with each 503


@dataclass
class FileServer:
    """Files served by path; ``log`` records (method, path, Range header) of every request."""

    files: dict[str, Served] = field(default_factory=dict)
    log: list[tuple[str, str, str | None]] = field(default_factory=list)
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def add(self, path: str, body: bytes, **behaviour: object) -> str:
        self.files[path] = Served(body, **behaviour)  # type: ignore[arg-type]
        return self.url(path)

    def requests(self, path: str) -> list[tuple[str, str, str | None]]:
        return [r for r in self.log if r[1] == path]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _handler(server: FileServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

        def do_GET(self) -> None:  # noqa: N802
            rng = self.headers.get("Range")
            with server.lock:
                server.log.append(("GET", self.path, rng))
                served = server.files.get(self.path)
                if served is not None and served.fail_first > 0:
                    served.fail_first -= 1
                    status = 503
                else:
                    status = 200
            if served is None:
                self._plain(404, b"not found")
                return
            with server.lock:
                stall, served.stall_first = served.stall_first, 0.0
            if stall:
                time.sleep(stall)
            if status == 503:
                extra = {"Retry-After": served.retry_after} if served.retry_after else {}
                self._plain(503, b"busy", extra)
                return
            body = served.body
            start = 0
            if rng and served.honour_range and rng.startswith("bytes="):
                start = int(rng[6:].split("-")[0])
                if start >= len(body):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(body)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            else:
                self.send_response(200)
            chunk = body[start:]
            self.send_header("Content-Length", str(len(chunk)))
            self.send_header("Accept-Ranges", "bytes")
            self.end_headers()
            with server.lock:
                drop = served.drop_after if start == 0 else None
                if drop is not None:
                    served.drop_after = None
                reset = served.reset_after if start == 0 else None
                if reset is not None:
                    served.reset_after = None
            if reset is not None:
                self.wfile.write(chunk[:reset])
                self.wfile.flush()
                time.sleep(0.2)  # let the client read those bytes before the reset discards them
                # SO_LINGER 0: close() sends a TCP RST instead of a FIN (a "connection reset")
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.connection.close()
                self.close_connection = True
                return
            if drop is not None:
                self.wfile.write(chunk[:drop])
                self.wfile.flush()
                self.close_connection = True
                return
            try:
                self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
                self.close_connection = True

        def _plain(self, status: int, text: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

    return Handler


class _QuietServer(ThreadingHTTPServer):
    """Clients that give up (the timeout tests) reset connections: that is not a server error."""

    def handle_error(self, request: object, client_address: object) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


def start_server() -> tuple[FileServer, ThreadingHTTPServer, threading.Thread]:
    """Start a threaded HTTP server on 127.0.0.1 with an ephemeral port."""
    files = FileServer()
    httpd = _QuietServer(("127.0.0.1", 0), _handler(files))
    httpd.daemon_threads = True
    files.port = httpd.server_address[1]
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    return files, httpd, thread


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@contextlib.contextmanager
def serve_folder(folder: Path) -> Iterator[str]:
    """``http://127.0.0.1:<port>`` serving the files of ``folder`` (a real HTTP server in a
    thread) until the block ends."""
    handler = functools.partial(_QuietFiles, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
