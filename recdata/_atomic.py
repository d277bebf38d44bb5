"""Write a folder all-or-nothing: build it in a temporary sibling, then rename it into place."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_folder(out: Path, *, seed: Callable[[Path], None] | None = None) -> Iterator[Path]:
    """Yield a temporary sibling of ``out`` that replaces ``out`` when the block succeeds.

    ``seed(tmp)`` creates the temporary folder (e.g. a hard-linked copy of ``out``); by default
    it is made empty. On any error the temporary folder is removed and ``out`` is untouched; an
    existing ``out`` is moved aside before the rename and deleted after it.
    """
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    if seed is None:
        tmp.mkdir(parents=True)
    else:
        seed(tmp)
    try:
        yield tmp
        if out.exists():
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            os.replace(out, old)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
