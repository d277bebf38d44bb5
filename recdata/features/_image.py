"""Image embeddings: concurrent, bounded, retried, cached downloads, then a CLIP-style model.

Dead links never abort a build: an item whose URLs all fail (HTTP error, timeout, bytes PIL
cannot decode) gets a null embedding and is counted. Downloaded bytes are cached under
``$RECDATA_HOME/images`` by URL; vectors under ``$RECDATA_HOME/embeddings`` by image sha256.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from recdata import schema as S
from recdata.errors import FeatureError
from recdata.features._cache import EmbeddingCache, recdata_home
from recdata.features._embed import (
    CHUNK_BATCHES,
    BarFactory,
    EmbedResult,
    assemble,
    cache_root,
    embedding_dim,
    progress_bar,
    want_progress,
)
from recdata.features._models import load_sentence_transformer, resolve_model
from recdata.features._spec import ImageSpec

log = logging.getLogger("recdata.features")

_USER_AGENT = "recdata (+https://github.com/recdata) python-urllib"
_RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
_MAX_BYTES = 32 << 20


@dataclass(frozen=True)
class Fetched:
    """One item's image: the cached file and its content hash, or why there is none."""

    path: Path | None
    sha256: str | None
    error: str | None = None


def _decodable(data: bytes) -> bool:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
        return True
    except Exception:  # noqa: BLE001 - any decoder failure means "not an image"
        return False


def _get(url: str, spec: ImageSpec) -> bytes:
    """GET with retries on timeouts, connection errors and 408/429/5xx (exponential back-off)."""
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    for attempt in range(spec.retries + 1):
        try:
            with urllib.request.urlopen(request, timeout=spec.timeout) as response:  # noqa: S310
                data = response.read(_MAX_BYTES + 1)
            if len(data) > _MAX_BYTES:
                raise OSError(f"larger than {_MAX_BYTES} bytes")
            return data
        except urllib.error.HTTPError as exc:
            if exc.code not in _RETRY_STATUS or attempt == spec.retries:
                raise
        except (urllib.error.URLError, TimeoutError, ConnectionError):
            if attempt == spec.retries:
                raise
        time.sleep(min(0.25 * 2**attempt, 4.0))
    raise AssertionError("unreachable")  # pragma: no cover


def fetch_image(urls: list[str] | None, spec: ImageSpec, folder: Path) -> Fetched:
    """The first of ``urls`` that downloads (or is cached) and decodes; never raises."""
    errors: list[str] = []
    for url in (urls or [])[: spec.max_urls]:
        if not url:
            continue
        name = hashlib.sha256(url.encode("utf-8")).hexdigest()
        path = folder / name[:2] / name
        try:
            if path.is_file():
                data = path.read_bytes()
            else:
                data = _get(url, spec)
                if not _decodable(data):
                    raise OSError("not a decodable image")
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(f".{name}.{uuid.uuid4().hex}.tmp")
                tmp.write_bytes(data)
                os.replace(tmp, path)
            return Fetched(path=path, sha256=hashlib.sha256(data).hexdigest())
        except Exception as exc:  # noqa: BLE001 - a dead link is counted, never fatal
            errors.append(f"{url}: {exc}")
    return Fetched(path=None, sha256=None, error="; ".join(errors) or "no image URL")


def fetch_images(
    url_lists: list[list[str] | None], spec: ImageSpec, folder: Path, *, progress: bool | BarFactory
) -> list[Fetched]:
    """:func:`fetch_image` for every item with ``spec.concurrency`` threads, in input order."""
    bar = progress_bar(len(url_lists), "images", progress)
    results: list[Fetched] = []
    try:
        with ThreadPoolExecutor(max_workers=spec.concurrency) as pool:
            for fetched in pool.map(lambda urls: fetch_image(urls, spec, folder), url_lists):
                results.append(fetched)
                bar.update(1)
    finally:
        bar.close()
    return results


def _open_rgb(path: Path) -> Any:
    """The image as RGB, or None when the cached file cannot be decoded any more."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            return image.convert("RGB")
    except Exception:  # noqa: BLE001 - a damaged cache file counts as a dead link
        log.warning("cached image %s cannot be decoded; removed", path.name)
        path.unlink(missing_ok=True)
        return None


def _probe_dim(model: Any) -> int:
    """The output size of a model that does not declare it: encode one blank image."""
    from PIL import Image

    return int(
        np.asarray(model.encode([Image.new("RGB", (32, 32))], convert_to_numpy=True)).shape[1]
    )


def embed_images(
    items: pl.DataFrame,
    spec: ImageSpec,
    *,
    cache_dir: Path | None = None,
    image_dir: Path | None = None,
    progress: bool | BarFactory | None = None,
) -> EmbedResult:
    """Embed each item's first decodable image from ``image_urls`` (null when none works)."""
    if "image_urls" not in items.columns:
        raise FeatureError(
            f"image embeddings need an items column 'image_urls'; has {items.columns}"
        )
    ref = resolve_model(spec.model, spec.revision)
    model = load_sentence_transformer(ref.target, ref.revision, spec.device, spec.fp16)
    urls = pl.col("image_urls")
    if items.schema["image_urls"] == pl.String:
        urls = pl.concat_list(urls)  # one URL per item
    items = items.select(
        pl.col(S.ITEM).cast(pl.Int32), urls.cast(pl.List(pl.String)).alias("image_urls")
    ).sort(S.ITEM)
    folder = Path(image_dir) if image_dir is not None else recdata_home() / "images"
    show = want_progress(progress)
    fetched = fetch_images(items["image_urls"].to_list(), spec, folder, progress=show)
    failed = [
        (idx, f.error)
        for idx, f in zip(items[S.ITEM].to_list(), fetched, strict=True)
        if f.path is None
    ]
    for idx, error in failed[:5]:
        log.warning("item %d: no image (%s)", idx, error)
    identity = {
        "model": ref.name,
        "revision": ref.revision,
        "normalize": spec.normalize,
        "fp16": spec.fp16 and not spec.device.startswith("cpu"),
        "kind": "image",
    }
    cache = EmbeddingCache(cache_root(cache_dir), identity)
    dim = embedding_dim(model)
    unique = {f.sha256: f.path for f in fetched if f.sha256 is not None}
    vectors = cache.get(list(unique), dim)
    todo = [(key, path) for key, path in unique.items() if key not in vectors]
    bar = progress_bar(len(todo), f"image {ref.name}", show)
    chunk = spec.batch_size * CHUNK_BATCHES
    try:
        for start in range(0, len(todo), chunk):
            part = todo[start : start + chunk]
            opened = [(key, _open_rgb(path)) for key, path in part]  # type: ignore[arg-type]
            opened = [(key, image) for key, image in opened if image is not None]
            if not opened:
                continue
            images = [image for _, image in opened]
            encoded = np.asarray(
                model.encode(
                    images,
                    batch_size=spec.batch_size,
                    normalize_embeddings=spec.normalize,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                ),
                dtype=np.float32,
            )
            keys = [key for key, _ in opened]
            cache.put(keys, encoded)
            vectors.update(zip(keys, encoded, strict=True))
            bar.update(len(part))
    finally:
        bar.close()
    cache.compact()
    if dim is None:
        dim = len(next(iter(vectors.values()))) if vectors else _probe_dim(model)
    keys = [f.sha256 for f in fetched]
    frame = assemble(items[S.ITEM], keys, vectors, dim)
    details = {
        "items": items.height,
        "items_without_image": frame["embedding"].null_count(),
        "distinct_images": len(unique),
        "batch_size": spec.batch_size,
        "device": spec.device,
        "dtype": "float16" if identity["fp16"] else "float32",
    }
    return EmbedResult(frame=frame, model=ref, dim=dim, details=details, encoded=len(todo))
