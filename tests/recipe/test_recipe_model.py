"""Recipe models, families, overrides and error messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recdata.errors import RecipeError, UsageError
from recdata.recipe import (
    KcoreStep,
    Recipe,
    apply_overrides,
    expand,
    parse_override,
    recipe_hash,
    resolve,
    slugify,
)

BASE = {
    "name": "toy",
    "family": "custom",
    "sources": [{"name": "f", "urls": ["https://example.org/f.tsv"]}],
    "interactions": {
        "source": "f",
        "format": "tsv",
        "options": {"columns": ["u", "i"]},
        "fields": {"user_id": "u", "item_id": "i"},
    },
    "steps": [{"kcore": {"user_k": 2}}, "dedup"],
    "splits": {"loo": "leave_one_out"},
}


def test_short_forms_become_explicit() -> None:
    recipe = Recipe.model_validate(BASE)
    assert recipe.steps[0] == KcoreStep(user_k=2)
    explicit = recipe.resolved()
    assert explicit["steps"][0] == {
        "name": None,
        "step": "kcore",
        "user_k": 2,
        "item_k": 5,
        "mode": "iterative",
        "max_rounds": None,
    }
    assert explicit["steps"][1] == {"name": None, "step": "dedup", "keep": "first"}
    assert explicit["splits"]["loo"]["short_users"] == "train"
    assert explicit["interactions"]["fields"]["user_id"]["column"] == "u"
    assert explicit["check_stats"] is True


def test_overrides_by_kind_index_and_name() -> None:
    recipe = resolve(Recipe.model_validate(BASE), ["steps.kcore.user_k=10", "steps.1.keep=last"])
    assert recipe.steps[0].user_k == 10 and recipe.steps[1].keep == "last"
    recipe = resolve(
        recipe, ["sources.f.optional=false", "check_stats=false", "index.order=popularity"]
    )
    assert recipe.check_stats is False and recipe.index.order == "popularity"
    recipe = resolve(recipe, ["steps=[{kcore: {user_k: 3, mode: single_pass}}]"])
    assert recipe.steps == [KcoreStep(user_k=3, mode="single_pass")]


def test_synthetic_shortcuts() -> None:
    recipe = resolve("synthetic", ["size=1000000", "seed=7"])
    assert (
        recipe.synthetic is not None
        and recipe.synthetic.size == 1_000_000
        and recipe.synthetic.seed == 7
    )
    with pytest.raises(RecipeError, match=r"synthetic\.size"):
        resolve("synthetic", ["size=-1"])


@pytest.mark.parametrize(
    ("override", "where"),
    [
        ("steps.kcore.user_k=abc", r"steps\.0\.kcore\.user_k: Input should be a valid integer"),
        ("steps.kcore.mode=twice", r"steps\.0\.kcore\.mode"),
        ("steps.kcore.colour=red", r"steps\.0\.kcore\.colour: unknown key"),
        ("splits.loo.protocol=magic", r"splits\.loo"),
        ("check_stats=maybe", r"check_stats"),
        ("interactions.format=xml", r"interactions\.format"),
        ("expected={later: {users: 1}}", r"expected: unknown stage"),
        ("sources.f.sha256=abc", r"sources\.0\.sha256"),
    ],
)
def test_bad_overrides_name_the_key(override: str, where: str) -> None:
    with pytest.raises(RecipeError, match=where) as info:
        resolve(Recipe.model_validate(BASE), [override])
    assert "\n" not in str(info.value)


def test_override_syntax_and_missing_entries() -> None:
    with pytest.raises(UsageError, match="key=value"):
        parse_override("steps.kcore.user_k")
    with pytest.raises(RecipeError, match="no entry 'sample_users'"):
        resolve(Recipe.model_validate(BASE), ["steps.sample_users.n=3"])
    with pytest.raises(RecipeError, match="out of range"):
        resolve(Recipe.model_validate(BASE), ["steps.5.keep=last"])
    assert parse_override("a.b=[1, 2]") == ("a.b", [1, 2])
    assert parse_override("x=") == ("x", "")


def test_consistency_checks() -> None:
    bad = {**BASE, "interactions": {**BASE["interactions"], "source": "g"}}
    with pytest.raises(ValueError, match="interactions.source 'g'"):
        Recipe.model_validate(bad)
    bad = {**BASE, "interactions": {**BASE["interactions"], "fields": {"user_id": "u"}}}
    with pytest.raises(ValueError, match=r"must map \['item_id'\]"):
        Recipe.model_validate(bad)
    bad = {
        **BASE,
        "interactions": {**BASE["interactions"], "fields": {"user_id": "u", "item_id": "x"}},
    }
    with pytest.raises(ValueError, match=r"column\(s\) \['x'\]"):
        Recipe.model_validate(bad)
    bad = {**BASE, "steps": ["dedup", "dedup"]}
    with pytest.raises(ValueError, match="repeated label"):
        Recipe.model_validate(bad)
    ok = {**BASE, "steps": ["dedup", {"step": "dedup", "name": "again", "keep": "last"}]}
    assert [s.key for s in Recipe.model_validate(ok).steps] == ["dedup", "again"]
    bad = {
        **BASE,
        "interactions": {
            **BASE["interactions"],
            "fields": {"user_id": "u", "item_id": "i", "timestamp": "u"},
        },
    }
    with pytest.raises(ValueError, match="needs a unit"):
        Recipe.model_validate(bad)


def test_family_expansion_substitutes_only_its_placeholders() -> None:
    doc = {
        **BASE,
        "name": "toy-{slug}",
        "description": "{category} with {title} kept",
        "sources": [{"name": "f", "urls": ["https://example.org/{category}.tsv"]}],
        "variants": [
            {"category": "Gift_Cards"},
            {"category": "All_Beauty", "set": {"check_stats": False}},
        ],
    }
    entries = expand(doc, "family.yaml")
    assert [e.name for e in entries] == ["toy-gift-cards", "toy-all-beauty"]
    first = entries[0].data
    assert first["sources"][0]["urls"] == ["https://example.org/Gift_Cards.tsv"]
    assert first["description"] == "Gift_Cards with {title} kept"
    assert entries[1].data["check_stats"] is False and "check_stats" not in first


def test_user_file_errors(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("name: [unclosed\n")
    with pytest.raises(RecipeError, match=r"r\.yaml:\d+: not valid YAML"):
        resolve(path)
    path.write_text("- just a list\n")
    with pytest.raises(RecipeError, match="must hold a mapping"):
        resolve(path)
    with pytest.raises(RecipeError, match="no such recipe file"):
        resolve(tmp_path / "absent.yaml")
    with pytest.raises(RecipeError, match="unknown recipe 'ml-100'.*ml-100k"):
        resolve("ml-100")


def test_hash_changes_with_any_parameter() -> None:
    a = resolve("synthetic")
    assert recipe_hash(a) == recipe_hash(resolve("synthetic"))
    assert recipe_hash(a) != recipe_hash(resolve("synthetic", ["steps.kcore.item_k=6"]))
    assert recipe_hash(a) != recipe_hash(resolve("synthetic", ["size=100001"]))


@settings(max_examples=60, deadline=None)
@given(
    st.text(
        alphabet=st.characters(codec="ascii", categories=["L", "N", "P", "Zs"]),
        min_size=1,
        max_size=30,
    )
)
def test_slugify_is_lower_hyphenated(text: str) -> None:
    slug = slugify(text)
    assert slug == slug.lower()
    assert not slug.startswith("-") and not slug.endswith("-") and "--" not in slug
    assert all(c.isalnum() or c == "-" for c in slug)


@settings(max_examples=60, deadline=None)
@given(
    user_k=st.integers(0, 1000),
    item_k=st.integers(0, 1000),
    keep=st.sampled_from(["first", "last", "none"]),
)
def test_overrides_round_trip_through_the_model(user_k: int, item_k: int, keep: str) -> None:
    data = apply_overrides(
        Recipe.model_validate(BASE).resolved(),
        [
            f"steps.kcore.user_k={user_k}",
            ("steps.kcore.item_k", item_k),
            f"steps.dedup.keep={keep}",
        ],
    )
    recipe = Recipe.model_validate(data)
    assert (recipe.steps[0].user_k, recipe.steps[0].item_k, recipe.steps[1].keep) == (
        user_k,
        item_k,
        keep,
    )
