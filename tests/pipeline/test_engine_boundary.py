"""The engine boundary: ``build(engine=...)`` picks the engine; the polars engine is the default
and an explicit polars engine object gives the same folder bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from recdata.engines import get_engine
from recdata.engines.polars import PolarsEngine
from recdata.errors import UsageError
from recdata.pipeline import build


def test_unknown_engine_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="'duck' is not one of polars, spark"):
        build("synthetic", out=tmp_path / "x", overrides=["size=2000"], engine="duck")
    assert not (tmp_path / "x").exists()
    with pytest.raises(UsageError, match="--engine spark"):
        get_engine("polars", spark_master="local[2]")


def test_engine_object_and_name_give_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folder_bytes
) -> None:  # noqa: ANN001
    monkeypatch.setenv("RECDATA_HOME", str(tmp_path / "home"))
    stages: list[str] = []
    a = build("synthetic", out=tmp_path / "a", overrides=["size=3000"], progress=stages.append)
    b = build("synthetic", out=tmp_path / "b", overrides=["size=3000"], engine=PolarsEngine())
    assert folder_bytes(a) == folder_bytes(b)
    # the stages report in pipeline order
    names = [s.split(" ")[0] for s in stages]
    assert names.index("generating") < names.index("step") < names.index("assigning")
    assert names.index("assigning") < names.index("split") < names.index("features")
    assert names.index("features") < names.index("writing") < names.index("done:")
