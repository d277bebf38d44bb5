"""Only ``recdata/_atomic.py`` deletes or renames folders; the caches rename their own files."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "recdata"
DANGEROUS = {
    ("shutil", "rmtree"),
    ("shutil", "move"),
    ("os", "replace"),
    ("os", "rename"),
    ("os", "renames"),
    ("os", "rmdir"),
    ("os", "removedirs"),
}
ALLOWED = {
    "_atomic.py": "replaces folders under the overwrite rule",
    "sources/_cache.py": "renames verified downloads inside the cache",
    "sources/_archive.py": "replaces extractions inside the cache",
    "features/_cache.py": "renames embedding chunks inside the cache",
    "features/_image.py": "renames downloaded images inside the cache",
    "engines/spark/_frames.py": "removes the fresh mkdtemp staging folder it created itself",
}


def _calls(tree: ast.AST) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if (node.value.id, node.attr) in DANGEROUS:
                found.add(f"{node.value.id}.{node.attr}")
        if isinstance(node, ast.ImportFrom) and node.module in {"os", "shutil"}:
            for alias in node.names:
                if (node.module, alias.name) in DANGEROUS:
                    found.add(f"from {node.module} import {alias.name}")
    return found


def test_folder_replacement_has_one_owner() -> None:
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith("recipes/") or rel in ALLOWED:
            continue
        calls = _calls(ast.parse(path.read_text(encoding="utf8")))
        if calls:
            offenders[rel] = sorted(calls)
    assert offenders == {}, f"write folders through recdata._atomic.atomic_folder: {offenders}"


def test_the_check_sees_a_bypass() -> None:
    assert _calls(ast.parse("import shutil\nshutil.rmtree(out)\n")) == {"shutil.rmtree"}
    assert _calls(ast.parse("from os import replace\n")) == {"from os import replace"}
