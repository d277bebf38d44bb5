"""JSONL instruction records for LLM recommenders: a user's history as item titles -> next item.

Each row of a split part with a non-empty history becomes one record (Alpaca-style
``instruction``/``input``/``output`` plus ids). The ``candidates`` template adds a candidate
list: the target and ``n_candidates - 1`` negatives drawn with a seeded generator from the
items the user never interacted with before the target (nor the target itself).
"""

from __future__ import annotations

import dataclasses
import string
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from recdata import schema as S
from recdata._types import SPLIT_PARTS
from recdata.dataset import Dataset
from recdata.errors import ExportError, UsageError
from recdata.exporters._common import ExportResult, split_with_history, with_raw_ids


@dataclass(frozen=True)
class PromptTemplate:
    """Three format strings over ``{history}``, ``{candidates}``, ``{target}``, ``{n_history}``, ``{n_candidates}``."""

    instruction: str
    input: str
    output: str
    candidates: bool = False
    """True when the template shows a candidate list (negatives are sampled)."""


TEMPLATES: dict[str, PromptTemplate] = {
    "next_item": PromptTemplate(
        instruction=(
            "Here are the items a user interacted with, oldest first. "
            "Predict the next item the user will interact with. Answer with its title only."
        ),
        input="User history:\n{history}",
        output="{target}",
    ),
    "candidates": PromptTemplate(
        instruction=(
            "Here are the items a user interacted with, oldest first, and {n_candidates} candidate "
            "items. Choose the candidate the user will interact with next. Answer with its title only."
        ),
        input="User history:\n{history}\n\nCandidates:\n{candidates}",
        output="{target}",
        candidates=True,
    ),
}
"""Prompt templates by name; ``export(..., to="prompts", template=NAME)``."""

_MAX_ROUNDS = 64


def _render(text: str, values: dict[str, pl.Expr]) -> pl.Expr:
    """A format string with named fields as a polars string expression."""
    pieces: list[pl.Expr] = []
    for literal, field, _, _ in string.Formatter().parse(text):
        if literal:
            pieces.append(pl.lit(literal))
        if field is not None:
            if field not in values:
                raise UsageError(f"template field {{{field}}} unknown; use one of {sorted(values)}")
            pieces.append(values[field].cast(pl.String))
    return pl.concat_str(pieces) if pieces else pl.lit("")


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    values = np.sort(values)
    return values[np.r_[True, values[1:] != values[:-1]]] if values.size else values


def _contains(sorted_keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Elementwise membership of ``values`` in the sorted array ``sorted_keys``."""
    if sorted_keys.size == 0:
        return np.zeros(values.shape, dtype=bool)
    at = np.minimum(np.searchsorted(sorted_keys, values), sorted_keys.size - 1)
    return sorted_keys[at] == values


def _first_occurrences(values: np.ndarray) -> np.ndarray:
    """True where an element of the flat array is the first of its value."""
    order = np.argsort(values, kind="stable")
    ranked = values[order]
    first_sorted = np.r_[True, ranked[1:] != ranked[:-1]]
    mask = np.empty(values.size, dtype=bool)
    mask[order] = first_sorted
    return mask


def sample_negatives(
    exclude: list[list[int]] | pl.Series, n_items: int, k: int, rng: np.random.Generator
) -> np.ndarray:
    """``k`` distinct items per row from 1..n_items, none in that row's ``exclude`` list.

    Rejection sampling in rounds over all pending rows at once; deterministic for a generator.
    """
    exclude = pl.Series(exclude) if not isinstance(exclude, pl.Series) else exclude
    rows = exclude.len()
    out = np.zeros((rows, k), dtype=np.int64)
    if rows == 0 or k == 0:
        return out
    width = np.int64(n_items + 1)
    lengths = exclude.list.drop_nulls().list.len().to_numpy().astype(np.int64)
    # empty lists explode to a null row in polars 1.x and to nothing in 2.x: drop nulls either way
    flat = exclude.explode().drop_nulls().cast(pl.Int64).to_numpy()
    owner = np.repeat(np.arange(rows, dtype=np.int64), lengths)
    keys = _sorted_unique(owner * width + flat)
    distinct = np.bincount(keys // width, minlength=rows)
    short = np.flatnonzero(n_items - distinct < k)
    if short.size:
        raise ExportError(
            f"prompts: row {short[0]} has only {n_items - distinct[short[0]]} item(s) outside its "
            f"history and target, {k} negatives needed; lower n_candidates"
        )
    filled = np.zeros(rows, dtype=np.int64)
    pending = np.arange(rows, dtype=np.int64)
    for _ in range(_MAX_ROUNDS):
        if pending.size == 0:
            return out
        draws = rng.integers(1, n_items + 1, size=(pending.size, 2 * k + 8), dtype=np.int64)
        draw_keys = pending[:, None] * width + draws
        ok = ~_contains(keys, draw_keys)
        ok &= _first_occurrences(draw_keys.ravel()).reshape(draw_keys.shape)
        need = k - filled[pending]
        rank = np.cumsum(ok, axis=1)
        take = ok & (rank <= need[:, None])
        r, c = np.nonzero(take)
        slot = filled[pending][r] + rank[r, c] - 1
        out[pending[r], slot] = draws[r, c]
        filled[pending] += take.sum(axis=1)
        keys = np.sort(np.concatenate([keys, draw_keys[take]]))
        pending = pending[filled[pending] < k]
    for row in pending:  # pathological rows only (nearly every item excluded): exact draw
        banned = keys[(keys // width) == row] % width
        pool = np.setdiff1d(np.arange(1, n_items + 1, dtype=np.int64), banned)
        out[row, filled[row] :] = rng.choice(pool, size=k - filled[row], replace=False)
    return out


def _numbered(column: str, idx: pl.Series, titles: pl.Series) -> pl.Expr:
    """Each row's list of item_idx as ``1. title`` lines joined by newlines."""
    line = pl.format(
        "{}. {}",
        pl.int_range(1, pl.len() + 1),
        pl.element().replace_strict(idx, titles, return_dtype=pl.String),
    )
    return pl.col(column).list.eval(line).list.join("\n")


def export_prompts(
    ds: Dataset,
    out: Path,
    *,
    split: str | None = None,
    template: str = "next_item",
    parts: list[str] | tuple[str, ...] = SPLIT_PARTS,
    history_cap: int | None = 20,
    n_candidates: int = 20,
    seed: int = 0,
    items: str = "title",
    sid_method: str | None = None,
) -> ExportResult:
    """Write ``<part>.jsonl`` instruction records for each requested split part.

    Parameters
    ----------
    template
        A name in :data:`TEMPLATES` (``next_item``, ``candidates``).
    history_cap
        Most recent items shown in the prompt (None: all). Negatives avoid the whole history.
    n_candidates, seed
        Candidate list size (target included) and the seed of the negatives and their order.
    items
        How items are written: ``title`` (the raw item_id when an item has no title) or ``sid``,
        the item's semantic-ID tokens joined (``<a_12><b_7><c_3><d_0>``, as LC-Rec writes them).
    sid_method
        With ``items="sid"``: which semantic IDs of the folder (default: the only or first one).
    """
    if items not in ("title", "sid"):
        raise UsageError(f"unknown items option {items!r}; use title or sid")
    if template not in TEMPLATES:
        raise UsageError(f"unknown prompt template {template!r}; use one of {sorted(TEMPLATES)}")
    parts = [parts] if isinstance(parts, str) else list(parts)
    bad = [p for p in parts if p not in SPLIT_PARTS]
    if bad:
        raise UsageError(f"unknown split part(s) {bad}; use train, valid, test")
    if n_candidates < 1:
        raise UsageError(f"n_candidates must be >= 1, got {n_candidates}")
    tpl = TEMPLATES[template]
    if items == "sid":  # the answer is the item's semantic ID, not its title
        tpl = dataclasses.replace(
            tpl, instruction=tpl.instruction.replace("its title only", "its semantic ID only")
        )
    split_name, frames = split_with_history(ds, split, cap=None)
    if items == "sid":
        titles, sid_method = _sid_titles(ds, sid_method)
    else:
        names = ds.items.collect_schema().names()
        title = pl.col("title") if "title" in names else pl.lit(None, pl.String)
        titles = ds.items.select(
            S.ITEM, pl.coalesce(title, pl.col(S.ITEM_ID)).alias("_title")
        ).collect()
    max_item = int(titles[S.ITEM].max() or 0)
    for number, part in enumerate(SPLIT_PARTS):
        if part not in parts:
            continue
        frame = (
            with_raw_ids(ds, frames[part])
            .filter(pl.col(S.HISTORY).list.len() > 0)
            .join(titles.lazy(), on=S.ITEM, how="left", maintain_order="left")
            .collect()
        )
        shown = (
            pl.col(S.HISTORY).list.tail(history_cap)
            if history_cap is not None
            else pl.col(S.HISTORY)
        )
        frame = frame.with_columns(shown.alias("_shown"))
        frame = frame.with_columns(
            _numbered("_shown", titles[S.ITEM], titles["_title"]).alias("_history")
        )
        values: dict[str, pl.Expr] = {
            "history": pl.col("_history"),
            "target": pl.col("_title"),
            "n_history": pl.col("_shown").list.len(),
            "n_candidates": pl.lit(n_candidates),
            "candidates": pl.lit(""),
        }
        extra: list[pl.Expr] = []
        if tpl.candidates:
            rng = np.random.default_rng([seed, number])
            exclude = frame.select(pl.concat_list(S.HISTORY, pl.col(S.ITEM)).alias("x"))["x"]
            left = max_item - exclude.list.n_unique()
            short = frame.with_columns(left.alias("_left")).filter(
                pl.col("_left") < n_candidates - 1
            )
            if short.height:
                raise ExportError(
                    f"prompts: user {short[S.USER_ID][0]!r} ({part} row, interaction_idx "
                    f"{short[S.INTERACTION][0]}) has only {short['_left'][0]} item(s) outside its history "
                    f"and target, n_candidates - 1 = {n_candidates - 1} negatives needed; lower n_candidates"
                )
            negatives = sample_negatives(exclude, max_item, n_candidates - 1, rng)
            position = rng.integers(0, n_candidates, size=frame.height)
            cols = np.arange(n_candidates)[None, :]
            shifted = np.clip(cols - (cols > position[:, None]), 0, max(n_candidates - 2, 0))
            neg_part = (
                np.take_along_axis(negatives, shifted, axis=1)
                if n_candidates > 1
                else np.zeros((frame.height, 1), np.int64)
            )
            target = frame[S.ITEM].to_numpy().astype(np.int64)[:, None]
            cand = np.where(cols == position[:, None], target, neg_part).astype(np.int32)
            frame = frame.with_columns(pl.Series("_cand", cand).cast(pl.List(pl.Int32)))
            frame = frame.with_columns(
                _numbered("_cand", titles[S.ITEM], titles["_title"]).alias("_candidates")
            )
            values["candidates"] = pl.col("_candidates")
            extra.append(pl.col("_cand").alias("candidate_item_idx"))
        records = frame.select(
            pl.format("{}-{}", pl.lit(part), S.INTERACTION).alias("id"),
            pl.lit(template).alias("template"),
            pl.lit(part).alias("split"),
            pl.col(S.USER).alias("user_idx"),
            pl.col(S.USER_ID).alias("user_id"),
            _render(tpl.instruction, values).alias("instruction"),
            _render(tpl.input, values).alias("input"),
            _render(tpl.output, values).alias("output"),
            pl.col(S.ITEM).alias("target_item_idx"),
            pl.col(S.ITEM_ID).alias("target_item_id"),
            pl.col("_shown").alias("history_item_idx"),
            *extra,
        )
        records.write_ndjson(out / f"{part}.jsonl")
    return ExportResult(
        ids="user_idx/item_idx",
        index_base=1,
        split=split_name,
        conversions=[
            "one record per split row with a non-empty history (train rows: earlier train items; "
            "valid/test rows: all earlier items), history capped to the most recent history_cap",
            "items are shown by title (the raw item_id when an item has no title)"
            if items == "title"
            else f"items are shown as their semantic-ID tokens ({sid_method}), levels joined: <a_x><b_y>...",
            "candidates: target + n_candidates - 1 negatives never in the user's earlier items, "
            "sampled and placed with numpy.random.default_rng([seed, part number])",
        ],
        options={
            "template": template,
            "parts": list(parts),
            "history_cap": history_cap,
            "n_candidates": n_candidates,
            "seed": seed,
            "items": items,
            "sid_method": sid_method,
        },
    )


def _sid_titles(ds: Dataset, method: str | None) -> tuple[pl.DataFrame, str]:
    """(``item_idx``, ``_title`` = the item's semantic-ID tokens joined) and the method used."""
    from recdata.exporters._semantic_ids import level_tokens, semantic_id_table

    method, frame = semantic_id_table(ds, method)
    length = int(frame["codes"].list.len().max())
    titles = frame.select(
        S.ITEM, level_tokens(pl.col("codes"), length).list.join("").alias("_title")
    )
    return titles, method
