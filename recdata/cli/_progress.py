"""Progress of a CLI run: a rich display on a terminal, one plain line per stage elsewhere.

Off a terminal the lines (each stage with its time) are printed when the run succeeds, so a
failure stays the one ``error: ...`` line.

A :class:`RunProgress` is what the CLI passes as a build's ``progress``: calling it starts a
stage (``progress("fetching 1 source(s)")``), and ``progress.bar(description, total)`` gives the
item bar the embedding step advances (items done / total and an ETA).
"""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, SpinnerColumn, Task, TaskID
from rich.text import Text

END_PREFIX = "done: "
"""The build's last message (``done: <folder>``): the end, not a stage."""


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class _ItemBar(BarColumn):
    """The bar of an item task; nothing for a stage."""

    def render(self, task: Task) -> Text:  # type: ignore[override]
        return Text("") if task.fields.get("stage") else super().render(task)  # type: ignore[return-value]


class _Counts(ProgressColumn):
    """``done/total items`` of an item task; nothing for a stage."""

    def render(self, task: Task) -> Text:
        if task.fields.get("stage") or task.total is None:
            return Text("")
        return Text(f"{int(task.completed):,}/{int(task.total):,} items")


class _Time(ProgressColumn):
    """A running item task's ETA; the time a finished task (stage or items) took."""

    def render(self, task: Task) -> Text:
        if task.finished:
            return Text(f"{task.finished_time or 0:.1f} s", style="green")
        if task.fields.get("stage"):
            return Text(f"{task.elapsed or 0:.1f} s")
        remaining = task.time_remaining
        return Text(f"ETA {'?' if remaining is None else _clock(remaining)}")


class _Bar:
    """An item bar: ``update(n)`` advances it, ``close()`` ends it."""

    def __init__(self, run: RunProgress, description: str, total: int) -> None:
        self._run, self._description, self._total = run, description, total
        self._done = 0
        self._started = time.perf_counter()
        self._task: TaskID | None = None
        if run._progress is not None:
            self._task = run._progress.add_task(description, total=total)

    def update(self, n: int) -> None:
        self._done += n
        if self._task is not None and self._run._progress is not None:
            self._run._progress.update(self._task, completed=self._done)

    def close(self) -> None:
        if self._started == 0.0:  # already closed
            return
        if self._task is not None and self._run._progress is not None:
            self._run._progress.update(self._task, completed=self._done)
        else:
            seconds = time.perf_counter() - self._started
            self._run._line(
                f"{self._description}: {self._done:,}/{self._total:,} items, {seconds:.1f} s"
            )
        self._started = 0.0


class RunProgress:
    """Stages and item bars of one CLI run, drawn live (``live=True``) or as plain lines."""

    def __init__(self, console: Console, *, live: bool) -> None:
        self.console = console
        self._progress: Progress | None = None
        if live:
            self._progress = Progress(
                SpinnerColumn(finished_text="✓"),
                "{task.description}",
                _ItemBar(bar_width=30),
                _Counts(),
                _Time(),
                console=console,
            )
        self._pending: list[str] = []
        self._stage: str | None = None
        self._stage_task: TaskID | None = None
        self._stage_started = 0.0

    def __enter__(self) -> RunProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if kind is None:
            self._finish_stage()
        if self._progress is not None:
            if kind is not None:  # a failure: clear the display, leave only the error line
                self._progress.live.transient = True
            self._progress.stop()
        if kind is None:
            for line in self._pending:
                self.console.print(line, soft_wrap=True, markup=False, highlight=False)
        self._pending.clear()

    def __call__(self, message: str) -> None:
        """Start stage ``message``; the previous stage is done (``done: ...`` ends the build)."""
        self._finish_stage()
        if message.startswith(END_PREFIX):
            return
        self._stage, self._stage_started = message, time.perf_counter()
        if self._progress is not None:
            self._stage_task = self._progress.add_task(message, total=None, stage=True)

    def bar(self, description: str, total: int) -> _Bar:
        """An item bar of ``total`` items (the embedding step's ``progress``)."""
        return _Bar(self, description, total)

    def refresh(self) -> None:
        """Redraw the live display now."""
        if self._progress is not None:
            self._progress.refresh()

    def _finish_stage(self) -> None:
        if self._stage is None:
            return
        if self._progress is not None and self._stage_task is not None:
            self._progress.update(self._stage_task, total=1, completed=1)
        else:
            self._line(f"{self._stage}: {time.perf_counter() - self._stage_started:.1f} s")
        self._stage = self._stage_task = None

    def _line(self, text: str) -> None:
        self._pending.append(text)
