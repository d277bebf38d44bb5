"""Cold-start split: whole users (or items) held out for valid and test, seeded."""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from recdata._types import ColdEntity
from recdata.errors import TransformError
from recdata.schema import ITEM, USER
from recdata.splits._split import TEST, TRAIN, VALID, Split, check_ratios, make_split
from recdata.transforms._codes import encode


def cold_start(
    lf: pl.LazyFrame,
    *,
    entity: ColdEntity = "user",
    ratios: tuple[float, float, float] = (0.8, 0.1, 0.1),
    seed: int = 0,
    user: str = USER,
    item: str = ITEM,
) -> Split:
    """Assign whole users (``entity="user"``) or items to train/valid/test.

    The distinct entities, sorted by value, are permuted with ``numpy.random.default_rng(seed)``;
    the first ``floor(E*r1)`` go to train, up to ``floor(E*(r1+r2))`` to valid, the rest to
    test. Every row follows its entity (a partition); valid/test entities never occur in train.
    """
    r = check_ratios(ratios, "cold_start")
    if entity not in ("user", "item"):
        raise TransformError(f"cold_start: entity={entity!r} is not one of user, item")
    df = lf.collect()
    col = user if entity == "user" else item
    enc = encode(df[col])
    k = enc.size
    by_value = enc.values.arg_sort(nulls_last=False).to_numpy()
    ranked = by_value[np.random.default_rng(seed).permutation(k)]
    slot = np.empty(k, dtype=np.int64)
    slot[ranked] = np.arange(k)
    b1 = int(math.floor(k * r[0] + 1e-9))
    b2 = max(b1, int(math.floor(k * (r[0] + r[1]) + 1e-9)))
    ent_part = np.where(slot < b1, TRAIN, np.where(slot < b2, VALID, TEST)).astype(np.int8)
    part = ent_part[enc.codes]
    params = {"entity": entity, "ratios": list(r), "seed": seed}
    counts = {
        f"train_{entity}s": b1,
        f"valid_{entity}s": b2 - b1,
        f"test_{entity}s": k - b2,
    }
    return make_split(
        df,
        part,
        protocol="cold_start",
        params=params,
        user=user,
        item=item,
        ordered=False,
        counts=counts,
        ucodes=enc.codes if entity == "user" else None,
    )
