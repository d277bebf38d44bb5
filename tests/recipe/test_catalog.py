"""Every recipe of the shipped catalog loads and resolves: names, URLs, checksums, mapping, steps."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from recdata.normalize._mapping import REQUIRED
from recdata.recipe import Recipe, catalog, names, recipe_hash, resolve

NAME = re.compile(r"^[a-z0-9]+(?:[-.][a-z0-9]+)*(?:@[a-z0-9-]+)?$")
ALL = names()


def test_catalog_is_large_and_names_are_canonical() -> None:
    assert len(ALL) > 250
    bad = [n for n in ALL if not NAME.match(n)]
    assert not bad
    for required in (
        "synthetic",
        "ml-100k",
        "ml-1m",
        "ml-10m",
        "ml-20m",
        "ml-25m",
        "ml-32m",
        "ml-latest-small",
        "amazon2014-beauty-5core",
        "amazon2014-beauty",
        "amazon2014-beauty-ratings",
        "amazon2018-gift-cards-5core",
        "amazon2018-all-beauty-5core",
        "amazon2018-gift-cards",
        "amazon2018-gift-cards-ratings",
        "amazon2023-all-beauty",
        "amazon2023-all-beauty-5core",
        "amazon2023-all-beauty-0core",
        "steam",
        "lastfm-hetrec2011",
        "gowalla",
        "yelp",
        "amazon-beauty",
        "amazon-sports",
        "amazon-toys",
        "amazon-beauty@sasrec",
    ):
        assert required in ALL, required
    assert sum(n.startswith("amazon2023-") and n.endswith("-5core") for n in ALL) == 33
    assert (
        sum(n.startswith("amazon2023-") and not n.endswith(("core", "-hf")) for n in ALL) == 34
    )  # + Unknown
    # the Hugging Face host: every 2023 recipe again, at a pinned commit
    hosted = {n for n in ALL if n.startswith("amazon2023-") and n.endswith("-hf")}
    assert hosted == {
        n + "-hf" for n in ALL if n.startswith("amazon2023-") and not n.endswith("-hf")
    }
    assert sum(n.startswith("amazon2018-") and n.endswith("-5core") for n in ALL) == 29
    assert sum(n.startswith("amazon2014-") and n.endswith("-5core") for n in ALL) == 24


def _check(recipe: Recipe) -> None:
    for source in recipe.sources:
        assert source.urls or source.manual or source.hf, source.name
        for url in source.urls:
            parts = urlsplit(url)
            assert parts.scheme in ("http", "https") and parts.netloc and parts.path, url
            assert " " not in url, url
        if source.archive in ("zip", "tar"):
            assert source.members, f"{recipe.name}: {source.name} declares no members"
    for kind in REQUIRED:
        table = getattr(recipe, kind)
        if table is not None:
            required = list(REQUIRED[kind])
            if kind == "interactions" and "session_id" in table.fields:
                required.remove("user_id")  # each session is its own user
            assert all(f in table.fields for f in required)
    if recipe.interactions is not None:
        ts = recipe.interactions.fields.get("timestamp")
        assert ts is None or ts.unit is not None
    assert recipe.splits, f"{recipe.name} has no split"
    left = re.compile(r"\{(category|slug|version)\}")
    assert not left.search(recipe.model_dump_json()), f"{recipe.name}: unsubstituted placeholder"
    assert recipe.licence


@pytest.mark.parametrize("name", ALL)
def test_every_recipe_resolves(name: str) -> None:
    recipe = resolve(name)
    assert recipe.name == name
    _check(recipe)
    again = resolve(name)
    assert recipe_hash(recipe) == recipe_hash(again)
    # the explicit form round-trips through the model unchanged
    assert Recipe.model_validate(recipe.resolved()).resolved() == recipe.resolved()


def test_published_numbers_are_declared() -> None:
    def final(name: str) -> tuple[int | None, int | None, int | None]:
        e = resolve(name).expected["final"]
        return e.users, e.items, e.interactions

    assert final("amazon-beauty") == (22363, 12101, 198502)
    assert final("amazon-sports") == (35598, 18357, 296337)
    assert final("amazon-toys") == (19412, 11924, 167597)
    assert final("ml-1m") == (6040, 3416, 999611)
    raw = resolve("ml-1m").expected["raw"]
    assert (raw.users, raw.items, raw.interactions) == (6040, 3706, 1000209)
    raw = resolve("amazon2018-gift-cards-5core").expected["raw"]
    assert (raw.users, raw.items, raw.interactions) == (458, 148, 2972)
    raw = resolve("amazon2023-beauty-and-personal-care-0core").expected["raw"]
    assert (raw.users, raw.items, raw.interactions) == (11325787, 1028731, 23591312)


def test_aliases_name_their_settings() -> None:
    beauty = resolve("amazon-beauty")
    assert beauty.alias_of == "amazon2014-beauty-5core"
    assert [(s.step, s.mode) for s in beauty.steps] == [("kcore", "iterative")]
    assert list(beauty.splits) == ["loo"] and beauty.splits["loo"].protocol == "leave_one_out"
    sasrec = resolve("amazon-beauty@sasrec")
    assert sasrec.alias_of == "amazon2014-beauty"
    assert [(s.step, s.mode) for s in sasrec.steps] == [("kcore", "single_pass")]
    assert sasrec.sources[0].urls[0].endswith("/reviews_Beauty.json.gz")
    assert catalog()["amazon-beauty"].alias_of == "amazon2014-beauty-5core"


def test_checksums_from_urls_md() -> None:
    gift = resolve("amazon2018-gift-cards-5core")
    sources = {s.name: s for s in gift.sources}
    assert (
        sources["reviews"].sha256
        == "41e1f0e50d3c1c9d7d949fb6315944c8bde51ea6b7429a29fdd0d02cbc07ef25"
    )
    assert (
        sources["meta"].sha256 == "24ac90af3eb47d9c04458a61a44a76a882419190e027c6ec14ee0a993549c34a"
    )
    assert sources["meta"].optional
    assert resolve("amazon2018-books-5core").sources[0].trust_on_first_use
    ml = resolve("ml-100k").sources[0]
    assert ml.sha256 == "50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229"
    assert {m.name: m.sha256 for m in ml.members}["ml-100k/u.data"] == (
        "06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490"
    )
    assert resolve("ml-10m").sources[0].md5 == "ce571fd55effeba0271552578f2648bd"
    assert resolve("yelp").sources[0].manual
