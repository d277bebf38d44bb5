"""The recipe catalog ships in the wheel: every YAML under recipes/ is package data of
recdata.recipes (or a subpackage), found through importlib.resources, without setuptools'
"Package would be ignored" warnings."""

from __future__ import annotations

import importlib.resources
import importlib.util
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RECIPES = REPO / "recipes"


def yaml_files() -> set[str]:
    return {p.relative_to(RECIPES).as_posix() for p in RECIPES.rglob("*.yaml")}


def resource_files() -> set[str]:
    found: set[str] = set()

    def walk(node: importlib.resources.abc.Traversable, prefix: str) -> None:
        for child in node.iterdir():
            if child.is_dir():
                walk(child, f"{prefix}{child.name}/")
            elif child.name.endswith(".yaml"):
                found.add(f"{prefix}{child.name}")

    walk(importlib.resources.files("recdata.recipes"), "")
    return found


def test_every_catalog_yaml_is_found_via_importlib_resources() -> None:
    expected = yaml_files()
    assert "movielens/ml-100k.yaml" in expected and "synthetic.yaml" in expected
    assert resource_files() == expected


def test_every_code_package_is_listed() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf8"))["tool"]
    packages = set(config["setuptools"]["packages"])
    code = {
        ".".join(init.parent.relative_to(REPO).parts)
        for init in (REPO / "recdata").rglob("__init__.py")
        if "recipes" not in init.relative_to(REPO).parts  # the catalog (a local symlink)
    }
    assert "recdata.cli" in code
    assert code - packages == set(), "add these to [tool.setuptools] packages"


def test_every_recipe_folder_is_a_package_with_its_yaml_as_data() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf8"))["tool"]
    packages = set(config["setuptools"]["packages"])
    data = config["setuptools"]["package-data"]
    folders = {p.parent.relative_to(RECIPES) for p in RECIPES.rglob("*.yaml")}
    for folder in folders:
        package = ".".join(["recdata", "recipes", *folder.parts])
        assert package in packages, f"add {package!r} to [tool.setuptools] packages"
        patterns = data.get(package, []) + data.get("*", [])
        assert "*.yaml" in patterns, f"{package}: its *.yaml must be package data"


@pytest.mark.skipif(
    importlib.util.find_spec("setuptools") is None,
    reason="building a wheel offline needs setuptools in this environment",
)
def test_the_wheel_ships_every_recipe_without_ignored_package_warnings(tmp_path: Path) -> None:
    source = tmp_path / "src"
    # a clean copy, as a fresh clone has it (no local recdata/recipes symlink)
    shutil.copytree(
        REPO,
        source,
        ignore=shutil.ignore_patterns(".git", "recipes", "__pycache__", "*.egg-info", "build"),
    )
    if (source / "recdata" / "recipes").is_symlink():
        (source / "recdata" / "recipes").unlink()
    shutil.copytree(RECIPES, source / "recipes")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
        + ["-v", "-w", str(tmp_path / "wheel"), str(source)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    log = done.stdout + done.stderr
    assert "would be ignored" not in log, log[log.find("would be ignored") - 400 :][:1200]
    (wheel,) = (tmp_path / "wheel").glob("recdata-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {n.removeprefix("recdata/recipes/") for n in names if n.endswith(".yaml")}
    assert shipped == yaml_files()
    modules = {
        p.relative_to(source).as_posix()
        for p in (source / "recdata").rglob("*.py")
        if "__pycache__" not in p.parts
    }
    assert modules - names == set(), "modules missing from the wheel"
