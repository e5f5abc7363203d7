"""The offline mirror: a folder named by ``CHAPTERS_MIRROR``, its files listed in ``SHA256SUMS``.

A mirror is trusted as much as the official sources: its ``SHA256SUMS`` says which bytes are right
for the files under it. Its paths must stay inside the mirror (an absolute path or one with ``..``
is refused), and the mirror itself is never written to: ``copy_from_mirror`` copies a file into a
staging folder and checks the copy.
"""

from __future__ import annotations

import hashlib
import posixpath
import shutil
from functools import cache
from pathlib import Path

from chapters import settings
from chapters.data.errors import CorruptFileError, DataError


def offline_mirror() -> Path | None:
    """Return the offline mirror folder named by ``CHAPTERS_MIRROR``, or None when unset."""
    value = settings.value(settings.MIRROR)
    if not value:
        return None
    mirror = Path(value).expanduser().resolve()
    if not (mirror / "SHA256SUMS").is_file():
        raise DataError(
            f"{settings.MIRROR}={value} is not an offline mirror: {mirror / 'SHA256SUMS'} is "
            f"missing. Point {settings.MIRROR} at a folder laid out as chapters/data/datasets.json "
            "describes, with a SHA256SUMS file listing its files."
        )
    return mirror


def mirror_checksums(mirror: Path) -> dict[str, str]:
    """Return the mirror's SHA256SUMS as {path relative to the mirror: sha256}, read again whenever
    the file changes. Raises ``DataError`` if a line names a path outside the mirror.
    """
    sums_file = mirror / "SHA256SUMS"
    status = sums_file.stat()
    return _read_checksums(sums_file, status.st_mtime_ns, status.st_size)


@cache
def _read_checksums(sums_file: Path, modified_ns: int, size: int) -> dict[str, str]:
    """Return the parsed ``sums_file`` of that modification time and size (both key the cache)."""
    sums = {}
    for number, line in enumerate(sums_file.read_text().splitlines(), start=1):
        digest, _, relative_path = line.partition("  ")
        relative_path = relative_path.strip()
        if relative_path:
            _refuse_path_outside_mirror(sums_file, number, relative_path)
            sums[relative_path] = digest.strip()
    return sums


def _refuse_path_outside_mirror(sums_file: Path, number: int, relative_path: str) -> None:
    """Raise ``DataError`` unless ``relative_path`` (line ``number`` of ``sums_file``) stays inside the mirror."""
    path = posixpath.normpath(relative_path.replace("\\", "/"))
    if posixpath.isabs(path) or path == ".." or path.startswith("../") or ":" in path.split("/")[0]:
        raise DataError(
            f"{sums_file}, line {number}, lists {relative_path!r}: a path outside the mirror (absolute, "
            "or climbing out of it with '..'). A mirror lists only the files inside its own folder, by "
            "paths relative to it, so this mirror was not used and nothing was copied. Fix or remove "
            "that line, then run again."
        )


def sha256_of(path: Path) -> str:
    """Return the hex sha256 of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def copy_from_mirror(what: str, mirror_file: Path, expected: str | None, copy: Path) -> Path:
    """Copy ``mirror_file``, part of ``what`` (e.g. "dataset 'mnist'"), to ``copy`` (in a staging
    folder) and return it, once the copy's sha256 is the one the mirror's SHA256SUMS lists; else
    raise ``CorruptFileError``.
    """
    if expected is None:
        raise CorruptFileError(
            f"{mirror_file} ({what}) is not listed in the mirror's SHA256SUMS, so "
            "it cannot be verified and was not used. Add its sha256 to SHA256SUMS."
        )
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(mirror_file, copy)
    actual = sha256_of(copy)
    if actual != expected:
        raise CorruptFileError(
            f"The mirror's copy of {what} is corrupt and was not used:\n"
            f"  {mirror_file}\n  has sha256 {actual},\n  but the mirror's SHA256SUMS says {expected}.\n"
            "Replace it with a good copy (or unset CHAPTERS_MIRROR to download it) and run again."
        )
    return copy
