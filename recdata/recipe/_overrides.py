"""``--set key=value`` overrides: dotted paths into a recipe's explicit form, values read as YAML.

List elements are addressed by index (``steps.0.user_k``), by ``name`` (``sources.meta.optional``)
or, for steps, by kind (``steps.kcore.user_k``). A first key that is not a recipe field but a
field of the ``synthetic`` section goes there (``--set size=1000000``).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from recdata.errors import BadOverride, UsageError


def parse_override(text: str) -> tuple[str, Any]:
    """``"steps.kcore.user_k=10"`` -> ``("steps.kcore.user_k", 10)``; the value is read as YAML."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise UsageError(f"--set {text!r}: expected key=value (e.g. steps.kcore.user_k=10)")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as exc:
        raise UsageError(
            f"--set {text!r}: the value is not valid YAML ({str(exc).splitlines()[0]})"
        ) from None
    return key, value


def _find(items: list[Any], segment: str, path: str) -> int:
    if segment.lstrip("-").isdigit():
        index = int(segment)
        if not -len(items) <= index < len(items):
            raise BadOverride(
                f"--set {path}: index {index} is out of range (the list has {len(items)} entries)"
            )
        return index % len(items)
    for i, entry in enumerate(items):
        if isinstance(entry, dict) and (entry.get("name") or entry.get("step")) == segment:
            return i
    for i, entry in enumerate(items):
        if isinstance(entry, dict) and entry.get("step") == segment:
            return i
    labels = [str(e.get("name") or e.get("step")) for e in items if isinstance(e, dict)]
    raise BadOverride(f"--set {path}: no entry {segment!r} in this list; entries: {labels}")


def set_path(data: dict[str, Any], key: str, value: Any) -> None:
    """Set ``data[key]`` along a dotted path, creating mappings as needed (in place)."""
    segments = key.split(".")
    if segments[0] not in data and isinstance(data.get("synthetic"), dict):
        segments = ["synthetic", *segments]
    node: Any = data
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        if isinstance(node, list):
            index = _find(node, segment, key)
            if last:
                node[index] = value
                return
            node = node[index]
        elif isinstance(node, dict):
            if last:
                node[segment] = value
                return
            if node.get(segment) is None:
                node[segment] = {}
            node = node[segment]
        else:
            done = ".".join(segments[:i])
            raise BadOverride(f"--set {key}: {done} is a value ({node!r}), not a mapping or list")


def apply_overrides(
    data: Mapping[str, Any], overrides: Iterable[str | tuple[str, Any]]
) -> dict[str, Any]:
    """A copy of ``data`` with every override applied in order (strings are parsed first)."""
    out = copy.deepcopy(dict(data))
    for item in overrides:
        key, value = parse_override(item) if isinstance(item, str) else item
        set_path(out, key, value)
    return out


def apply_mapping(data: Mapping[str, Any], settings: Mapping[str, Any]) -> dict[str, Any]:
    """Apply a ``{dotted.key: value}`` mapping (a variant's or alias's ``set:``)."""
    return apply_overrides(data, list(settings.items()))
