"""``export``: run one exporter into a temporary folder, record what it did, rename into place."""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from recdata._atomic import MARKER, atomic_folder, check_target
from recdata.dataset import Dataset, file_sha256, load, manifest_hash
from recdata.dataset._check import reads_folder
from recdata.errors import UsageError
from recdata.exporters._amazon2023 import export_amazon2023
from recdata.exporters._common import EXPORT_RECORD, ExportResult
from recdata.exporters._elliot import export_elliot
from recdata.exporters._graph import export_graph
from recdata.exporters._hf import export_hf
from recdata.exporters._ncf import export_ncf
from recdata.exporters._prompts import export_prompts
from recdata.exporters._recbole import export_recbole
from recdata.exporters._rechorus import export_rechorus
from recdata.exporters._sasrec import export_sasrec
from recdata.exporters._semantic_ids import export_semantic_ids
from recdata.exporters._srgnn import export_srgnn

log = logging.getLogger("recdata.exporters")

Exporter = Callable[..., ExportResult]

EXPORTERS: dict[str, Exporter] = {
    "recbole": export_recbole,
    "sasrec": export_sasrec,
    "amazon2023": export_amazon2023,
    "graph": export_graph,
    "hf": export_hf,
    "prompts": export_prompts,
    "srgnn": export_srgnn,
    "rechorus": export_rechorus,
    "elliot": export_elliot,
    "ncf": export_ncf,
    "semantic-ids": export_semantic_ids,
}
"""Format name -> exporter ``(dataset, out_folder, *, **options) -> ExportResult``."""


def exporter_options(to: str) -> list[str]:
    """The keyword options one exporter accepts (``split`` included when it takes one)."""
    params = inspect.signature(EXPORTERS[to]).parameters
    return [n for n, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY]


def _record(ds: Dataset, to: str, result: ExportResult, folder: Path) -> str:
    """The text of ``recdata-export.json``: what was exported, how, from which manifest."""
    from recdata import __version__

    files = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if rel == MARKER:  # atomic_folder's own marker, removed before the rename
            continue
        files[rel] = {"sha256": file_sha256(path), "bytes": path.stat().st_size}
    record: dict[str, Any] = {
        "format": to,
        "recdata_version": __version__,
        "source": {
            "name": ds.manifest.name,
            "manifest_sha256": manifest_hash(ds.path),
            "recipe_hash": ds.manifest.recipe_hash,
        },
        "split": result.split,
        "ids": result.ids,
        "index_base": result.index_base,
        "options": result.options,
        "conversions": result.conversions,
        "files": files,
    }
    record.update(result.extra)
    return json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@reads_folder
def export(
    path: str | Path,
    *,
    to: str,
    out: str | Path,
    split: str | None = None,
    overwrite: bool = False,
    **options: Any,
) -> Path:
    """Write dataset folder ``path`` in format ``to`` into folder ``out``, atomically.

    The exporter writes into a temporary sibling of ``out`` that is renamed at the end, so a
    failure leaves nothing behind; ``out/recdata-export.json`` records the format, options,
    index base, conversions, files and the source folder's manifest hash.

    Parameters
    ----------
    to
        One of :data:`EXPORTERS` (``recbole``, ``sasrec``, ``amazon2023``, ``graph``, ``hf``,
        ``prompts``, ``srgnn``, ``rechorus``, ``elliot``, ``ncf``, ``semantic-ids``).
    split
        The split protocol to export (default: the folder's default split), for formats with splits.
    overwrite
        Replace ``out`` when it exists and recdata wrote it (see ``docs/overwrite.md``); never
        the source folder, a folder inside it or one holding it.
    options
        The exporter's own options (see each ``export_<format>`` function).
    """
    if to not in EXPORTERS:
        raise UsageError(f"unknown export format {to!r}; use one of {', '.join(EXPORTERS)}")
    accepted = exporter_options(to)
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise UsageError(f"export to {to}: unknown option(s) {unknown}; accepted: {accepted}")
    if split is not None:
        if "split" not in accepted:
            raise UsageError(f"export to {to} writes all interactions and takes no split")
        options["split"] = split
    out = Path(out)
    protect = {"the export's source": [Path(path)]}
    check_target(out, overwrite=overwrite, protect=protect)
    ds = load(path)
    with atomic_folder(out, overwrite=overwrite, protect=protect) as tmp:
        result = EXPORTERS[to](ds, tmp, **options)
        (tmp / EXPORT_RECORD).write_text(_record(ds, to, result, tmp), encoding="utf-8")
    log.info("exported %s to %s (%s)", ds.path.name, out.name, to)
    return out


__all__ = ["EXPORTERS", "export", "exporter_options"]
