"""The one HTML text cleaner (``clean: html``): tags stripped, entities decoded, whitespace collapsed.

Two forms with identical results: :func:`clean_html_value` (plain Python, one ``str``; what a
Spark UDF calls) and :func:`clean_html` (a polars expression: tags are stripped with regexes over
the whole column, and only the distinct values still holding a ``&`` go through the Python
function for the entity decode).

The rule, applied to a fixed point so that decoding never re-creates markup:

1. every tag (``<`` then a letter, ``/``, ``!`` or ``?``, up to the next ``>``) becomes a
   space; such a ``<`` with no closing ``>`` (an unterminated fragment such as
   ``<span class="a-size-medium"``) is cut with the rest of the value; other ``<`` stay
   (``<3``, ``x < y``);
2. entities are decoded with :func:`html.unescape` (every HTML5 named and numeric entity);
3. when decoding changes nothing, an entity-shaped sequence left (``&foo;``, undecodable) is
   removed and ``&#`` becomes ``#``;

steps 1-3 repeat until the value no longer changes (each pass shortens it, so this ends), so
``&lt;b&gt;`` decodes to ``<b>`` and is then stripped. Finally whitespace runs become one space,
the ends are trimmed, and an empty result is null. No cleaned value matches
``<[a-zA-Z/]|&[a-z]+;|&#``.
"""

from __future__ import annotations

import html
import re

import polars as pl

# the same patterns serve Python's re and polars' (Rust) regex engine
_TAG = r"<[a-zA-Z/!?][^>]*>"
_OPEN_FRAGMENT = r"<[a-zA-Z/!?][^>]*$"
_UNKNOWN_ENTITY = r"&[a-zA-Z][a-zA-Z0-9]*;"
_WHITESPACE = (
    "[ \t\n\r\f\v\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+"
)

_TAG_RE = re.compile(_TAG)
_OPEN_FRAGMENT_RE = re.compile(_OPEN_FRAGMENT)
_UNKNOWN_ENTITY_RE = re.compile(_UNKNOWN_ENTITY)
_WHITESPACE_RE = re.compile(_WHITESPACE)

MARKUP = re.compile(r"<[a-zA-Z/]|&[a-z]+;|&#")
"""What no cleaned value contains (tests and coverage checks use it)."""


def _strip_tags(value: str) -> str:
    return _OPEN_FRAGMENT_RE.sub("", _TAG_RE.sub(" ", value))


def clean_html_value(value: str | None) -> str | None:
    """Clean one string (None stays None; only markup or whitespace gives None)."""
    if value is None:
        return None
    previous = None
    while value != previous:
        previous = value
        value = _strip_tags(value)
        if "&" in value:
            decoded = html.unescape(value)
            if decoded == value:  # only undecodable entity-shaped sequences are left
                decoded = _UNKNOWN_ENTITY_RE.sub("", value).replace("&#", "#")
            value = decoded
    value = _WHITESPACE_RE.sub(" ", value).strip(" ")
    return value or None


def _decode_batch(values: pl.Series) -> pl.Series:
    """Run :func:`clean_html_value` on the distinct values holding a ``&``; others pass through."""
    todo = values.filter(values.str.contains("&", literal=True)).unique()
    if todo.is_empty():
        return values
    cleaned = pl.Series([clean_html_value(v) for v in todo.to_list()], dtype=pl.String)
    return values.replace(todo, cleaned)


def clean_html(expr: pl.Expr) -> pl.Expr:
    """The polars form of :func:`clean_html_value` for a String expression."""
    stripped = expr.str.replace_all(_TAG, " ").str.replace_all(_OPEN_FRAGMENT, "")
    decoded = stripped.map_batches(_decode_batch, return_dtype=pl.String, is_elementwise=True)
    out = decoded.str.replace_all(_WHITESPACE, " ").str.strip_chars(" ")
    return pl.when(out.str.len_chars() > 0).then(out)


def clean_html_list(expr: pl.Expr) -> pl.Expr:
    """Clean every element of a list of strings; null elements are dropped, an empty list is null."""
    out = expr.list.eval(clean_html(pl.element())).list.drop_nulls()
    return pl.when(out.list.len() > 0).then(out)


__all__ = ["MARKUP", "clean_html", "clean_html_list", "clean_html_value"]
