"""How a statistic is shown to people (dataset card, HTML report): one rule for both."""

from __future__ import annotations

from typing import Any


def format_value(value: Any) -> str:
    """Ints with thousands separators, floats to 6 significant digits, anything else as str."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
