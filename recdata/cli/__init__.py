"""The ``recdata`` command line: a thin click group; one module per verb, loaded on demand.

Exit codes: 0 ok, 1 validation or data error (any :class:`recdata.errors.RecdataError`),
2 usage error. No traceback unless ``--debug``.
"""

from __future__ import annotations

import importlib
import logging
import sys

import click

from recdata import __version__
from recdata.errors import RecdataError, UsageError

# verb -> module under recdata.cli defining ``command`` (a click.Command)
VERBS: dict[str, str] = {
    "list": "list_cmd",
    "info": "info",
    "fetch": "fetch",
    "build": "build",
    "validate": "validate",
    "stats": "stats",
    "features": "features",
    "export": "export",
    "candidates": "candidates",
    "report": "report",
}


class _LazyGroup(click.Group):
    """A group whose verbs are imported only when used, so ``recdata --help`` stays fast."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(VERBS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module_name = VERBS.get(cmd_name)
        if module_name is None:
            return None
        try:
            module = importlib.import_module(f"recdata.cli.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"recdata.cli.{module_name}":
                raise
            return _not_yet(cmd_name)
        return module.command


def _not_yet(name: str) -> click.Command:
    @click.command(name=name, context_settings={"ignore_unknown_options": True})
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    def placeholder(args: tuple[str, ...]) -> None:
        """Not yet available in this version."""
        raise UsageError(f"`recdata {name}` is not yet available in recdata {__version__}")

    return placeholder


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="recdata")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.option("-v", "--verbose", is_flag=True, help="Show info logs.")
@click.pass_context
def cli(ctx: click.Context, debug: bool, verbose: bool) -> None:
    """recdata: clean, reproducible, trainer-ready recommender-system datasets."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    from recdata.cli._console import LineHandler

    logging.basicConfig(level=level, format="%(message)s", handlers=[LineHandler()], force=True)
    # urllib3 logs a warning per connection retry; recdata reports each failed URL once.
    logging.getLogger("urllib3").setLevel(logging.DEBUG if debug else logging.ERROR)


def _first_line(exc: BaseException) -> str:
    """The first non-empty line of an exception's text (a Java trace is hundreds of lines)."""
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001 - some texts are fetched from a process that is gone
        return ""
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and map errors to exit codes; returns the code (and exits with it as a script)."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        cli.main(args=args, prog_name="recdata", standalone_mode=False)
        code = 0
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        code = 1
    except click.ClickException as exc:
        exc.show()
        code = 2
    except UsageError as exc:
        if debug:
            raise
        click.echo(f"error: {exc}", err=True)
        code = 2
    except RecdataError as exc:
        if debug:
            raise
        click.echo(f"error: {exc}", err=True)
        code = 1
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        code = 130
    except Exception as exc:  # an unexpected failure: still one line unless --debug
        if debug:
            raise
        click.echo(
            f"internal error: {type(exc).__name__}: {_first_line(exc)} "
            "(re-run with --debug for the traceback)",
            err=True,
        )
        code = 1
    if argv is None:
        sys.exit(code)
    return code


__all__ = ["VERBS", "cli", "main"]
