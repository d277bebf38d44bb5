"""Fixtures for the exporter tests: small folders built in pure Python, and a reference history."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import polars as pl
import pytest

from recdata import schema as S
from recdata.dataset import DatasetTables, Manifest, SplitRecord, write_dataset

Row = tuple[str, str, int | None, float | None]  # user_id, item_id, seconds, rating


def sequence_rows(rows: Sequence[Row]) -> list[dict[str, Any]]:
    """Rows with indices (raw ids sorted, from 1) in sequence order (user, time, source order)."""
    users = {u: i for i, u in enumerate(sorted({r[0] for r in rows}), start=1)}
    items = {t: i for i, t in enumerate(sorted({r[1] for r in rows}), start=1)}
    keyed = sorted(
        range(len(rows)),
        key=lambda k: (users[rows[k][0]], rows[k][2] is None, rows[k][2] or 0, k),
    )
    out = []
    for position, k in enumerate(keyed):
        user, item, seconds, rating = rows[k]
        out.append(
            {
                "interaction_idx": position,
                "user_idx": users[user],
                "item_idx": items[item],
                "user_id": user,
                "item_id": item,
                "seconds": seconds,
                "rating": rating,
            }
        )
    return out


def loo_parts(seq: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Leave-one-out by hand: last -> test, second last -> valid; users with < 3 stay in train."""
    by_user: dict[int, list[dict[str, Any]]] = {}
    for row in seq:
        by_user.setdefault(row["user_idx"], []).append(row)
    parts: dict[str, list[dict[str, Any]]] = {"train": [], "valid": [], "test": []}
    for rows in by_user.values():
        if len(rows) < 3:
            parts["train"] += rows
        else:
            parts["train"] += rows[:-2]
            parts["valid"].append(rows[-2])
            parts["test"].append(rows[-1])
    return parts


def reference_history(parts: dict[str, list[dict[str, Any]]]) -> dict[int, list[int]]:
    """interaction_idx -> history item_idx: train rows see earlier train rows, others all earlier rows."""
    everything = sorted((r for p in parts.values() for r in p), key=lambda r: r["interaction_idx"])
    train_ids = {r["interaction_idx"] for r in parts["train"]}
    history: dict[int, list[int]] = {}
    for row in everything:
        earlier = [
            r
            for r in everything
            if r["user_idx"] == row["user_idx"] and r["interaction_idx"] < row["interaction_idx"]
        ]
        if row["interaction_idx"] in train_ids:
            earlier = [r for r in earlier if r["interaction_idx"] in train_ids]
        history[row["interaction_idx"]] = [r["item_idx"] for r in earlier]
    return history


def _frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            S.INTERACTION: [r["interaction_idx"] for r in rows],
            S.USER: [r["user_idx"] for r in rows],
            S.ITEM: [r["item_idx"] for r in rows],
            S.TIME: [None if r["seconds"] is None else r["seconds"] * 1000 for r in rows],
            S.RATING: [r["rating"] for r in rows],
        },
        schema={
            S.INTERACTION: pl.Int64,
            S.USER: pl.Int32,
            S.ITEM: pl.Int32,
            S.TIME: pl.Int64,
            S.RATING: pl.Float32,
        },
    ).with_columns(pl.col(S.TIME).cast(pl.Datetime("ms")).dt.replace_time_zone("UTC"))


def build_folder(
    path: Path,
    rows: Sequence[Row],
    *,
    titles: dict[str, str] | None = None,
    categories: dict[str, list[str]] | None = None,
    split: bool = True,
    history: bool = False,
    embeddings: dict[str, list[float]] | None = None,
) -> Path:
    """Write a valid dataset folder from raw rows (with an optional ``loo`` split and history)."""
    seq = sequence_rows(rows)
    items = sorted({r["item_id"]: r["item_idx"] for r in seq}.items(), key=lambda kv: kv[1])
    users = sorted({r["user_id"]: r["user_idx"] for r in seq}.items(), key=lambda kv: kv[1])
    item_table: dict[str, Any] = {S.ITEM: [i for _, i in items], S.ITEM_ID: [t for t, _ in items]}
    if titles is not None:
        item_table["title"] = [titles.get(t) for t, _ in items]
    if categories is not None:
        item_table["categories"] = [categories.get(t, []) for t, _ in items]
    splits: dict[str, dict[str, pl.DataFrame]] = {}
    records: dict[str, SplitRecord] = {}
    if split:
        parts = loo_parts(seq)
        hist = reference_history(parts)
        frames = {}
        for part, part_rows in parts.items():
            frame = _frame(sorted(part_rows, key=lambda r: r["interaction_idx"]))
            if history:
                frame = frame.with_columns(
                    pl.Series(
                        S.HISTORY, [hist[r] for r in frame[S.INTERACTION]], dtype=pl.List(pl.Int32)
                    )
                )
            frames[part] = frame
        splits["loo"] = frames
        records["loo"] = SplitRecord(
            protocol="leave_one_out", partition=True, ordered=True, history=history
        )
    features = {}
    if embeddings is not None:
        features["text-tiny"] = pl.DataFrame(
            {S.ITEM: [i for _, i in items], "embedding": [embeddings[t] for t, _ in items]}
        )
    tables = DatasetTables(
        interactions=_frame(seq),
        items=pl.DataFrame(item_table),
        users=pl.DataFrame({S.USER: [i for _, i in users], S.USER_ID: [u for u, _ in users]}),
        splits=splits,
        features=features,
    )
    manifest = Manifest(name="toy", default_split="loo" if split else None, splits=records)
    return write_dataset(path, tables, manifest)


TOY_ROWS: list[Row] = [
    ("u1", "B01", 100, 5.0),
    ("u1", "B02", 200, 3.0),
    ("u1", "B03", 300, 4.0),
    ("u1", "B04", 300, None),
    ("u2", "B02", 110, 4.0),
    ("u2", "B03", 210, 5.0),
    ("u2", "B05", 310, 1.0),
    ("u2", "B01", 410, 3.0),
    ("u3", "B01", 120, 2.0),
    ("u3", "B04", 220, 4.0),
    ("u3", "B05", 320, 5.0),
    ("u3", "B02", 420, 4.0),
    ("u3", "B06", 520, 1.0),
    ("u3", "B03", 620, 2.0),
    ("u4", "B03", 130, 3.0),
    ("u4", "B05", 230, 4.0),
]
TOY_TITLES = {
    "B01": "Alpha\tTab",
    "B02": '"Quoted" Beta',
    "B03": "Gamma\nNewline",
    "B04": "Delta, with comma",
    "B05": "Épsilon ünïcode",
    "B06": "Zeta",
}
TOY_CATEGORIES = {"B01": ["Beauty", "Skin Care"], "B02": ["Beauty"], "B05": ["Hair"], "B06": []}


@pytest.fixture(scope="session")
def folder_builder() -> Callable[..., Path]:
    """``build_folder`` as a fixture (session scope, so hypothesis tests may use it)."""
    return build_folder


@pytest.fixture(scope="session")
def kit() -> SimpleNamespace:
    """The helpers and toy data of this conftest (test modules cannot import a conftest)."""
    return SimpleNamespace(
        build_folder=build_folder,
        sequence_rows=sequence_rows,
        loo_parts=loo_parts,
        reference_history=reference_history,
        rows=TOY_ROWS,
        titles=TOY_TITLES,
        categories=TOY_CATEGORIES,
    )


@pytest.fixture
def toy(tmp_path: Path) -> Path:
    """A toy folder with awkward titles (tab, quote, newline, comma, unicode), categories and a loo split."""
    return build_folder(
        tmp_path / "toy",
        TOY_ROWS,
        titles=TOY_TITLES,
        categories=TOY_CATEGORIES,
        embeddings={t: [float(i), 0.5, -1.0] for i, t in enumerate(sorted(TOY_TITLES))},
    )
