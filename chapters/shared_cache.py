"""The Keras cache folder, shared safely by every process that fetches into it.

Two notebooks open at once, or parallel test workers, may fetch the same dataset together. So
every fetch of a dataset holds that dataset's lock (``dataset_lock``), writes only into a staging
folder of its own (``staging_folder``), and moves what it wrote into place only once it is complete
(``install``): a reader never sees a half-written file, and a complete file or folder is never
deleted while another process may read it. Staging left behind by a killed process is removed by
the next fetch of the same dataset (``remove_stale_staging``), under the lock, so it cannot belong
to a live one.
"""

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import filelock

from chapters import settings

STAGING_PREFIX = ".chapters-staging-"
LOCK_NOTICE_SECONDS = 2.0


def configured_cache_dir() -> Path:
    """Return the Keras cache the user chose: ``$KERAS_HOME``, else ``~/.keras`` (it may not exist)."""
    return settings.keras_home()


def keras_cache_dir() -> Path:
    """Return the folder Keras caches downloads in, and so the one this course writes to.

    That is ``configured_cache_dir()``, created if need be; when it cannot be written, Keras
    falls back to ``/tmp/.keras``, and so does this (saying so once per process).
    """
    configured = configured_cache_dir()
    with contextlib.suppress(OSError):  # judged by the access check below, as Keras judges it
        configured.mkdir(parents=True, exist_ok=True)
    if os.access(configured, os.W_OK):
        return configured
    fallback = Path("/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir()) / ".keras"
    _say_cache_fell_back(configured, fallback)
    return fallback


@cache
def _say_cache_fell_back(configured: Path, fallback: Path) -> None:
    print(
        f"The Keras cache {configured} cannot be written, so, as Keras does, this session caches "
        f"in {fallback}. Files already verified in {configured} are copied from there."
    )


LOCKS_FOLDER = ".chapters-locks"


@contextmanager
def dataset_lock(cache: Path, name: str) -> Iterator[None]:
    """Hold the lock on dataset ``name`` in the cache folder ``cache`` inside the block (the lock is
    the file ``<cache>/.chapters-locks/<name>.lock``).

    Waits as long as another process holds it, saying so after ``LOCK_NOTICE_SECONDS``. The
    operating system releases the lock of a process that dies, so a killed fetch blocks nobody.
    """
    (cache / LOCKS_FOLDER).mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(cache / LOCKS_FOLDER / f"{name}.lock")
    try:
        lock.acquire(timeout=LOCK_NOTICE_SECONDS)
    except filelock.Timeout:
        print(f"Waiting for another process (another notebook?) to finish fetching {name!r} into {cache} ...")
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


def remove_stale_staging(folder: Path, name: str) -> None:
    """Delete the staging files and folders of dataset ``name`` in ``folder``: call with its lock held."""
    for path in folder.glob(f"{STAGING_PREFIX}{name}-*"):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


@contextmanager
def staging_folder(folder: Path, name: str) -> Iterator[Path]:
    """Yield a new, empty staging folder for dataset ``name`` inside ``folder``; delete what is left
    of it when the block ends, however it ends (``install`` moves the complete result out first).
    """
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder, prefix=f"{STAGING_PREFIX}{name}-"))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def install(complete: Path, target: Path) -> Path:
    """Move the complete file or folder ``complete``, which lies in a staging folder, to ``target``
    in one step; return ``target``.

    An incomplete folder already at ``target`` (no process can be using it) is moved into that
    staging folder first, to be deleted with it.
    """
    if target.is_dir() and not target.is_symlink():
        os.replace(target, complete.with_name(f"{complete.name}.replaced"))
    os.replace(complete, target)
    return target
