"""Render one text per item from a template over item columns, vectorised in polars.

A template is lines of literal text with ``{column}`` placeholders. Each field is cleaned
with the shared ``clean: html`` cleaner (tags stripped, entities decoded, whitespace
collapsed: :mod:`recdata.normalize._clean`); lists are joined with ", "
after dropping empty and repeated entries; ``price`` written with two decimals). A line is
dropped when one of its fields is missing or empty, so the default template suits any
items table. The text is cut to ``max_tokens`` whitespace-separated tokens.
"""

from __future__ import annotations

import string

import polars as pl

from recdata import schema as S
from recdata.errors import FeatureError
from recdata.normalize._clean import clean_html

_IDENTITY_COLUMNS = frozenset({S.ITEM, S.ITEM_ID})


def template_fields(template: str) -> list[str]:
    """The column names a template refers to, in order of first use."""
    fields: list[str] = []
    for line in template.splitlines():
        for _, name, _, _ in _parse(line, template):
            if name is not None and name not in fields:
                fields.append(name)
    return fields


def _parse(line: str, template: str) -> list[tuple[str, str | None, str | None, str | None]]:
    try:
        parts = list(string.Formatter().parse(line))
    except ValueError as exc:
        raise FeatureError(f"item text template {template!r}: {exc}") from exc
    for _, name, spec, conversion in parts:
        if name is not None and (not name or spec or conversion):
            raise FeatureError(
                f"item text template {template!r}: placeholders are plain {{column}} names, got {{{name}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}}"
            )
    return parts


def has_text(items_schema: pl.Schema | dict[str, pl.DataType], template: str) -> bool:
    """True when the items have at least one column the template uses (besides ids)."""
    return any(f in items_schema and f not in _IDENTITY_COLUMNS for f in template_fields(template))


def clean_text(expr: pl.Expr) -> pl.Expr:
    """The shared ``clean: html`` cleaner (:func:`recdata.normalize.clean_html`)."""
    return clean_html(expr)


def _field(name: str, dtype: pl.DataType | None) -> pl.Expr:
    """A cleaned string expression of one item column (null when absent or empty)."""
    if dtype is None or dtype == pl.Null:
        return pl.lit(None, dtype=pl.String)
    col = pl.col(name)
    if dtype == pl.String:
        return clean_text(col)
    if isinstance(dtype, (pl.List, pl.Array)):
        inner = dtype.inner
        if isinstance(dtype, pl.Array):
            col = col.arr.to_list()
        elements = col.list.eval(
            clean_text(pl.element().cast(pl.String)) if inner != pl.Null else pl.element()
        )
        joined = elements.list.drop_nulls().list.unique(maintain_order=True).list.join(", ")
        return pl.when(joined.str.len_chars() > 0).then(joined)
    if name == "price" and dtype.is_numeric():
        cents = (col.cast(pl.Float64) * 100).round(0).cast(pl.Int64)
        text = pl.concat_str(
            [
                (cents // 100).cast(pl.String),
                pl.lit("."),
                (cents % 100).cast(pl.String).str.zfill(2),
            ]
        )
        return pl.when(col.is_not_null() & col.is_finite()).then(text)
    if isinstance(dtype, pl.Struct):
        return clean_text(col.struct.json_encode())
    if dtype.is_numeric() or dtype in (pl.Boolean, pl.Date, pl.Datetime, pl.Categorical, pl.Enum):
        return col.cast(pl.String)
    raise FeatureError(
        f"item text template: column {name!r} has type {dtype}, which cannot be rendered as text"
    )


def render_expr(
    template: str, schema: pl.Schema | dict[str, pl.DataType], *, max_tokens: int | None
) -> pl.Expr:
    """The polars expression giving each item's text (null when every line is dropped)."""
    lines: list[pl.Expr] = []
    for line in template.splitlines():
        pieces: list[pl.Expr] = []
        for literal, name, _, _ in _parse(line, template):
            if literal:
                pieces.append(pl.lit(literal))
            if name is not None:
                pieces.append(_field(name, schema.get(name)))
        if pieces:
            lines.append(pl.concat_str(pieces) if len(pieces) > 1 else pieces[0])
    if not lines:
        raise FeatureError(f"item text template {template!r} is empty")
    text = pl.concat_str(lines, separator="\n", ignore_nulls=True).str.strip_chars()
    if max_tokens is not None:
        if max_tokens < 1:
            raise FeatureError(f"max_tokens must be >= 1, got {max_tokens}")
        head = text.str.extract(rf"^(\s*\S+(?:\s+\S+){{{max_tokens - 1}}})", 1)
        text = pl.coalesce(head, text)
    return pl.when(text.str.len_chars() > 0).then(text)


def render_item_text(
    items: pl.LazyFrame | pl.DataFrame,
    *,
    template: str,
    max_tokens: int | None = 256,
) -> pl.DataFrame:
    """``(item_idx, text)`` for every item, sorted by item_idx; text is null for items without any.

    Parameters
    ----------
    items
        The items table (``item_idx`` plus any text-bearing columns).
    template
        Lines with ``{column}`` placeholders; see the module docstring for the rules.
    max_tokens
        Cut each text to this many whitespace-separated tokens (None: no cut).
    """
    lf = items.lazy()
    schema = lf.collect_schema()
    if S.ITEM not in schema:
        raise FeatureError(f"items: missing column {S.ITEM!r}; has {schema.names()}")
    expr = render_expr(template, schema, max_tokens=max_tokens)
    return lf.select(pl.col(S.ITEM).cast(pl.Int32), expr.alias("text")).sort(S.ITEM).collect()
