"""A byte progress bar (bytes, rate, ETA) on stderr, shown only on a terminal."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from recdata.sources._download import ProgressHook


def wants_progress(progress: bool | None) -> bool:
    """``progress`` if given, else whether stderr is a terminal."""
    if progress is not None:
        return progress
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


@contextlib.contextmanager
def progress_bar(label: str, enabled: bool) -> Iterator[ProgressHook | None]:
    """Yield a hook ``(done, total)`` driving a rich progress bar, or None when disabled."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=None)

        def hook(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        yield hook
