"""The recipe catalog: YAML files shipped as ``recdata.recipes``, families, variants and aliases.

A catalog file holds one of:

- a recipe (a mapping with ``name``);
- a family: a recipe whose strings contain ``{placeholders}`` plus ``variants:``, a list of
  placeholder values (``{category: Gift_Cards}``; ``slug`` defaults to the lower-cased,
  hyphenated ``category``), each with an optional ``set:`` of dotted overrides, and optional
  ``hosts:``, a mapping of host labels to ``{set: {...}}``: each variant is also built once per
  host with those overrides (placeholders substituted; the set must rename the recipe), e.g. the
  same Amazon 2023 file from the Hugging Face Hub instead of the UCSD server;
- ``aliases:``, a mapping of short names to ``{recipe: <full name>, set: {...}}``.
"""

from __future__ import annotations

import copy
import difflib
import functools
import importlib.resources
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from recdata.errors import BadOverride, RecipeError, UnknownRecipe
from recdata.recipe._model import Recipe
from recdata.recipe._overrides import apply_mapping, apply_overrides

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class CatalogEntry:
    """One buildable name of the catalog, before validation."""

    name: str
    """Full name (or alias)."""
    data: dict[str, Any]
    """The recipe as data (placeholders substituted, variant and alias settings applied)."""
    origin: str
    """Catalog file it comes from (relative to the catalog root)."""
    alias_of: str | None = None
    """For an alias, the name it is built on."""
    settings: dict[str, Any] = field(default_factory=dict)
    """The alias's or variant's ``set:`` (already applied to ``data``)."""

    @property
    def family(self) -> str:
        return str(self.data.get("family", ""))

    @property
    def version(self) -> str:
        return str(self.data.get("version", ""))

    @property
    def licence(self) -> str:
        return str(self.data.get("licence") or "")

    @property
    def download_size(self) -> int | None:
        """Sum of the required sources' sizes when all are known."""
        sizes = [s.get("size") for s in self.data.get("sources", []) if not s.get("optional")]
        if not self.data.get("sources"):
            return 0 if self.data.get("synthetic") is not None else None
        if any(s is None for s in sizes):
            return None
        return int(sum(sizes))


def _substitute(value: Any, params: dict[str, str]) -> Any:
    """Replace ``{key}`` for the keys of ``params`` in every string (other braces are left alone)."""
    if isinstance(value, str):
        return _PLACEHOLDER.sub(
            lambda m: str(params[m.group(1)]) if m.group(1) in params else m.group(0), value
        )
    if isinstance(value, list):
        return [_substitute(v, params) for v in value]
    if isinstance(value, dict):
        return {_substitute(k, params): _substitute(v, params) for k, v in value.items()}
    return value


def slugify(text: str) -> str:
    """``Clothing_Shoes_and_Jewelry`` -> ``clothing-shoes-and-jewelry``."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _load_yaml(text: str, origin: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{origin}:{mark.line + 1}" if mark is not None else origin
        raise RecipeError(
            f"{where}: not valid YAML: {getattr(exc, 'problem', None) or exc}"
        ) from None


def expand(doc: Any, origin: str) -> list[CatalogEntry]:
    """The recipes (and aliases) one catalog file defines."""
    if not isinstance(doc, dict):
        raise RecipeError(f"{origin}: a recipe file must hold a mapping, got {type(doc).__name__}")
    if "aliases" in doc:
        entries = []
        for alias, spec in (doc["aliases"] or {}).items():
            if not isinstance(spec, dict) or "recipe" not in spec:
                raise RecipeError(f"{origin}: alias {alias!r} needs recipe: <full name>")
            unknown = set(spec) - {"recipe", "set", "description"}
            if unknown:
                raise RecipeError(f"{origin}: alias {alias!r}: unknown key(s) {sorted(unknown)}")
            entries.append(
                CatalogEntry(
                    name=str(alias),
                    data={"description": spec.get("description")},
                    origin=origin,
                    alias_of=str(spec["recipe"]),
                    settings=dict(spec.get("set") or {}),
                )
            )
        return entries
    variants = doc.get("variants")
    if variants is None:
        return [CatalogEntry(name=str(doc.get("name", "")), data=doc, origin=origin)]
    hosts = doc.get("hosts") or {}
    if not isinstance(hosts, dict) or not all(
        isinstance(h, dict) and "set" in h for h in hosts.values()
    ):
        raise RecipeError(f"{origin}: hosts: must map host labels to {{set: {{...}}}}")
    template = {k: v for k, v in doc.items() if k not in ("variants", "hosts")}
    entries = []
    for variant in variants:
        if isinstance(variant, str):
            variant = {"category": variant}
        params = {k: v for k, v in variant.items() if k != "set"}
        if "category" in params:
            params.setdefault("slug", slugify(str(params["category"])))
        data = _substitute(copy.deepcopy(template), {k: str(v) for k, v in params.items()})
        settings = dict(variant.get("set") or {})
        if settings:
            data = apply_mapping(data, settings)
        entries.append(
            CatalogEntry(
                name=str(data.get("name", "")), data=data, origin=origin, settings=settings
            )
        )
        for label, host in hosts.items():
            host_settings = _substitute(
                copy.deepcopy(host["set"]), {k: str(v) for k, v in params.items()}
            )
            hosted = apply_mapping(copy.deepcopy(data), host_settings)
            if hosted.get("name") == data.get("name"):
                raise RecipeError(f"{origin}: host {label!r} must set a distinct name")
            entries.append(
                CatalogEntry(
                    name=str(hosted.get("name", "")),
                    data=hosted,
                    origin=origin,
                    settings={**settings, **host_settings},
                )
            )
    return entries


def _catalog_files() -> Iterator[tuple[str, str]]:
    root = importlib.resources.files("recdata.recipes")

    def walk(node: Any, prefix: str) -> Iterator[tuple[str, str]]:
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            if child.is_dir():
                if not child.name.startswith(("_", ".")):
                    yield from walk(child, f"{prefix}{child.name}/")
            elif child.name.endswith((".yaml", ".yml")):
                yield f"{prefix}{child.name}", child.read_text(encoding="utf-8")

    yield from walk(root, "")


@functools.cache
def catalog() -> dict[str, CatalogEntry]:
    """Every buildable name of the shipped catalog (recipes, family variants, aliases), sorted."""
    entries: dict[str, CatalogEntry] = {}
    for origin, text in _catalog_files():
        for entry in expand(_load_yaml(text, origin), origin):
            if entry.name in entries:
                raise RecipeError(
                    f"catalog: {entry.name!r} is defined twice ({entries[entry.name].origin}, {origin})"
                )
            entries[entry.name] = entry
    for entry in entries.values():
        if entry.alias_of is not None and entry.alias_of not in entries:
            raise RecipeError(
                f"{entry.origin}: alias {entry.name!r} names unknown recipe {entry.alias_of!r}"
            )
    return dict(sorted(entries.items()))


def names() -> list[str]:
    """All catalog names, sorted."""
    return list(catalog())


def _entry_data(entry: CatalogEntry) -> dict[str, Any]:
    if entry.alias_of is None:
        return copy.deepcopy(entry.data)
    base = catalog()[entry.alias_of]
    data = _entry_data(base)
    data = apply_mapping(data, entry.settings)
    data["name"] = entry.name
    data["alias_of"] = entry.alias_of
    if entry.data.get("description"):
        data["description"] = entry.data["description"]
    return data


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err.get("type") == "extra_forbidden":
        msg = "unknown key (not allowed here)"
    inp = err.get("input")
    got = ""
    if err.get("type") not in ("extra_forbidden", "missing") and not isinstance(inp, dict | list):
        got = f" (got {inp!r})"
    more = f" [+{exc.error_count() - 1} more]" if exc.error_count() > 1 else ""
    return f"{loc}: {msg}{got}{more}" if loc else f"{msg}{more}"


def validate_recipe(data: Any, *, origin: str) -> Recipe:
    """Validate recipe data; a problem raises RecipeError naming the origin and the key."""
    if not isinstance(data, dict):
        raise RecipeError(f"{origin}: a recipe must be a mapping, got {type(data).__name__}")
    try:
        return Recipe.model_validate(data)
    except ValidationError as exc:
        raise RecipeError(f"{origin}: {_first_error(exc)}") from None
    except (TypeError, ValueError) as exc:  # raised by validators outside pydantic's wrapping
        raise RecipeError(f"{origin}: {exc}") from None


def _looks_like_file(text: str) -> bool:
    return text.endswith((".yaml", ".yml")) or "/" in text or Path(text).is_file()


def load_data(name_or_path: str | Path) -> tuple[dict[str, Any], str]:
    """The recipe data of a catalog name or a YAML file, and where it came from."""
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or _looks_like_file(text):
        path = Path(text)
        if not path.is_file():
            raise UnknownRecipe(f"{path}: no such recipe file")
        entries = expand(_load_yaml(path.read_text(encoding="utf-8"), path.name), path.name)
        if len(entries) != 1 or entries[0].alias_of is not None:
            listed = ", ".join(e.name for e in entries[:8])
            raise RecipeError(
                f"{path.name} defines {len(entries)} recipes ({listed}...); build one by its catalog "
                "name or write a file with a single recipe"
            )
        return copy.deepcopy(entries[0].data), path.name
    entries = catalog()
    key = text.strip().lower()
    if key not in entries:
        close = difflib.get_close_matches(key, list(entries), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see `recdata list`"
        raise UnknownRecipe(f"unknown recipe {text!r}{hint}")
    entry = entries[key]
    return _entry_data(entry), f"recipe {key} ({entry.origin})"


def resolve(
    recipe: str | Path | Recipe,
    overrides: Iterable[str | tuple[str, Any]] = (),
) -> Recipe:
    """A catalog name, a YAML file or a Recipe, with ``--set`` overrides, as a validated Recipe.

    Overrides act on the explicit form, so every key of the resolved recipe can be set.
    """
    overrides = list(overrides)
    if isinstance(recipe, Recipe):
        base, origin = recipe, f"recipe {recipe.name}"
    else:
        data, origin = load_data(recipe)
        base = validate_recipe(data, origin=origin)
    if not overrides:
        return base
    data = apply_overrides(base.model_dump(mode="json"), overrides)  # every key, even unset ones
    try:
        return validate_recipe(data, origin=f"{origin} with --set")
    except RecipeError as exc:  # the base recipe was valid: the override is at fault
        raise BadOverride(str(exc)) from None


def recipe_hash(recipe: Recipe) -> str:
    """sha256 of the resolved recipe's canonical JSON."""
    from recdata.dataset import canonical_hash

    return canonical_hash(recipe.resolved())


def all_recipes() -> Iterator[Recipe]:
    """Every catalog recipe, validated (slow-ish: for tests and ``recdata list --check``)."""
    for name in catalog():
        yield resolve(name)
