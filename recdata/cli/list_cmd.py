"""``recdata list``: the recipe catalog, one buildable name per line (every version, category, alias)."""

from __future__ import annotations

import sys

import click

from recdata.cli._console import stdout


def _size(nbytes: int | None) -> str:
    if nbytes is None:
        return "unknown"
    value = float(nbytes)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{nbytes} B"  # pragma: no cover


def catalog_rows(
    family: str | None = None,
) -> list[tuple[str, str, str, int | None, str, str | None]]:
    """(name, family, version, download bytes or None, licence, alias_of) of every catalog name."""
    from recdata.recipe import catalog
    from recdata.recipe._catalog import CatalogEntry, load_data

    rows = []
    for name, entry in catalog().items():
        if entry.alias_of is not None:
            data, _ = load_data(name)
            shown = CatalogEntry(name=name, data=data, origin=entry.origin)
        else:
            shown = entry
        if family is not None and shown.family != family:
            continue
        rows.append(
            (name, shown.family, shown.version, shown.download_size, shown.licence, entry.alias_of)
        )
    return rows


@click.command(name="list")
@click.option(
    "--plain", is_flag=True, help="One tab-separated line per recipe, even on a terminal."
)
@click.option("--family", default=None, help="Only this family (movielens, amazon2014, ...).")
def command(plain: bool, family: str | None) -> None:
    """The recipe catalog: name, family, version, download size, licence.

    Off a terminal (or with --plain) each line is NAME<TAB>FAMILY<TAB>VERSION<TAB>BYTES<TAB>LICENCE,
    BYTES being the download size in bytes or "unknown".
    """
    rows = catalog_rows(family)
    if plain or not sys.stdout.isatty():
        for name, fam, version, size, licence, _alias in rows:
            shown = "unknown" if size is None else str(size)
            click.echo("\t".join([name, fam, version, shown, licence]))
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"recdata catalog ({len(rows)} recipes)")
    for column in ("name", "family", "version", "download", "licence"):
        table.add_column(
            column, overflow="fold", justify="right" if column == "download" else "left"
        )
    for name, fam, version, size, licence, alias in rows:
        label = Text.assemble(name, (f" (= {alias})", "dim")) if alias else name
        table.add_row(label, fam, version, _size(size), licence)
    stdout.print(table)
