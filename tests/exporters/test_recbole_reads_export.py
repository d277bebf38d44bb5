"""RecBole itself loads the ML-100K export: same users, items, interactions and benchmark split.

RecBole 1.2.1 needs numpy < 2, so it lives in its own virtualenv (see README, "recdata vs
RecBole"); point ``RECDATA_RECBOLE_PYTHON`` at that interpreter to run this test. It is skipped
otherwise (CI's venv has no RecBole).
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest

import recdata
from recdata.exporters import export

_LOADER = textwrap.dedent(
    """
    import json, sys, yaml
    from recbole.config import Config
    from recbole.data import create_dataset, data_preparation
    data_path, name = sys.argv[1], sys.argv[2]
    cfg = yaml.safe_load(open(f"{data_path}/{name}/{name}.yaml"))
    cfg.update({"data_path": data_path, "checkpoint_dir": f"{data_path}/ckpt", "save_dataset": False,
                "save_dataloaders": False, "show_progress": False, "state": "ERROR"})
    config = Config(model="Pop", dataset=name, config_dict=cfg)
    ds = create_dataset(config)
    train, valid, test = data_preparation(config, ds)
    print(json.dumps({"users": ds.user_num - 1, "items": ds.item_num - 1, "inters": ds.inter_num,
                      "parts": [len(train.dataset), len(valid.dataset), len(test.dataset)],
                      "types": {k: v.value for k, v in ds.field2type.items()}}))
    """
)


def test_recbole_loads_the_ml100k_export(shared_datasets: Path, tmp_path: Path) -> None:
    python = os.environ.get("RECDATA_RECBOLE_PYTHON")
    if not python:
        pytest.skip("set RECDATA_RECBOLE_PYTHON to a Python with recbole installed")
    folder = recdata.build(
        "ml-100k",
        raw_dir=shared_datasets / "ml-100k",
        out=tmp_path / "ml",
        features=False,
        home=tmp_path / "home",
        progress=False,
    )
    export(folder, to="recbole", out=tmp_path / "rb" / "ml100k", name="ml100k")
    (tmp_path / "load.py").write_text(_LOADER, encoding="utf-8")
    done = subprocess.run(
        [python, str(tmp_path / "load.py"), str(tmp_path / "rb"), "ml100k"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    stats = recdata.stats(folder)
    assert (
        (got["users"], got["items"], got["inters"])
        == (943, 1349, 99287)
        == (stats["users"], stats["items"], stats["interactions"])
    )
    assert got["parts"] == [97401, 943, 943]
    assert got["types"]["title"] == "token_seq" and got["types"]["timestamp"] == "float"
    assert got["types"]["categories"] == "token_seq" and got["types"]["rating"] == "float"
