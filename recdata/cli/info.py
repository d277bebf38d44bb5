"""``recdata info NAME``: one recipe resolved (sources, steps, splits, features, expected statistics)."""

from __future__ import annotations

import json

import click

from recdata.cli._console import labelled, stdout
from recdata.cli._options import recipe_overrides


def _params(params: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items() if k not in ("step", "protocol", "name"))


@click.command(name="info")
@click.argument("name")
@recipe_overrides()
@click.option(
    "--json", "as_json", is_flag=True, help="Print the resolved recipe as JSON (with its hash)."
)
def command(name: str, overrides: tuple[str, ...], as_json: bool) -> None:
    """Show recipe NAME (a catalog name or a YAML file) fully resolved."""
    from recdata.recipe import recipe_hash, resolve

    recipe = resolve(name, overrides)
    data = recipe.resolved()
    if as_json:
        click.echo(
            json.dumps(
                {"recipe": data, "recipe_hash": recipe_hash(recipe)}, indent=2, sort_keys=True
            )
        )
        return
    from rich.table import Table
    from rich.text import Text

    head = Text.assemble((recipe.name, "bold"), f" ({recipe.family} {recipe.version})")
    if recipe.alias_of:
        head += f" = {recipe.alias_of} with its own settings"
    stdout.print(head)
    if recipe.description:
        stdout.print(recipe.description.strip())
    for key in ("homepage", "licence", "citation"):
        if data.get(key):
            stdout.print(labelled(key, "bold", str(data[key])))
    stdout.print(labelled("recipe hash", "bold", recipe_hash(recipe)))
    if recipe.events:
        stdout.print(labelled("events", "bold", ", ".join(recipe.events)))
    if recipe.synthetic is not None:
        stdout.print(labelled("synthetic", "bold", _params(recipe.synthetic.model_dump())))
    if recipe.sources:
        table = Table(title="sources")
        for col in ("name", "url", "checksum", "bytes", "notes"):
            table.add_column(col, overflow="fold")
        for s in recipe.sources:
            checksum = (
                f"sha256 {s.sha256}"
                if s.sha256
                else f"md5 {s.md5}"
                if s.md5
                else "none (trust on first use)"
            )
            notes = []
            if s.optional:
                notes.append("optional")
            if s.archive:
                notes.append(
                    f"{s.archive}: {', '.join(m.name for m in s.members) or 'all members'}"
                )
            if s.manual:
                notes.append(f"manual: {s.manual.strip()}")
            if s.hf:
                notes.append(f"hub: {s.hf.url}")
            url = "\n".join(s.urls) if s.urls else "-"
            table.add_row(s.name, url, checksum, f"{s.size:,}" if s.size else "?", "; ".join(notes))
        stdout.print(table)
    table = Table(title="steps")
    table.add_column("#", justify="right")
    table.add_column("step")
    table.add_column("parameters", overflow="fold")
    for i, step in enumerate(recipe.steps, 1):
        table.add_row(str(i), step.key, _params(step.model_dump()))
    table.add_row("", "index", f"order={recipe.index.order}")
    stdout.print(table)
    table = Table(title="splits")
    table.add_column("folder")
    table.add_column("protocol")
    table.add_column("parameters", overflow="fold")
    for split_name, spec in recipe.splits.items():
        table.add_row(split_name, spec.protocol, _params(spec.model_dump()))
    stdout.print(table)
    stdout.print(labelled("features", "bold", json.dumps(data["features"])))
    stdout.print(labelled("graphs", "bold", json.dumps(data["graphs"])))
    if recipe.expected:
        table = Table(title=f"expected statistics (checked: {recipe.check_stats})")
        for col in ("stage", "users", "items", "interactions"):
            table.add_column(col, justify="right")
        for stage, counts in recipe.expected.items():
            table.add_row(
                stage,
                *(
                    f"{v:,}" if v is not None else "-"
                    for v in (counts.users, counts.items, counts.interactions)
                ),
            )
        stdout.print(table)
