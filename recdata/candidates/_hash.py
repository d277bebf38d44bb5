"""A counter-based generator: splitmix64 over numpy uint64 arrays, keyed by what is drawn.

Every draw is a pure function of (seed, protocol, part, interaction_idx, attempt, slot), so the
draws do not depend on chunking, thread count or engine: the same key gives the same number.
"""

from __future__ import annotations

import hashlib

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)
_TO_UNIT = 2.0**-53


def mix(z: np.ndarray, *, copy: bool = True) -> np.ndarray:
    """The splitmix64 finaliser of each uint64 (wrapping arithmetic, a bijection)."""
    z = z.astype(np.uint64, copy=copy)
    with np.errstate(over="ignore"):
        z ^= z >> _S30
        z *= _M1
        z ^= z >> _S27
        z *= _M2
        z ^= z >> _S31
    return z


def stream_key(seed: int, *labels: str) -> np.uint64:
    """A 64-bit key of the seed and labels (protocol, part): sha256, so names never collide."""
    text = "\x1f".join([str(int(seed)), *labels]).encode("utf-8")
    return np.uint64(int.from_bytes(hashlib.sha256(text).digest()[:8], "little"))


def row_keys(key: np.uint64, ids: np.ndarray) -> np.ndarray:
    """One uint64 per row from the stream key and the rows' interaction_idx."""
    with np.errstate(over="ignore"):
        return mix(ids.astype(np.uint64) * _GOLDEN ^ key)


def counters(attempt: int, slots: np.ndarray) -> np.ndarray:
    """Mixed (attempt, slot) counters, to combine with row keys."""
    with np.errstate(over="ignore"):
        return mix((np.uint64(attempt) << np.uint64(32)) | slots.astype(np.uint64)) * _GOLDEN


def draw(rows: np.ndarray, ctr: np.ndarray) -> np.ndarray:
    """Uniform floats in [0, 1) of (row key, counter) pairs (broadcast); 53 random bits each."""
    with np.errstate(over="ignore"):
        h = mix(rows ^ ctr, copy=False)
    h >>= np.uint64(11)
    out = h.astype(np.float64)
    out *= _TO_UNIT
    return out
