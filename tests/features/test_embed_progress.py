"""The embedding step reports items done / total per encoded batch to the caller's bar."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
from factory import make_small_dataset

from recdata.cli import main
from recdata.features import TextSpec
from recdata.features._embed import embed_texts


class Recorder:
    """A bar factory that records what it is told."""

    def __init__(self) -> None:
        self.bars: list[tuple[str, int]] = []
        self.updates: list[int] = []
        self.closed = 0

    def __call__(self, description: str, total: int) -> Recorder:
        self.bars.append((description, total))
        return self

    def update(self, n: int) -> None:
        self.updates.append(n)

    def close(self) -> None:
        self.closed += 1


def test_embed_texts_advances_the_callers_bar_per_batch(minilm: str, tmp_path: Path) -> None:
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"]
    texts = pl.DataFrame(
        {
            "item_idx": pl.Series(range(1, 12), dtype=pl.Int32),
            "text": [f"{w} " * (i + 1) for i, w in enumerate(words)] + [words[0] + " "],
        }
    )
    recorder = Recorder()
    spec = TextSpec(model=minilm, batch_size=4)
    embed_texts(texts, spec, cache_dir=tmp_path / "cache", progress=recorder)
    assert recorder.bars == [(f"text {minilm}", 10)]  # 11 items, 10 distinct texts
    assert recorder.updates == [4, 4, 2]  # one update per batch of 4
    assert recorder.closed == 1
    again = Recorder()  # everything cached: an empty bar, closed
    embed_texts(texts, spec, cache_dir=tmp_path / "cache", progress=again)
    assert again.bars == [(f"text {minilm}", 0)] and again.updates == [] and again.closed == 1


def test_features_cli_prints_the_embedding_line_when_not_a_terminal(
    minilm: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = make_small_dataset(tmp_path / "small")
    assert main(["features", str(folder), "--text", minilm]) == 0
    err = capsys.readouterr().err
    assert re.search(rf"^text {minilm}: 5/5 items, \d+\.\d s$", err, re.M), err
    assert main(["features", str(folder), "--text", minilm, "--no-progress"]) == 0
    assert "items," not in capsys.readouterr().err
