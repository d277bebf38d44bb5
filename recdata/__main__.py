"""``python -m recdata`` runs the CLI."""

from recdata.cli import main

main()
