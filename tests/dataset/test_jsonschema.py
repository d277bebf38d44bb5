"""The JSON Schemas in schemas/ are what the models generate (regenerate them when this fails)."""

from __future__ import annotations

from pathlib import Path

import pytest

from recdata.dataset.jsonschema import rendered

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


@pytest.mark.parametrize("name", sorted(rendered()))
def test_schema_files_match_models(name: str) -> None:
    assert (SCHEMAS / name).read_text(encoding="utf-8") == rendered()[name], (
        f"schemas/{name} is stale: run `python -m recdata.dataset.jsonschema schemas`"
    )


def test_manifest_of_a_folder_obeys_the_json_schema(tmp_path: Path) -> None:
    import json

    jsonschema = pytest.importorskip("jsonschema")
    from factory import make_small_dataset

    folder = make_small_dataset(tmp_path / "s")
    schema = json.loads((SCHEMAS / "manifest.schema.json").read_text())
    jsonschema.validate(json.loads((folder / "manifest.json").read_text()), schema)
