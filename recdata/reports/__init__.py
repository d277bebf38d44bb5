"""``recdata report``: one self-contained HTML page about a dataset folder, with plots.

The page inlines its CSS and SVG figures (matplotlib, the ``report`` extra), loads nothing
from the network and holds no date, so the same folder gives the same bytes.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from recdata.reports._data import ReportData, report_data

log = logging.getLogger("recdata.reports")

REPORT_NAME = "report.html"


def report(folder: str | Path, *, out: str | Path | None = None) -> Path:
    """Write the report page of dataset folder ``folder`` (default ``folder/report.html``).

    The page is not a dataset file (the manifest does not list it). It is written to a
    temporary sibling and renamed, so a failure leaves no half page. Returns its path.
    """
    from recdata.dataset import load
    from recdata.reports._html import render_page
    from recdata.reports._plots import require_matplotlib

    require_matplotlib()
    dataset = load(folder)
    target = Path(out) if out is not None else Path(folder) / REPORT_NAME
    page = render_page(report_data(dataset))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}"
    try:
        tmp.write_text(page, encoding="utf-8")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    log.info("wrote %s (%d bytes)", target, len(page))
    return target


__all__ = ["REPORT_NAME", "ReportData", "report", "report_data"]
