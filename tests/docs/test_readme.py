"""The README's quick start runs as written (offline lines) and states the counts it produces."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
ONLINE_MARK = "# needs the internet"
ACTIVATE = ". .venv/bin/activate"

pytestmark = pytest.mark.shared


def section(text: str, title: str) -> str:
    """The body of the level-2 section ``## title`` of a Markdown text."""
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"README.md has no '## {title}' section"
    return match.group(1)


def bash_lines(markdown: str) -> list[str]:
    """The non-empty lines of every fenced ```bash block, in order."""
    blocks = re.findall(r"^```bash\n(.*?)^```", markdown, re.M | re.S)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def number(text: str) -> int:
    return int(text.replace(",", ""))


def test_readme_is_a_short_guide() -> None:
    lines = README.read_text(encoding="utf8").splitlines()
    assert len(lines) <= 300, f"README.md has {len(lines)} lines; the reference belongs in docs/"


def test_quick_start_activates_the_venv_and_marks_online_lines() -> None:
    lines = bash_lines(section(README.read_text(encoding="utf8"), "Quick start"))
    assert lines[0] == ACTIVATE
    online = [line for line in lines if line.rstrip().endswith(ONLINE_MARK)]
    assert len(online) == 2  # amazon-beauty and the Hugging Face copy


def test_quick_start_runs_offline_and_gives_the_counts_it_states(
    shared_datasets: Path, tmp_path: Path
) -> None:
    text = README.read_text(encoding="utf8")
    quick = section(text, "Quick start")
    commands = [
        line.replace("../shared", str(shared_datasets.parent))
        for line in bash_lines(quick)
        if not line.rstrip().endswith(ONLINE_MARK) and line.strip() != ACTIVATE
    ]
    assert len(commands) >= 8
    # The test's own interpreter stands in for the activated venv: its `recdata` comes first on
    # PATH and imports this checkout.
    bin_dir = Path(sys.executable).parent
    assert (bin_dir / "recdata").exists(), f"no recdata script beside {sys.executable}"
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        "RECDATA_HOME": str(tmp_path / "recdata-home"),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    env.pop("RECDATA_MIRROR", None)
    work = tmp_path / "work"
    work.mkdir()
    outputs = {}
    for command in commands:
        done = subprocess.run(
            ["bash", "-c", command], cwd=work, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, f"{command!r} exited {done.returncode}:\n{done.stderr}"
        outputs[command] = done.stdout

    # `recdata validate ml-100k  # "ok: ...", exit 0` prints what its comment quotes.
    validate = next(c for c in commands if c.startswith("recdata validate ml-100k"))
    promised = re.search(r'"([^"]+)"', validate).group(1)
    assert promised in outputs[validate]

    # The counts the README states are the built folders' counts.
    m = re.search(
        r"`ml-100k` gives ([\d,]+) users, ([\d,]+) items and ([\d,]+) interactions"
        r".*?leave-one-out split of ([\d,]+) / ([\d,]+) / ([\d,]+)",
        quick,
        re.S,
    )
    assert m, "the quick start no longer states ml-100k's counts"
    users, items, rows, train, valid, test = map(number, m.groups())
    ml = pl.read_parquet(work / "ml-100k" / "interactions.parquet")
    assert (ml["user_idx"].n_unique(), ml["item_idx"].n_unique(), ml.height) == (
        users,
        items,
        rows,
    )
    parts = [
        pl.read_parquet(work / "ml-100k" / "splits" / "loo" / f"{part}.parquet").height
        for part in ("train", "valid", "test")
    ]
    assert parts == [train, valid, test]

    m = re.search(r"`gift-cards` holds ([\d,]+) interactions.*?([\d,]+) rows", quick, re.S)
    assert m, "the quick start no longer states gift-cards' counts"
    kept, raw = map(number, m.groups())
    gift = pl.read_parquet(work / "gift-cards" / "interactions.parquet")
    assert gift.height == kept
    manifest = json.loads((work / "gift-cards" / "manifest.json").read_text(encoding="utf8"))
    dedup = next(step for step in manifest["steps"] if step["name"] == "dedup")
    assert (dedup["rows_before"], dedup["rows_after"]) == (raw, kept)
