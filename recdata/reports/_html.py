"""Assemble the self-contained report page: inline CSS and SVG, no script, nothing fetched."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from recdata._format import format_value
from recdata.reports import _plots as P
from recdata.reports._data import ReportData

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
margin:0 auto;max-width:1100px;padding:24px;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:0.2em}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ddd;
padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0;font-size:0.9em}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}
th{background:#f4f6f8}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:12px;align-items:start}
.plot{width:100%;height:auto;max-width:760px}
.text{white-space:pre-wrap;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:0.85em;
background:#f8f8f8;border:1px solid #e4e4e4;padding:6px;margin:0}
.muted{color:#666;font-size:0.9em}
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _fmt(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return _e(json.dumps(value, sort_keys=True))
    return _e(format_value(value))


def _table(head: list[str], rows: list[list[Any]]) -> str:
    out = ["<table><thead><tr>", *(f"<th>{_e(h)}</th>" for h in head), "</tr></thead><tbody>"]
    for row in rows:
        cells = [
            f'<td class="n">{_fmt(v)}</td>'
            if isinstance(v, (int, float)) and not isinstance(v, bool)
            else f"<td>{_fmt(v)}</td>"
            for v in row
        ]
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _splits(data: ReportData) -> str:
    if not data.splits:
        return '<p class="muted">No split protocols.</p>'
    rows = []
    for s in data.splits:
        for part in ("train", "valid", "test"):
            p = s["parts"][part]
            leaks = s["leaks"].get(part, "")
            rows.append([s["name"], s["protocol"], part, p["rows"], p["users"], p["items"], leaks])
    out = [
        _table(["split", "protocol", "part", "rows", "users", "items", "earlier than train"], rows),
        '<p class="muted">"earlier than train": valid/test rows with a timestamp strictly before '
        "their user's latest train row (0 for protocols that promise temporal order).</p>",
    ]
    detail = []
    for s in data.splits:
        detail.append(
            [
                s["name"],
                json.dumps(s["params"], sort_keys=True),
                "yes" if s["ordered"] else "no",
                "yes" if s["partition"] else "no",
                json.dumps(
                    {"dropped": s["dropped"], "moved": s["moved"], **s["counts"]}, sort_keys=True
                ),
            ]
        )
    out.append(_table(["split", "parameters", "ordered", "partition", "leakage report"], detail))
    return "".join(out)


def _coverage(data: ReportData) -> str:
    rows: list[list[Any]] = []
    bars: list[tuple[str, float]] = []
    for table, cov in data.coverage.items():
        for name, entry in cov.get("fields", {}).items():
            length = entry.get("length") or {}
            rows.append(
                [
                    table,
                    name,
                    f"{entry.get('coverage', 0.0):.1%}",
                    *(length.get(k, "") for k in ("min", "median", "p95", "max")),
                ]
            )
            bars.append((f"{table}.{name}", float(entry.get("coverage", 0.0))))
        if "duplicate_titles" in cov:
            rows.append([table, "(duplicated titles)", cov["duplicate_titles"], "", "", "", ""])
    if not rows:
        return '<p class="muted">No metadata fields besides the identifiers.</p>'
    return (
        '<div class="grid">'
        + P.coverage_plot(bars)
        + _table(
            ["table", "field", "coverage", "min len", "median len", "p95 len", "max len"], rows
        )
        + "</div>"
        + '<p class="muted">Lengths are in characters for text and in elements for lists.</p>'
    )


def _unique_ids(body: str) -> str:
    """Prefix each inline SVG's element ids (and references to them) with its figure number.

    matplotlib names ids by content hash, so two figures can share one; in one page ids must
    be unique for every ``url(#...)`` and ``href="#..."`` to point inside its own figure.
    """

    def one(match: re.Match[str], counter: list[int]) -> str:
        counter[0] += 1
        k = f"f{counter[0]}-"
        svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{k}{m.group(1)}"', match.group(0))
        return re.sub(r'(url\(#|href="#)([^)"]+)', lambda m: f"{m.group(1)}{k}{m.group(2)}", svg)

    counter = [0]
    return re.sub(r"<svg\b.*?</svg>", lambda m: one(m, counter), body, flags=re.DOTALL)


def render_page(data: ReportData) -> str:
    """The whole HTML page as text."""
    sections: list[str] = [
        f"<h1>{_e(data.name)}</h1>",
        '<p class="muted">A recdata dataset report: every number comes from the folder\'s '
        "tables and manifest.json.</p>",
        "<h2>Summary</h2>",
        _table(["statistic", "value"], data.summary),
    ]
    if data.funnel:
        sections += [
            "<h2>Pipeline funnel</h2>",
            P.funnel_plot(data.funnel),
            _table(["stage", "users", "items", "interactions"], [list(s) for s in data.funnel]),
        ]
    sections += [
        "<h2>Degree distributions</h2>",
        '<div class="grid">',
        P.degree_plot(data.user_degrees, "users"),
        P.degree_plot(data.item_degrees, "items"),
        "</div>",
        "<h2>Popularity</h2>",
        '<div class="grid">',
        P.lorenz_plot(data.lorenz, data.gini),
        P.sequence_plot(data.user_degrees),
        "</div>",
        f"<p>Gini coefficient of item popularity: <b>{data.gini:.4f}</b>.</p>",
    ]
    if data.monthly is not None:
        sections += ["<h2>Interactions per month</h2>", P.monthly_plot(data.monthly)]
    if data.ratings is not None:
        sections += [
            "<h2>Ratings</h2>",
            '<div class="grid">',
            P.rating_plot(data.ratings),
            _table(["rating", "interactions"], [list(r) for r in data.ratings.iter_rows()]),
            "</div>",
        ]
    sections += ["<h2>Splits</h2>", _splits(data), "<h2>Metadata coverage</h2>", _coverage(data)]
    sections.append("<h2>Sample item texts</h2>")
    if data.texts:
        rows = "".join(
            f'<tr><td class="n">{i}</td><td><pre class="text">{_e(t)}</pre></td></tr>'
            for i, t in data.texts
        )
        sections.append(
            f"<table><thead><tr><th>item_idx</th><th>text</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    else:
        sections.append('<p class="muted">The items have no text fields.</p>')
    body = _unique_ids("\n".join(sections))
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="recdata report">\n'
        f"<title>{_e(data.name)}: recdata report</title>\n<style>{_CSS}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )
