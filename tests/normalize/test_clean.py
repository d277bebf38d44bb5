"""The shared HTML cleaner: invariant, idempotence, plain text untouched, polars == Python."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from recdata.normalize._clean import MARKUP, clean_html, clean_html_list, clean_html_value

PIECES = st.sampled_from(
    [
        "<b>",
        "</b>",
        "<br/>",
        '<span class="a-size-medium a-color-secondary"',
        "<div",
        "<",
        ">",
        "&amp;",
        "&lt;",
        "&gt;",
        "&lt;b&gt;",
        "&amp;lt;i&amp;gt;",
        "&#39;",
        "&#x3C;",
        "&#60;p",
        "&#",
        "&foo;",
        "&nbsp;",
        "&amp",
        "&",
        ";",
        "#",
        "a",
        "b",
        "Gift",
        " ",
        "\n",
        "\t",
        "\xa0",
        "é",
        "<3",
        "x<y",
    ]
)
MARKUP_TEXT = st.lists(PIECES | st.text(max_size=4), max_size=12).map("".join)
SETTINGS = settings(max_examples=200, deadline=None)


def _polars(values: list[str | None]) -> list[str | None]:
    frame = pl.DataFrame({"t": values}, schema={"t": pl.String})
    return frame.select(clean_html(pl.col("t")))["t"].to_list()


@SETTINGS
@given(MARKUP_TEXT)
def test_no_cleaned_value_holds_markup(text: str) -> None:
    out = clean_html_value(text)
    assert out is None or (not MARKUP.search(out) and out == out.strip(" ") and out != "")
    assert out is None or "  " not in out


@SETTINGS
@given(MARKUP_TEXT)
def test_cleaning_is_idempotent(text: str) -> None:
    once = clean_html_value(text)
    assert clean_html_value(once) == once


@SETTINGS
@given(st.lists(MARKUP_TEXT | st.none(), min_size=1, max_size=20))
def test_polars_expression_agrees_with_the_python_function(values: list[str | None]) -> None:
    assert _polars(values) == [clean_html_value(v) for v in values]


PLAIN = st.text(
    alphabet=st.characters(
        blacklist_characters="<&", blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp")
    ),
    min_size=1,
    max_size=30,
)


@SETTINGS
@given(st.lists(PLAIN, min_size=1, max_size=5).map(" ".join))
def test_plain_text_is_unchanged(text: str) -> None:
    assert clean_html_value(text) == text
    assert _polars([text]) == [text]


def test_known_values() -> None:
    cases = {
        '<span class="a-size-medium a-color-secondary"': None,
        "  ": None,
        "<br /><br />": None,
        " Maggiano&#39;s  Gift Card": "Maggiano's Gift Card",
        "Sam &amp; Max 101: Culture Shock": "Sam & Max 101: Culture Shock",
        "&lt;b&gt;bold&lt;/b&gt; text": "bold text",  # decoding never re-creates a tag
        "&amp;lt;i&amp;gt;x": "x",  # a doubly escaped tag too
        '<div class="aplus"> <br>Gift cards<br />never expire.</div>': "Gift cards never expire.",
        "AT&T": "AT&T",
        "Size <3 & up": "Size <3 & up",
        "1 <2 and 3> 0": "1 <2 and 3> 0",  # not a tag: no letter after <
        "a &foo; b": "a b",
        "Caf&eacute; &copy;2020": "Café ©2020",
        "five&#": "five#",
    }
    for raw, want in cases.items():
        assert clean_html_value(raw) == want, raw
    assert _polars(list(cases)) == list(cases.values())
    assert clean_html_value(None) is None


def test_lists_are_cleaned_per_element() -> None:
    frame = pl.DataFrame({"l": [["<b>Gift</b>", "&amp;", "<br>"], ["<br>"], None, []]})
    out = frame.select(clean_html_list(pl.col("l")))["l"].to_list()
    assert out == [["Gift", "&"], None, None, None]
