"""Interrupted writes: stale temporaries are removed, a lone ``.NAME.old-PID`` is restored, and
two writers of one folder never mix (the second waits for the first)."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from recdata._atomic import atomic_folder
from recdata.dataset import Manifest
from recdata.errors import UsageError
from recdata.pipeline import build
from recdata.validation import validate
from tests.safety.conftest import run_cli, tree_hashes

SMALL = ["size=600", "n_users=40", "n_items=30"]
ROOT = Path(__file__).resolve().parents[2]


def _python(code: str, *, wait: bool = True) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], env=env, cwd=os.getcwd())
    if wait:
        proc.wait(timeout=120)
    return proc


def _killed_mid_write(out: Path) -> int:
    """A process that starts writing ``out`` and is killed (SIGKILL) mid-write; returns its pid."""
    proc = _python(
        f"""
        import os, signal
        from pathlib import Path
        from recdata._atomic import atomic_folder
        with atomic_folder(Path({str(out)!r})) as tmp:
            (tmp / "interactions.parquet").write_bytes(b"x" * 100000)
            os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    assert proc.returncode == -signal.SIGKILL
    return proc.pid


def _dead_pid() -> int:
    proc = _python("pass")
    assert proc.returncode == 0
    return proc.pid


def test_a_killed_write_leaves_a_temporary_the_next_build_removes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pid = _killed_mid_write(tmp_path / "out")
    stale = tmp_path / f".out.tmp-{pid}"
    assert stale.is_dir() and (stale / "interactions.parquet").is_file()
    with caplog.at_level(logging.WARNING, logger="recdata"):
        build("synthetic", out=tmp_path / "out", overrides=SMALL, features=False)
    assert not stale.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
    assert any(
        f".out.tmp-{pid}" in r.getMessage() and "removed" in r.getMessage() for r in caplog.records
    )


def test_the_cli_says_so_in_one_line(tmp_path: Path) -> None:
    pid = _killed_mid_write(tmp_path / "other")  # another output, same parent
    result = run_cli(
        "build",
        "synthetic",
        "-o",
        str(tmp_path / "syn"),
        *sum((["--set", s] for s in SMALL), []),
        "--no-features",
    )
    assert result.code == 0, result.err
    lines = [line for line in result.err.splitlines() if f".other.tmp-{pid}" in line]
    assert len(lines) == 1 and "removed" in lines[0], result.err
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # lock file too


def test_an_unmarked_lookalike_is_never_removed(tmp_path: Path) -> None:
    lookalike = tmp_path / f".out.tmp-{_dead_pid()}"
    lookalike.mkdir()
    (lookalike / "mine.txt").write_text("user file", encoding="utf8")
    build("synthetic", out=tmp_path / "out", overrides=SMALL, features=False)
    assert (lookalike / "mine.txt").read_text(encoding="utf8") == "user file"


def test_a_live_writers_temporary_is_left_alone(tmp_path: Path) -> None:
    proc = _python(
        f"""
        import time
        from pathlib import Path
        from recdata._atomic import atomic_folder
        with atomic_folder(Path({str(tmp_path / "busy")!r})) as tmp:
            (tmp / "started").write_text("x")
            while not Path({str(tmp_path / "release")!r}).exists():
                time.sleep(0.05)
        """,
        wait=False,
    )
    tmp = tmp_path / f".busy.tmp-{proc.pid}"
    deadline = time.monotonic() + 60
    while not (tmp / "started").exists():
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    build("synthetic", out=tmp_path / "out", overrides=SMALL, features=False)
    assert (tmp / "started").exists()
    (tmp_path / "release").touch()
    assert proc.wait(timeout=60) == 0
    assert (tmp_path / "busy" / "started").is_file()


def test_a_lone_old_copy_is_renamed_back(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    out = build("synthetic", out=tmp_path / "out", overrides=SMALL, features=False)
    before = tree_hashes(out)
    old = tmp_path / f".out.old-{_dead_pid()}"
    os.replace(out, old)  # a kill between the two renames of an overwrite
    with (
        caplog.at_level(logging.WARNING, logger="recdata"),
        pytest.raises(UsageError, match="already exists"),
    ):
        build("synthetic", out=out, overrides=SMALL, features=False)
    assert tree_hashes(out) == before and not old.exists()
    assert any("restored" in r.getMessage() for r in caplog.records)


def test_an_old_copy_beside_its_replacement_is_removed(tmp_path: Path) -> None:
    first = build("synthetic", out=tmp_path / "first", overrides=SMALL, features=False)
    out = build("synthetic", out=tmp_path / "out", overrides=[*SMALL, "seed=2"], features=False)
    old = tmp_path / f".out.old-{_dead_pid()}"
    os.replace(first, old)  # a kill after the second rename, before the old copy was deleted
    build("synthetic", out=out, overrides=[*SMALL, "seed=3"], features=False, overwrite=True)
    assert not old.exists() and Manifest.read(out).recipe["synthetic"]["seed"] == 3


def test_an_old_copy_holding_a_user_file_is_kept(tmp_path: Path) -> None:
    out = build("synthetic", out=tmp_path / "out", overrides=SMALL, features=False)
    old = tmp_path / f".out.old-{_dead_pid()}"
    old.mkdir()
    (old / "notes.txt").write_text("mine", encoding="utf8")
    build("synthetic", out=out, overrides=[*SMALL, "seed=3"], features=False, overwrite=True)
    assert (old / "notes.txt").read_text(encoding="utf8") == "mine"


def test_a_second_writer_waits_for_the_first(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "out"
    proc = _python(
        f"""
        import time
        from pathlib import Path
        from recdata._atomic import atomic_folder
        with atomic_folder(Path({str(out)!r})) as tmp:
            (tmp / "from").write_text("first")
            Path({str(tmp_path / "entered")!r}).touch()
            while not Path({str(tmp_path / "release")!r}).exists():
                time.sleep(0.05)
            (tmp / "done").write_text("first")
        """,
        wait=False,
    )
    deadline = time.monotonic() + 60
    while not (tmp_path / "entered").exists():
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)

    import threading

    def release_later() -> None:
        time.sleep(1.0)
        assert not out.exists()  # the second writer has not written meanwhile
        (tmp_path / "release").touch()

    thread = threading.Thread(target=release_later)
    thread.start()
    with (
        caplog.at_level(logging.WARNING, logger="recdata"),
        pytest.raises(UsageError, match="already exists"),
    ):
        with atomic_folder(out) as tmp:  # waits for the first writer, then finds out written
            (tmp / "from").write_text("second")
    thread.join()
    assert proc.wait(timeout=60) == 0
    assert {p.name: p.read_text() for p in out.iterdir()} == {"from": "first", "done": "first"}
    assert any(
        "waiting" in r.getMessage() and str(proc.pid) in r.getMessage() for r in caplog.records
    )


def test_two_builds_into_one_output_give_one_complete_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = f"""
        import sys
        from recdata.pipeline import build
        from recdata.errors import UsageError
        try:
            build("synthetic", out={str(out)!r}, overrides={SMALL!r} + [sys.argv[1]], features=False, overwrite=True)
        except UsageError as exc:
            print(exc)
            sys.exit(2)
        """
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), f"seed={seed}"], env=env)
        for seed in (11, 12)
    ]
    codes = [p.wait(timeout=300) for p in procs]
    assert codes == [0, 0]  # each waited its turn and replaced a folder recdata wrote
    assert validate(out).ok
    assert Manifest.read(out).recipe["synthetic"]["seed"] in (11, 12)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporaries


def test_a_users_lock_lookalike_is_never_touched(tmp_path: Path) -> None:
    mine = tmp_path / ".thesis.lock"
    mine.write_text("editor lock\n", encoding="utf8")
    build("synthetic", out=tmp_path / "syn", overrides=SMALL, features=False)  # cleans the parent
    assert mine.read_text(encoding="utf8") == "editor lock\n"
    with pytest.raises(UsageError, match="not a recdata lock file"):
        build("synthetic", out=tmp_path / "thesis", overrides=SMALL, features=False)
    assert mine.read_text(encoding="utf8") == "editor lock\n" and not (tmp_path / "thesis").exists()


def test_a_lookalike_with_this_pid_is_never_emptied(tmp_path: Path) -> None:
    lookalike = tmp_path / f".out.tmp-{os.getpid()}"
    lookalike.mkdir()
    (lookalike / "mine.txt").write_text("user file", encoding="utf8")
    with pytest.raises(UsageError, match="move it away"):
        build("synthetic", out=tmp_path / "out", overrides=SMALL, features=False)
    assert (lookalike / "mine.txt").read_text(encoding="utf8") == "user file"
    assert not (tmp_path / "out").exists()
