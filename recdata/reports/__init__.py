"""``recdata report``: one self-contained HTML page about a dataset folder, with plots.

The page inlines its CSS and SVG figures (matplotlib, the ``report`` extra), loads nothing
from the network and holds no date, so the same folder gives the same bytes.
"""

from __future__ import annotations

import logging
from pathlib import Path

from recdata._atomic import atomic_file
from recdata.dataset._check import reads_folder
from recdata.errors import UsageError
from recdata.reports._data import ReportData, report_data

log = logging.getLogger("recdata.reports")

REPORT_NAME = "report.html"
GENERATOR = '<meta name="generator" content="recdata report">'
"""Marks a page recdata wrote: only such a file is ever replaced by a new report."""


def _is_report(path: Path) -> bool:
    """True for a file recdata wrote as a report (its generator meta tag), never a user's file."""
    if not path.is_file():
        return False
    with open(path, "rb") as handle:
        head = handle.read(2048)
    return GENERATOR.encode() in head


@reads_folder
def report(folder: str | Path, *, out: str | Path | None = None) -> Path:
    """Write the report page of dataset folder ``folder`` (default ``folder/report.html``).

    The page is not a dataset file (the manifest does not list it). It is written to a
    temporary sibling and renamed, so a failure leaves no half page; an existing file is
    replaced only when it is a recdata report. Returns its path.
    """
    from recdata.dataset import load
    from recdata.reports._html import render_page
    from recdata.reports._plots import require_matplotlib

    require_matplotlib()
    dataset = load(folder)
    target = Path(out) if out is not None else Path(folder) / REPORT_NAME
    if target.exists() and not _is_report(target):
        raise UsageError(
            f"{target} exists and is not a recdata report; choose another -o file or remove it"
        )
    page = render_page(report_data(dataset))
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_file(target, page)
    log.info("wrote %s (%d bytes)", target, len(page))
    return target


__all__ = ["REPORT_NAME", "ReportData", "report", "report_data"]
