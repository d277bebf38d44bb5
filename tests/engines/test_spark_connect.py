"""A build over Spark Connect (``SPARK_REMOTE``) equals the polars engine's.

A real Spark Connect server (the one pyspark ships, ``local[2]``) runs in its own process on
127.0.0.1; ``recdata build --engine spark`` runs in another, with ``SPARK_REMOTE`` pointing at
the server, so no classic session of the test process is involved. The recipe reads a CSV (the
reading tasks run on the server's Python workers), dedups, 5-cores and splits.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from recdata.pipeline import build
from recdata.synthetic import generate, write_csv

from .test_spark_builds import assert_same_folders

pytestmark = pytest.mark.spark

ROOT = Path(__file__).resolve().parents[2]
SERVER = "org.apache.spark.sql.connect.service.SparkConnectServer"
RECIPE = """
name: connect-csv
family: custom
sources:
  - name: events
    manual: a generated CSV
    filename: events.csv
interactions:
  source: events
  format: csv
  options: {has_header: true}
  fields:
    user_id: user_id
    item_id: item_id
    timestamp: {column: timestamp, unit: s}
    rating: rating
steps:
  - dedup: {keep: last}
  - kcore: {user_k: 3, item_k: 3, mode: iterative}
splits:
  loo: leave_one_out
  tmp: {protocol: global_temporal, quantiles: [0.8, 0.9]}
features: null
graphs: null
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env() -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {
        **os.environ,
        "PYTHONPATH": path,
        "PYSPARK_PYTHON": sys.executable,
        "SPARK_LOCAL_IP": "127.0.0.1",
    }


@pytest.fixture(scope="module")
def connect_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``sc://127.0.0.1:PORT`` of a Spark Connect server started for this module."""
    if importlib.util.find_spec("pyspark") is None or shutil.which("java") is None:
        pytest.skip("pyspark or java is absent")
    if importlib.util.find_spec("grpc") is None:
        pytest.skip("the Spark Connect client is absent (pip install 'pyspark[connect]')")
    import pyspark

    home = Path(pyspark.__file__).parent
    port = _free_port()
    log = tmp_path_factory.mktemp("connect") / "server.log"
    command = [
        str(home / "bin" / "spark-submit"),
        "--class",
        SERVER,
        "--master",
        "local[2]",
        "--driver-memory",
        "1g",
        "--conf",
        f"spark.connect.grpc.binding.port={port}",
        "--conf",
        "spark.ui.enabled=false",
        "spark-internal",
    ]
    with open(log, "wb") as out:
        server = subprocess.Popen(
            command, env={**_env(), "SPARK_HOME": str(home)}, stdout=out, stderr=out
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            if server.poll() is not None:
                pytest.fail(f"the Spark Connect server stopped: {log.read_text()[-2000:]}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline:
                pytest.fail("the Spark Connect server did not start within 120 s")
            time.sleep(0.5)
        yield f"sc://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def test_a_build_over_spark_connect(
    connect_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECDATA_HOME", str(tmp_path / "home"))
    raw = tmp_path / "raw"
    raw.mkdir()
    write_csv(generate(20_000, n_users=800, n_items=300, seed=5), raw / "events.csv")
    recipe = tmp_path / "connect.yaml"
    recipe.write_text(RECIPE)
    want = build(recipe, out=tmp_path / "polars", raw_dir=raw)
    got = tmp_path / "connect"
    args = ["build", str(recipe), "--raw-dir", str(raw), "--engine", "spark", "-o", str(got)]
    env = {**_env(), "SPARK_REMOTE": connect_url, "RECDATA_HOME": str(tmp_path / "home")}
    command = [sys.executable, "-m", "recdata", *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert_same_folders(want, got)
    assert "read and mapped by 1 Spark task(s)" in (got / "build.log").read_text()
