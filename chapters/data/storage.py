"""A dataset's lock, and a disk's refusal (full, read-only, not permitted) told as ``StorageError``."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from chapters import shared_cache
from chapters.data.errors import StorageError

STORAGE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM}


def is_storage_error(error: BaseException) -> bool:
    """Return whether ``error`` is a disk refusing a read or write (full, read-only, not permitted)."""
    return isinstance(error, OSError) and error.errno in STORAGE_ERRNOS


@contextmanager
def fetching(what: str, size: int, cache_dir: Path, folder: Path, name: str) -> Iterator[None]:
    """Hold the lock of dataset ``name`` in the cache ``cache_dir`` inside the block, with its stale
    staging in ``folder`` removed first; a disk's refusal inside it raises ``StorageError`` naming
    ``what`` was being stored (``size`` bytes) and ``folder``.
    """
    with _storage_errors_reported(what, size, folder), shared_cache.dataset_lock(cache_dir, name):
        shared_cache.remove_stale_staging(folder, name)
        yield


@contextmanager
def _storage_errors_reported(what: str, size: int, folder: Path) -> Iterator[None]:
    """Turn a disk's refusal inside the block into ``StorageError`` naming ``what`` was being stored
    (``size`` bytes, before extraction) in the cache ``folder``, the path and the error.
    """
    try:
        yield
    except OSError as error:
        if not is_storage_error(error):
            raise
        where = f" ({error.filename})" if error.filename else ""
        raise StorageError(
            f"{what} could not be stored in the cache {folder}: {error.strerror}{where}.\n"
            f"Nothing half-written was kept. Free some space there (its files take {size / 1e6:,.1f} MB, "
            "more once extracted) or fix the folder's permissions, or point the cache (KERAS_HOME, or "
            "TFDS_DATA_DIR for TensorFlow Datasets) at a writable folder with room, then run again."
        ) from error
