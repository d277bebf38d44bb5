"""``README.md``: a Hugging Face dataset card of a folder, written from its manifest alone.

A YAML header (licence, size category, source datasets, citation, ``configs:`` naming each
table's and split's files) and Markdown tables of the manifest's statistics. It holds no date
and no path outside the folder, so rebuilds into different folders give identical bytes.
"""

from __future__ import annotations

from typing import Any

import yaml

from recdata._format import format_value
from recdata._types import SPLIT_PARTS
from recdata.dataset.manifest import Manifest

CARD_NAME = "README.md"
_HF_SPLIT = {"train": "train", "valid": "validation", "test": "test"}
_SIZES = [
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
    (1_000_000_000, "100M<n<1B"),
    (10_000_000_000, "1B<n<10B"),
]


def size_category(rows: int) -> str:
    """The Hub's ``size_categories`` bucket of a row count."""
    for limit, name in _SIZES:
        if rows < limit:
            return name
    return "n>1T"


def _recipe(manifest: Manifest) -> dict[str, Any]:
    return manifest.recipe or {}


def _citations(manifest: Manifest) -> list[str]:
    recipe = _recipe(manifest)
    found = [recipe.get("citation")] + [s.get("citation") for s in recipe.get("sources", [])]
    return list(dict.fromkeys(c.strip() for c in found if c))


def _licences(manifest: Manifest) -> list[str]:
    recipe = _recipe(manifest)
    found = [recipe.get("licence")] + [s.get("licence") for s in recipe.get("sources", [])]
    return list(dict.fromkeys(c.strip() for c in found if c))


def _configs(manifest: Manifest, files: list[str]) -> list[dict[str, Any]]:
    configs: list[dict[str, Any]] = []
    for table in ("interactions", "items", "users"):
        if f"{table}.parquet" in files:
            configs.append({"config_name": table, "data_files": f"{table}.parquet"})
        elif any(f.startswith(f"{table}/") for f in files):
            configs.append({"config_name": table, "data_files": f"{table}/*.parquet"})
    for protocol in manifest.splits:
        parts = [
            {"split": _HF_SPLIT[part], "path": f"splits/{protocol}/{part}.parquet"}
            for part in SPLIT_PARTS
            if f"splits/{protocol}/{part}.parquet" in files
        ]
        if parts:
            configs.append({"config_name": f"split-{protocol}", "data_files": parts})
    for rel in files:
        if rel.startswith(("features/", "graphs/")):
            configs.append(
                {"config_name": rel.removesuffix(".parquet").replace("/", "-"), "data_files": rel}
            )
    if configs and configs[0]["config_name"] == "interactions":
        configs[0]["default"] = True
    return configs


def _header(manifest: Manifest, files: list[str]) -> dict[str, Any]:
    recipe = _recipe(manifest)
    interactions = manifest.statistics.get("interactions", {}).get("interactions")
    if interactions is None and "interactions.parquet" in manifest.files:
        interactions = manifest.files["interactions.parquet"].rows
    licences = _licences(manifest)
    header: dict[str, Any] = {
        "pretty_name": manifest.name,
        "license": "other",
        "license_name": "; ".join(licences) if licences else "unknown",
    }
    if recipe.get("homepage"):
        header["license_link"] = recipe["homepage"]
    if interactions is not None:
        header["size_categories"] = [size_category(int(interactions))]
    urls = [s.url for s in manifest.sources if s.url and not s.missing]
    if urls:
        header["source_datasets"] = urls
    header["task_categories"] = ["other"]
    header["tags"] = ["recommender-systems", "recdata"]
    citations = _citations(manifest)
    if citations:
        header["citation"] = "\n\n".join(citations)
    header["configs"] = _configs(manifest, files)
    return header


def _cell(value: Any) -> str:
    return format_value(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(head: list[str], rows: list[list[Any]]) -> str:
    """A GitHub-flavoured Markdown table (cells escaped, numbers with thousands separators)."""
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def funnel(manifest: Manifest) -> list[tuple[str, int, int, int]]:
    """(stage, users, items, interactions) from the raw data through each step to the final."""
    stages = manifest.statistics.get("stages", {})
    order = ["raw", *(step.name for step in manifest.steps), "final"]
    order += sorted(set(stages) - set(order))  # the manifest stores keys sorted: restore run order
    return [
        (name, int(c.get("users", 0)), int(c.get("items", 0)), int(c.get("interactions", 0)))
        for name, c in ((n, stages[n]) for n in order if n in stages)
    ]


def summary_rows(manifest: Manifest) -> list[list[Any]]:
    """(statistic, value) rows of the interactions' statistics."""
    stats = manifest.statistics.get("interactions", {})
    keys = [
        "users",
        "items",
        "interactions",
        "density",
        "timestamp_min",
        "timestamp_max",
        "duplicate_pairs",
        "tied_timestamp_share",
    ]
    rows: list[list[Any]] = [[k, stats[k]] for k in keys if k in stats]
    for key in ("per_user", "per_item"):
        dist = stats.get(key) or {}
        if dist:
            rows.append(
                [
                    f"interactions {key.replace('_', ' ')} (min / median / mean / max)",
                    " / ".join(format_value(dist.get(k)) for k in ("min", "median", "mean", "max")),
                ]
            )
    return rows


def coverage_rows(manifest: Manifest) -> list[list[Any]]:
    """(table, field, coverage, median length, max length) rows of the coverage statistics."""
    rows: list[list[Any]] = []
    for table, cov in manifest.statistics.get("coverage", {}).items():
        for name, entry in cov.get("fields", {}).items():
            length = entry.get("length") or {}
            rows.append(
                [
                    table,
                    name,
                    f"{entry.get('coverage', 0.0):.1%}",
                    length.get("median", ""),
                    length.get("max", ""),
                ]
            )
    return rows


def split_rows(manifest: Manifest) -> list[list[Any]]:
    """(protocol, kind, train, valid, test) rows."""
    sizes = manifest.statistics.get("splits", {})
    return [
        [name, record.protocol, *(sizes.get(name, {}).get(p, "") for p in SPLIT_PARTS)]
        for name, record in manifest.splits.items()
    ]


def render_card(manifest: Manifest) -> str:
    """The text of ``README.md`` for a manifest whose ``files`` lists the folder's tables."""
    files = sorted(rel for rel in manifest.files if rel.endswith(".parquet"))
    header = yaml.safe_dump(
        _header(manifest, files), sort_keys=False, allow_unicode=True, width=1000
    )
    recipe = _recipe(manifest)
    out = [f"---\n{header}---\n", f"# {manifest.name}\n"]
    if recipe.get("description"):
        out.append(recipe["description"].strip() + "\n")
    out.append(
        f"Built by recdata {manifest.recdata_version or ''} from the recipe `{manifest.name}` "
        f"(recipe hash `{(manifest.recipe_hash or '')[:16]}`). Indices start at 1 (0 is padding); "
        "`manifest.json` records every source checksum, step and file.\n"
    )
    if recipe.get("homepage"):
        out.append(f"Publisher: <{recipe['homepage']}>\n")
    out.append(
        "## Summary\n\n" + markdown_table(["statistic", "value"], summary_rows(manifest)) + "\n"
    )
    stages = funnel(manifest)
    if stages:
        out.append(
            "## Pipeline\n\n"
            + markdown_table(["stage", "users", "items", "interactions"], [list(s) for s in stages])
            + "\n"
        )
    if manifest.splits:
        out.append(
            "## Splits\n\n"
            + markdown_table(["split", "protocol", *SPLIT_PARTS], split_rows(manifest))
            + "\n"
        )
    coverage = coverage_rows(manifest)
    if coverage:
        out.append(
            "## Metadata coverage\n\nShare of rows with a value (empty strings and lists count as "
            "missing); lengths in characters (strings) or elements (lists).\n\n"
            + markdown_table(
                ["table", "field", "coverage", "median length", "max length"], coverage
            )
            + "\n"
        )
    out.append(
        "## Files\n\n"
        + markdown_table(
            ["file", "rows", "sha256"],
            [[rel, manifest.files[rel].rows, f"`{manifest.files[rel].sha256}`"] for rel in files],
        )
        + "\n"
    )
    licences = _licences(manifest)
    if licences:
        out.append("## Licence\n\n" + "\n".join(f"- {x}" for x in licences) + "\n")
    citations = _citations(manifest)
    if citations:
        out.append("## Citation\n\n" + "\n\n".join(f"```\n{c}\n```" for c in citations) + "\n")
    return "\n".join(out)


__all__ = ["CARD_NAME", "markdown_table", "render_card", "size_category"]
