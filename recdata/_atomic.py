"""Write or replace a folder all-or-nothing, and replace only what recdata itself wrote.

Every writer (build, export, features) goes through :func:`atomic_folder`: it takes a lock
beside the output, removes stale temporaries of interrupted writes, checks the overwrite rule
(:func:`check_target`), builds the new folder in a temporary sibling and renames it into place.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import socket
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

from recdata.errors import UsageError

log = logging.getLogger("recdata.folder")

RECORDS = {"manifest.json": "format_version", "recdata-export.json": "format"}
"""Files that mark a folder recdata wrote -> a key each must hold (besides ``files``)."""
EXTRAS = frozenset({"build.log", "report.html"})
"""Files recdata may write beside those its manifest or export record lists."""
MARKER = ".recdata-tmp"
"""Marker inside a temporary folder: ``recdata <pid> <host>``, proof that it is recdata's."""

_STALE = re.compile(r"^\.(?P<name>.+)\.(?P<kind>tmp|old)-(?P<pid>\d+)$")
_LOCK = re.compile(r"^\.(?P<name>.+)\.lock$")
_LOCK_TEXT = re.compile(r"recdata \d+\n")
Protect = Mapping[str, Iterable[str | Path]]


def _resolve(path: str | Path) -> Path:
    """Absolute path with ``~``, ``..`` and symlinks resolved (the folder need not exist)."""
    return Path(os.path.abspath(Path(path).expanduser())).resolve()


def _within(child: Path, parent: Path) -> bool:
    return child == parent or child.is_relative_to(parent)


def _unlisted(folder: Path) -> list[str] | None:
    """Files of ``folder`` its manifest/export record does not list; None if recdata did not write it."""
    listed: set[str] | None = None
    for record, key in RECORDS.items():
        path = folder / record
        if not path.is_file():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            return None
        if not isinstance(data, dict) or key not in data or not isinstance(data.get("files"), dict):
            return None
        listed = (listed or set()) | set(data["files"]) | {record}
    if listed is None:
        return None
    return [rel for rel in _files(folder) if rel not in listed and rel not in EXTRAS]


def check_target(out: str | Path, *, overwrite: bool, protect: Protect | None = None) -> Path:
    """Raise :class:`UsageError` unless ``out`` may be created, or replaced with ``overwrite``.

    A folder is replaced only when it is empty or recdata wrote it (``manifest.json`` or
    ``recdata-export.json``) and it holds no file that record does not list besides
    build.log/report.html; never when it is or contains the cwd, the home folder or ``/``, nor
    when it is, contains or lies inside a protected path (``protect``: label -> paths; the
    download cache is always protected). Returns the resolved path.
    """
    from recdata.sources._cache import cache_home

    target = _resolve(out)
    if not os.path.lexists(target):
        return target
    if not overwrite:
        raise UsageError(f"{out} already exists; choose another -o folder or pass --overwrite")
    if not target.is_dir():
        raise UsageError(
            f"--overwrite refused: {out} is not a folder; recdata replaces only folders"
        )
    if target == Path(target.anchor):
        raise UsageError(f"--overwrite refused: {out} is the root folder; choose another -o folder")
    for label, path in (("the current directory", Path.cwd()), ("your home directory", _home())):
        if _within(_resolve(path), target):
            what = "is" if _resolve(path) == target else "contains"
            raise UsageError(f"--overwrite refused: {out} {what} {label}; choose another -o folder")
    groups = {"the download cache (RECDATA_HOME)": [cache_home()], **(protect or {})}
    for label, paths in groups.items():
        for path in paths:
            guarded = _resolve(path)
            if _within(target, guarded) or _within(guarded, target):
                how = (
                    "is"
                    if target == guarded
                    else "lies inside"
                    if _within(target, guarded)
                    else "contains"
                )
                raise UsageError(
                    f"--overwrite refused: {out} {how} {label} {guarded}; choose another -o folder"
                )
    try:
        unlisted = _unlisted(target)
        everything = _files(target)
    except OSError as exc:
        raise UsageError(f"--overwrite refused: cannot read {out}: {exc.strerror}") from exc
    if not everything:  # empty, or only empty folders
        return target
    if unlisted is None:
        raise UsageError(
            f"--overwrite refused: {out} was not written by recdata (no manifest.json or "
            f"recdata-export.json; it holds {_some(everything)}); choose another -o folder"
        )
    if unlisted:
        raise UsageError(
            f"--overwrite refused: {out} holds files recdata did not write ({_some(unlisted)}); "
            "move them out or choose another -o folder"
        )
    return target


def _home() -> Path:
    """The home folder (``$HOME``); ``/`` when it cannot be determined, so nothing above is replaced."""
    try:
        return Path.home()
    except RuntimeError:
        return Path("/")


def _files(folder: Path) -> list[str]:
    """Relative paths of everything but folders under ``folder``, sorted."""
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_symlink() or not p.is_dir()
    )


def _some(names: list[str], shown: int = 3) -> str:
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more if names else "only empty folders"


# --------------------------------------------------------------------------- lock


def _try_lock(fd: int) -> bool:
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextlib.contextmanager
def _folder_lock(target: Path) -> Iterator[None]:
    """Hold ``.NAME.lock`` beside ``target`` (``flock``); wait, saying so, while another writer holds it.

    The lock file is removed on release; a waiter that then holds a removed file retries.
    """
    import fcntl

    path = target.parent / f".{target.name}.lock"
    said = False
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise UsageError(f"cannot write beside {target}: {exc.strerror}") from exc
        try:
            if not _try_lock(fd):
                if not said:
                    holder = _lock_text(fd).removeprefix("recdata").strip() or "?"
                    log.warning("waiting: recdata process %s is writing %s", holder, target.name)
                    said = True
                fcntl.flock(fd, fcntl.LOCK_EX)
            same = os.path.exists(path) and os.stat(path).st_ino == os.fstat(fd).st_ino
            if same and _lock_text(fd) and not _LOCK_TEXT.fullmatch(_lock_text(fd)):
                raise UsageError(
                    f"{path} is not a recdata lock file; move it away or choose another -o folder"
                )
        except BaseException:
            os.close(fd)
            raise
        if same:
            break
        os.close(fd)  # the previous holder removed the file: lock the new one
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"recdata {os.getpid()}\n".encode(), 0)
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
        os.close(fd)


def _lock_text(fd: int) -> str:
    return os.pread(fd, 64, 0).decode("ascii", "replace")


# --------------------------------------------------------------------------- stale temporaries


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _marked(folder: Path) -> bool:
    """True when ``folder`` holds recdata's marker naming this host."""
    try:
        words = (folder / MARKER).read_text(encoding="ascii").split()
    except (OSError, UnicodeDecodeError):
        return False
    return len(words) == 3 and words[0] == "recdata" and words[2] == socket.gethostname()


def clean_stale(parent: Path, name: str) -> None:
    """Remove temporaries of dead recdata writers in ``parent``; rename a lone ``.NAME.old-PID`` back.

    Called with the lock on ``parent/name`` held, so every ``.NAME.tmp-*`` there is stale; other
    names' temporaries are removed only when their writer's pid is gone.
    """
    if not parent.is_dir():
        return
    for entry in sorted(parent.iterdir()):
        lock = _LOCK.match(entry.name)
        if lock and lock["name"] != name and entry.is_file() and not entry.is_symlink():
            _drop_idle_lock(entry)
        match = _STALE.match(entry.name)
        if not match or entry.is_symlink() or not entry.is_dir():
            continue
        own = match["name"] == name
        pid = int(match["pid"])
        if match["kind"] == "tmp":
            if not (own or not _alive(pid)):
                continue
            if _marked(entry):
                shutil.rmtree(entry)
                log.warning("removed %s, left by an interrupted recdata write", entry.name)
            elif own:
                log.warning("kept %s: it has no recdata marker (delete it if unused)", entry.name)
        elif own:
            _settle_old(entry, parent / name)


def _drop_idle_lock(path: Path) -> None:
    """Remove a lock file no process holds (its writer was killed); a held one is left alone."""
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return
    try:
        if (
            _LOCK_TEXT.fullmatch(_lock_text(fd))
            and _try_lock(fd)
            and os.path.exists(path)
            and os.stat(path).st_ino == os.fstat(fd).st_ino
        ):
            os.unlink(path)
            log.debug("removed idle lock %s", path.name)
    except OSError:
        pass
    finally:
        os.close(fd)


def _settle_old(old: Path, target: Path) -> None:
    """A ``.NAME.old-PID`` from a killed overwrite: the only copy if NAME is missing, else spare."""
    if not os.path.lexists(target):
        os.replace(old, target)
        log.warning("restored %s from %s (an interrupted overwrite)", target.name, old.name)
    elif not _files(old) or _unlisted(old) == []:
        shutil.rmtree(old)
        log.warning("removed %s, left by an interrupted overwrite", old.name)
    else:
        log.warning("kept %s: it holds files recdata did not write", old.name)


# --------------------------------------------------------------------------- the writer


@contextlib.contextmanager
def atomic_folder(
    out: str | Path,
    *,
    overwrite: bool = False,
    protect: Protect | None = None,
    seed: Callable[[Path], None] | None = None,
) -> Iterator[Path]:
    """Yield an empty temporary sibling of ``out`` that becomes ``out`` when the block succeeds.

    Under a lock beside ``out``, stale temporaries are cleaned and :func:`check_target` runs
    (so a refusal touches nothing). ``seed(tmp)`` fills the temporary folder first (e.g. with
    hard links to ``out``'s files). On error the temporary folder is removed, ``out`` untouched.
    """
    target = check_target(out, overwrite=overwrite, protect=protect)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"cannot create {out}: {target.parent} cannot be made a folder ({exc.strerror})"
        ) from exc
    with _folder_lock(target):
        clean_stale(target.parent, target.name)
        target = check_target(out, overwrite=overwrite, protect=protect)
        tmp = target.parent / f".{target.name}.tmp-{os.getpid()}"
        try:
            tmp.mkdir()  # never reuses a folder of that name: it is not ours to empty
        except OSError as exc:
            raise UsageError(f"cannot create {tmp}: {exc.strerror}; move it away") from exc
        try:
            (tmp / MARKER).write_text(
                f"recdata {os.getpid()} {socket.gethostname()}\n", encoding="ascii"
            )
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise UsageError(f"cannot write in {target.parent}: {exc.strerror}") from exc
        try:
            if seed is not None:
                seed(tmp)
            yield tmp
            (tmp / MARKER).unlink()
            _swap(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise


def _swap(tmp: Path, target: Path) -> None:
    """Rename ``tmp`` to ``target``; an existing ``target`` is moved aside first, then deleted."""
    old = target.parent / f".{target.name}.old-{os.getpid()}"
    moved = False
    try:
        if os.path.lexists(target):
            os.replace(target, old)
            moved = True
        os.replace(tmp, target)
    except OSError as exc:
        if moved:
            os.replace(old, target)
        raise UsageError(f"cannot replace {target}: {exc.strerror}") from exc
    if moved:
        shutil.rmtree(old, ignore_errors=True)


def atomic_file(target: Path, text: str) -> Path:
    """Write ``text`` to ``target`` through a temporary sibling and a rename (no half file).

    The caller decides whether an existing ``target`` may be replaced.
    """
    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}"
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target
