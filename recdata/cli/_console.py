"""Rich consoles for the CLI: tables on stdout, messages on stderr.

Markup is off: recipe texts, paths, warnings and data values print as they are (a warning
such as ``pip install 'recdata[embed]'`` must not lose its brackets); styling goes through
:func:`labelled` and ``rich.text.Text``.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

stdout = Console(highlight=False, soft_wrap=True, markup=False)
stderr = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)


def labelled(label: str, style: str, rest: str) -> Text:
    """``label`` in ``style``, then ``: rest`` as plain text."""
    return Text.assemble((label, style), f": {rest}")
