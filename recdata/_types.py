"""Policy aliases, spelled exactly as they are written in recipes (YAML)."""

from __future__ import annotations

from typing import Literal, TypeAlias

Dedup: TypeAlias = Literal["first", "last", "none"]
KcoreMode: TypeAlias = Literal["iterative", "single_pass"]
IndexOrder: TypeAlias = Literal["raw_id", "first_seen", "popularity", "input"]
TimeUnit: TypeAlias = Literal["s", "ms", "us", "ns", "date", "datetime"]
ShortUserPolicy: TypeAlias = Literal["train", "drop"]
UnseenPolicy: TypeAlias = Literal["keep", "drop"]
TemporalUnseen: TypeAlias = Literal["keep", "drop", "drop_users"]
RatioOrder: TypeAlias = Literal["chronological", "random"]
ColdEntity: TypeAlias = Literal["user", "item"]
SessionTime: TypeAlias = Literal["start", "end"]
OnBadLine: TypeAlias = Literal["error", "skip"]
SplitPart: TypeAlias = Literal["train", "valid", "test"]

SPLIT_PARTS: tuple[SplitPart, ...] = ("train", "valid", "test")
