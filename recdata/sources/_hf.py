"""Files of the Hugging Face Hub (Amazon 2023) through ``huggingface_hub`` at a pinned revision."""

from __future__ import annotations

import logging
import os
import socket
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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


_HUB = "https://huggingface.co"


def _unreachable(endpoint: str, timeout: float) -> str | None:
    """Why the Hub cannot be reached at all (a name that does not resolve, a refused connection).

    One TCP connection, no retry: the Hub client retries those failures for ~20 s, which only
    pays off for timeouts and 5xx answers. None when the connection opens, when a proxy is in
    the way, or on any other failure (left to the client and its retries).
    """
    parts = urlsplit(endpoint)
    host = parts.hostname or ""
    proxy = urllib.request.getproxies().get(parts.scheme)
    if not host or (proxy and not urllib.request.proxy_bypass(host)):
        return None
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=min(timeout, 10.0)):
            return None
    except socket.gaierror:
        return f"cannot resolve {host} (offline or no DNS)"
    except ConnectionRefusedError:
        return f"cannot connect to {host}:{port}: connection refused"
    except OSError:
        return None


def hf_download(spec: HFFile, *, cache_dir: Path, timeout: float, progress: bool = False) -> Path:
    """Download one Hub file into ``cache_dir`` (``huggingface_hub``'s own cache layout).

    ``HF_ENDPOINT`` selects another Hub (a mirror, or a local server in tests); the Hub client's
    progress bars are silenced unless ``progress``. When the Hub cannot be reached at all, only
    the client's local cache is consulted, so an offline build fails at once.
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
    endpoint = os.environ.get("HF_ENDPOINT") or None
    unreachable = _unreachable(endpoint or _HUB, timeout)
    try:
        local = hf_hub_download(
            repo_id=spec.repo_id,
            filename=spec.filename,
            revision=spec.revision,
            repo_type=spec.repo_type,
            cache_dir=str(cache_dir),
            etag_timeout=timeout,
            endpoint=endpoint,
            tqdm_class=None if progress else _silent_tqdm(),
            local_files_only=unreachable is not None,
        )
    except Exception as exc:  # huggingface_hub raises many unrelated types
        if unreachable is not None:
            raise SourceError(f"{spec.url}: {unreachable}") from exc
        first = (str(exc).strip().splitlines() or [""])[0]
        raise SourceError(
            f"{spec.url}: Hugging Face download failed ({type(exc).__name__}: {first}); "
            "check the network, HF_ENDPOINT or HF_TOKEN, or pass --raw-dir",
        ) from exc
    return Path(local)
