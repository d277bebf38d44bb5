"""Files of the Hugging Face Hub (Amazon 2023) through ``huggingface_hub`` at a pinned revision."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from recdata.errors import MissingExtra, SourceError
from recdata.sources._models import HFFile

log = logging.getLogger("recdata.sources")


def _silent_tqdm() -> type:
    from tqdm.auto import tqdm

    class SilentTqdm(tqdm):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)

    return SilentTqdm


def hf_download(spec: HFFile, *, cache_dir: Path, timeout: float, progress: bool = False) -> Path:
    """Download one Hub file into ``cache_dir`` (``huggingface_hub``'s own cache layout).

    ``HF_ENDPOINT`` selects another Hub (a mirror, or a local server in tests); the Hub client's
    progress bars are silenced unless ``progress``.
    """
    try:
        from huggingface_hub import hf_hub_download
    except ImportError as exc:
        raise MissingExtra(
            "huggingface_hub", "hf", f"downloading {spec.filename} from the Hugging Face Hub"
        ) from exc
    if len(spec.revision) != 40:
        log.warning(
            "%s: revision %r is not a commit hash; the file may change under the recipe",
            spec.url,
            spec.revision,
        )
    try:
        local = hf_hub_download(
            repo_id=spec.repo_id,
            filename=spec.filename,
            revision=spec.revision,
            repo_type=spec.repo_type,
            cache_dir=str(cache_dir),
            etag_timeout=timeout,
            endpoint=os.environ.get("HF_ENDPOINT") or None,
            tqdm_class=None if progress else _silent_tqdm(),
        )
    except Exception as exc:  # huggingface_hub raises many unrelated types
        raise SourceError(
            f"{spec.url}: Hugging Face download failed ({type(exc).__name__}: {exc}); "
            "check the network, HF_ENDPOINT or HF_TOKEN, or pass --raw-dir",
        ) from exc
    return Path(local)
