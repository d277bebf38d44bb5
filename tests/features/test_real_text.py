"""Real data: MovieLens-100K titles+genres and Amazon 2018 Gift Cards metadata, embedded offline."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from recdata import schema as S
from recdata.features import FeaturesSpec, GraphsSpec, TextSpec, compute_features, render_item_text

GENRES = [
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
]
SERIES = {
    "Star Wars": [50, 172, 181],
    "Godfather": [127, 187],
    "Die Hard": [144, 226, 550],
    "Alien": [176, 183, 343, 665],
    "Batman": [29, 231, 254, 403],
    "Star Trek": [222, 227, 228, 229, 230, 380, 449, 450],
}


def ml100k_items(shared: Path) -> pl.DataFrame:
    raw = pl.read_csv(
        shared / "ml-100k" / "u.item",
        separator="|",
        has_header=False,
        encoding="latin-1",
        quote_char=None,
        new_columns=["movie_id", "title", "release", "video", "url", *GENRES],
    )
    return raw.select(
        pl.col("movie_id").cast(pl.Int32).alias(S.ITEM),
        pl.col("movie_id").cast(pl.String).alias(S.ITEM_ID),
        "title",
        pl.concat_list([pl.when(pl.col(g) == 1).then(pl.lit(g)) for g in GENRES])
        .list.drop_nulls()
        .alias("categories"),
    )


@pytest.fixture(scope="module")
def ml100k_embeddings(
    shared_datasets: Path, minilm: str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[pl.DataFrame, pl.DataFrame]:
    items = ml100k_items(shared_datasets)
    out = compute_features(
        items,
        None,
        features=FeaturesSpec(text=TextSpec(model=minilm)),
        graphs=GraphsSpec(user_item=None, item_item=None),
        split=None,
        progress=False,
        cache_dir=tmp_path_factory.mktemp("cache"),
    )
    return out.features["item_text"], out.features["text-all-minilm-l6-v2"]


def test_ml100k_texts(ml100k_embeddings: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    texts, _ = ml100k_embeddings
    assert texts.height == 1682 and texts["text"].null_count() == 0
    assert texts.row(0) == (1, "Toy Story (1995)\nCategories: Animation, Children's, Comedy")


def test_ml100k_series_are_neighbours(ml100k_embeddings: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    _, emb = ml100k_embeddings
    assert emb.height == 1682 and emb[S.ITEM].to_list() == list(range(1, 1683))
    assert emb.schema["embedding"] == pl.Array(pl.Float32, 384)
    matrix = emb["embedding"].to_numpy()
    np.testing.assert_allclose(np.linalg.norm(matrix, axis=1), 1.0, rtol=1e-4)
    sim = matrix @ matrix.T
    rng = np.random.default_rng(0)
    for name, ids in SERIES.items():
        rows = [i - 1 for i in ids]
        for a in rows:
            others = np.delete(sim[a], a)
            p95 = np.percentile(others, 95)
            random_mean = sim[a, rng.choice(1682, size=200, replace=False)].mean()
            for b in rows:
                if b != a:
                    assert sim[a, b] > p95, (
                        f"{name}: {a + 1} vs {b + 1} {sim[a, b]:.3f} <= p95 {p95:.3f}"
                    )
                    assert sim[a, b] > random_mean + 0.2


def _gift_cards(shared: Path) -> pl.DataFrame:
    with gzip.open(shared / "amazon-2018" / "meta_Gift_Cards.json.gz", "rb") as handle:
        raw = pl.read_ndjson(io.BytesIO(handle.read()), infer_schema_length=None)
    price = pl.col("price").str.replace_all(r"[$,]", "").cast(pl.Float64, strict=False)
    return raw.select(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int32).alias(S.ITEM),
        pl.col("asin").alias(S.ITEM_ID),
        "title",
        pl.col("brand"),
        pl.col("category").alias("categories"),
        pl.col("description").list.join(" ").alias("description"),
        price.alias("price"),
    )


def test_gift_cards_rendered_and_embedded(
    shared_datasets: Path, minilm: str, tmp_path: Path
) -> None:
    items = _gift_cards(shared_datasets)
    assert items.height == 1547
    raw_html = items.filter(pl.col("description").str.contains("<[a-zA-Z/][^>]*>")).height
    assert raw_html > 0  # the source does hold HTML
    texts = render_item_text(items, template=TextSpec().template, max_tokens=48)
    rendered = texts["text"].drop_nulls()
    assert rendered.len() == 1547
    assert not rendered.str.contains("<[a-zA-Z/][^>]*>").any()
    assert not rendered.str.contains("&amp;|&nbsp;|  |\t").any()
    assert rendered.str.split(" ").list.len().max() <= 48 + 8  # newlines join tokens too
    assert (rendered.str.extract_all(r"\S+").list.len() <= 48).all()
    first = texts.filter(pl.col(S.ITEM) == 1)["text"][0]
    assert first.startswith(
        "Serendipity 3 $100.00 Gift Card\nBrand: Serendipity 3\nCategories: Gift Cards\n"
    )
    with_price = items.filter(pl.col("price").is_not_null()).head(1)
    assert (
        f"Price: {with_price['price'][0]:.2f}"
        in render_item_text(with_price, template=TextSpec().template)["text"][0]
    )
    # embed the first 400 listings (all 1,547 would take ~30 s on 2 cores)
    spec = FeaturesSpec(text=TextSpec(model=minilm, max_tokens=48, batch_size=64))
    subset = items.head(400)
    out = compute_features(
        subset,
        None,
        features=spec,
        graphs=GraphsSpec(user_item=None, item_item=None),
        split=None,
        progress=False,
        cache_dir=tmp_path / "cache",
    )
    emb = out.features["text-all-minilm-l6-v2"]
    assert emb.height == 400 and emb["embedding"].null_count() == 0
    assert not np.isnan(emb["embedding"].to_numpy()).any()
    record = out.feature_records["features/text-all-minilm-l6-v2.parquet"]
    assert record.dim == 384 and record.normalized and record.template == spec.text.template
    assert record.details["distinct_texts"] < 400  # repeated listings are encoded once
    # listings of one brand are nearer each other than to other brands' listings
    matrix = emb["embedding"].to_numpy()
    brands = subset["brand"].to_list()
    sim = matrix @ matrix.T
    same = [
        sim[a, b]
        for a in range(400)
        for b in range(a + 1, 400)
        if brands[a] and brands[a] == brands[b]
    ]
    other = [
        sim[a, b]
        for a in range(400)
        for b in range(a + 1, 400)
        if brands[a] and brands[b] and brands[a] != brands[b]
    ]
    assert np.mean(same) > np.mean(other) + 0.1
