"""Item text rendering: template lines, cleaning, lists, price, truncation; spec parsing."""

from __future__ import annotations

import html
import re

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from recdata import schema as S
from recdata.errors import FeatureError
from recdata.features import (
    DEFAULT_TEMPLATE,
    FeaturesSpec,
    GraphsSpec,
    TextSpec,
    model_key,
    render_item_text,
    template_fields,
)


def render(
    items: dict, template: str = DEFAULT_TEMPLATE, max_tokens: int | None = 256
) -> list[str | None]:
    frame = pl.DataFrame({S.ITEM: list(range(1, len(next(iter(items.values()))) + 1)), **items})
    return render_item_text(frame, template=template, max_tokens=max_tokens)["text"].to_list()


def test_default_template_lines() -> None:
    texts = render(
        {
            "title": ["<b>Deluxe</b> Mug &amp; Spoon", "  Plain  ", None],
            "brand": ["ACME", None, None],
            "categories": [["Home", "Kitchen", "Home", " "], [], None],
            "description": ["<p>Holds<br/>tea.</p>\n\n<ul><li>12&nbsp;oz</li></ul>", None, "   "],
            "price": [12.5, None, 3.0],
        }
    )
    assert texts == [
        "Deluxe Mug & Spoon\nBrand: ACME\nCategories: Home, Kitchen\nHolds tea. 12 oz\nPrice: 12.50",
        "Plain",
        "Price: 3.00",
    ]


def test_missing_columns_and_empty_items() -> None:
    assert render({"title": ["A", ""]}) == ["A", None]
    assert template_fields(DEFAULT_TEMPLATE) == [
        "title",
        "brand",
        "categories",
        "description",
        "price",
    ]
    assert render({"title": ["x"], "year": [1999]}, template="{title} ({year})\n{genre}") == [
        "x (1999)"
    ]
    # a line is dropped when any of its fields is missing
    assert render({"title": ["x"], "year": [None]}, template="{title} ({year})\nT: {title}") == [
        "T: x"
    ]


def test_template_errors() -> None:
    with pytest.raises(FeatureError, match="plain \\{column\\}"):
        render({"title": ["x"]}, template="{title!r}")
    with pytest.raises(FeatureError, match="plain"):
        render({"title": ["x"]}, template="{}")
    with pytest.raises(FeatureError, match="cannot be rendered"):
        render({"blob": [b"x"]}, template="{blob}")


def test_other_types() -> None:
    texts = render(
        {"n": [3], "ok": [True], "attrs": [{"color": "red", "size": 2}], "tags": [[1, 2]]},
        template="{n} {ok}\n{attrs}\n{tags}",
    )
    assert texts == ['3 true\n{"color":"red","size":2}\n1, 2']


def _reference(title: str, max_tokens: int) -> str | None:
    text = re.sub(r"<[a-zA-Z/!?][^>]*>", " ", title)
    text = re.sub(r"<[a-zA-Z/!?][^>]*$", "", text)  # an unterminated tag is cut to the end
    text = html.unescape(text) if "&" in text else text
    text = " ".join(text.split())
    words = text.split(" ")[:max_tokens] if text else []
    return " ".join(words) or None


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(["word", "two", "<i>", "</i>", " ", "\n", "\t", "&amp;", "é", "x<y"]),
        max_size=30,
    ),
    st.integers(1, 8),
)
def test_clean_and_truncate_match_reference(pieces: list[str], max_tokens: int) -> None:
    title = "".join(pieces)
    assert render({"title": [title]}, template="{title}", max_tokens=max_tokens) == [
        _reference(title, max_tokens)
    ]


def test_specs() -> None:
    assert FeaturesSpec().text == TextSpec() and FeaturesSpec().image is None
    graphs = GraphsSpec.model_validate(
        {"user_item": False, "item_item": {"window": 3, "top_k": 5}, "item_knn": True}
    )
    assert graphs.user_item is None and graphs.item_item.window == 3 and graphs.item_knn.k == 10
    with pytest.raises(ValidationError):
        TextSpec.model_validate({"modle": "x"})
    with pytest.raises(ValidationError):
        GraphsSpec.model_validate({"item_item": {"window": 0}})


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("all-MiniLM-L6-v2", "all-minilm-l6-v2"),
        ("sentence-transformers/all-MiniLM-L6-v2", "all-minilm-l6-v2"),
        ("clip-ViT-B-32", "clip-vit-b-32"),
        ("/models/My_Model v2/", "my-model-v2"),
        ("BAAI/bge-small-en-v1.5", "bge-small-en-v1.5"),
    ],
)
def test_model_key(name: str, key: str) -> None:
    assert model_key(name) == key


def test_import_is_light() -> None:
    import subprocess
    import sys

    code = (
        "import sys, recdata.features, recdata.graphs, recdata.cli.features;"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers', 'PIL', 'scipy', 'networkx')"
        " if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
