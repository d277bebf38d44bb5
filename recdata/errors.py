"""The recdata exception hierarchy: one subclass per pipeline stage, one-line actionable messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class RecdataError(Exception):
    """Base of every error recdata raises on purpose; the CLI maps it to exit code 1.

    Subclasses carry optional ``path``, ``expected`` and ``actual`` so callers can act on them.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        expected: Any = None,
        actual: Any = None,
    ) -> None:
        super().__init__(message)
        self.path = path
        self.expected = expected
        self.actual = actual


class UsageError(RecdataError):
    """The caller asked for something impossible (bad option, unknown name); CLI exit code 2."""


class RecipeError(RecdataError):
    """A recipe is malformed, unknown or cannot be resolved."""


class UnknownRecipe(RecipeError, UsageError):
    """No catalog recipe or recipe file by that name (CLI exit code 2)."""


class BadOverride(RecipeError, UsageError):
    """A ``--set key=value`` names no key of the recipe or gives a value of the wrong type (exit 2)."""


class SourceError(RecdataError):
    """A source file could not be obtained (network, missing manual download, bad archive)."""


class ChecksumMismatch(SourceError):
    """A file's sha256/md5 or size differs from the one the recipe or cache declares."""


class ReadError(RecdataError):
    """A raw file could not be parsed; the message names the file and line."""


class SchemaError(RecdataError):
    """A frame or file does not have the columns or types the canonical schema requires."""


class TransformError(RecdataError):
    """A transform or split got parameters or data it cannot work with."""


class EngineError(RecdataError):
    """The engine could not run a job (out of memory or disk, a lost executor, a failed task);
    the message names the cause and what to change."""


class StepFailed(RecdataError):
    """A pipeline step failed; ``step`` names it and ``__cause__`` holds the original error."""

    def __init__(self, step: str, message: str, **kwargs: Any) -> None:
        super().__init__(f"step {step!r} failed: {message}", **kwargs)
        self.step = step


class StatsMismatch(RecdataError):
    """Statistics after a build differ from those the recipe expects."""


class ValidationFailed(RecdataError):
    """A dataset folder violates the contract; ``violations`` lists what was found."""

    def __init__(self, message: str, violations: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.violations = violations or []


class DatasetError(RecdataError):
    """A dataset folder cannot be read: its manifest or a file it lists is missing, damaged or
    foreign. The message names the file and the problem and points at ``recdata validate``."""


class FeatureError(RecdataError):
    """Embeddings or graphs could not be built (missing model, missing extra, bad input)."""


class ExportError(RecdataError):
    """A dataset folder could not be written in the requested format."""


EMBED_INSTALL = "pip install torch==2.13.0 'recdata[embed]'"
"""The embed extra's install command: torch pinned to its CPU build (an open range pulls CUDA)."""


def install_command(extra: str) -> str:
    """The exact pip command that installs recdata's optional ``extra``."""
    return EMBED_INSTALL if extra == "embed" else f"pip install 'recdata[{extra}]'"


class MissingExtra(RecdataError):
    """An optional dependency is not installed; the message names the command that installs it."""

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        super().__init__(
            f"{purpose} needs {package!r}, which is not installed: {install_command(extra)}"
        )
        self.package = package
        self.extra = extra
        self.install = install_command(extra)
