"""Rich consoles for the CLI: tables on stdout, messages on stderr.

Markup is off: recipe texts, paths, warnings and data values print as they are (a warning
such as ``pip install 'recdata[embed]'`` must not lose its brackets); styling goes through
:func:`labelled` and ``rich.text.Text``.
"""

from __future__ import annotations

import logging

from rich.console import Console
from rich.text import Text

stdout = Console(highlight=False, soft_wrap=True, markup=False)
stderr = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)


def labelled(label: str, style: str, rest: str) -> Text:
    """``label`` in ``style``, then ``: rest`` as plain text."""
    return Text.assemble((label, style), f": {rest}")


_LEVEL_STYLES = {"DEBUG": "dim", "INFO": "blue", "WARNING": "yellow", "ERROR": "red"}


class LineHandler(logging.Handler):
    """Each log record as one ``level: message`` line on stderr, never wrapped.

    Rich's own ``RichHandler`` lays records out in a table and folds long lines at the console
    width (80 columns when piped), breaking URLs and paths mid-word; this prints the record as
    it is, styled on a terminal and plain otherwise.
    """

    def emit(self, record: logging.LogRecord) -> None:
        try:
            style = _LEVEL_STYLES.get(record.levelname, "red")
            line = Text.assemble((record.levelname.lower(), style), ": ", self.format(record))
            stderr.print(line, soft_wrap=True)
        except Exception:  # a broken stderr must not end the program
            self.handleError(record)
