"""Progress of CLI runs: a live display with items done / total and an ETA on a terminal; one
plain line per finished stage, with its time, when stderr is not a terminal."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from rich.console import Console

from recdata.cli import main
from recdata.cli._progress import RunProgress

STAGE_LINE = re.compile(r"^(?P<stage>.+): (?P<seconds>\d+\.\d) s$")


def test_build_prints_one_line_per_stage_when_not_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["build", "synthetic", "-o", str(tmp_path / "s"), "--set", "size=2000"]) == 0
    lines = capsys.readouterr().err.splitlines()
    stages = [m["stage"] for m in map(STAGE_LINE.match, lines) if m]
    assert stages == [
        "generating 2,000 synthetic interactions",
        "step dedup",
        "step kcore",
        "assigning indices",
        "split loo (leave_one_out)",
        "saving the interactions",
        "features and graphs",
        "writing the folder",
    ], lines


def terminal() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=True, width=120, color_system=None), buffer


def test_terminal_display_shows_items_done_total_and_an_eta() -> None:
    console, buffer = terminal()
    with RunProgress(console, live=True) as run:
        run("reading interactions")
        run("features and graphs")
        bar = run.bar("text all-MiniLM-L6-v2", 1340)
        bar.update(64)
        run.refresh()
        frame = buffer.getvalue()
        assert "64/1,340 items" in frame
        assert re.search(r"ETA (\?|\d+:\d\d)", frame), frame
        bar.update(1276)
        bar.close()
    final = buffer.getvalue()
    assert "1,340/1,340 items" in final
    assert re.search(r"✓ reading interactions +\d+\.\d s", final), final
    assert re.search(r"✓ features and graphs +\d+\.\d s", final), final


def test_plain_lines_for_stages_and_item_bars() -> None:
    console, buffer = terminal()
    with RunProgress(console, live=False) as run:
        run("reading interactions")
        bar = run.bar("text m", 5)
        bar.update(2)
        bar.update(3)
        bar.close()
        bar.close()  # closing twice prints once
        run("writing the folder")
        run("done: /tmp/x")  # the build's end: not a stage of its own
    lines = buffer.getvalue().splitlines()
    assert [STAGE_LINE.match(line) is not None for line in lines] == [False, True, True], lines
    assert re.fullmatch(r"text m: 5/5 items, \d+\.\d s", lines[0])
    assert [STAGE_LINE.match(line)["stage"] for line in lines[1:]] == [
        "reading interactions",
        "writing the folder",
    ]


def test_a_failed_run_does_not_report_its_last_stage_as_done() -> None:
    console, buffer = terminal()
    with pytest.raises(RuntimeError), RunProgress(console, live=False) as run:
        run("reading interactions")
        raise RuntimeError("boom")
    assert buffer.getvalue() == ""


def test_a_failed_build_stays_one_line_when_not_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf8")
    out = tmp_path / "notes.txt" / "syn"  # cannot be made: a file is in the way
    assert main(["build", "synthetic", "-o", str(out), "--set", "size=2000"]) != 0
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
