"""One file of a dataset, present and verified in the Keras cache (``fetch_file``).

It looks in the Keras cache (used if its sha256 is the official one, the mirror's, or recorded
when it was copied from a mirror; a corrupt copy is reported, deleted and fetched again), then in
the offline mirror (copied and checked against ``SHA256SUMS``, the sha256 recorded beside the
copy), then at the official URL through ``keras.utils.get_file``. A file with a ``content`` check
(no published hash) is checked by what it holds instead of its bytes; when the course reads only
its first lines, those are streamed out of the download and kept alone. Every fetch builds in a
staging folder, moved into place only when verified (``chapters.shared_cache``).
"""

from __future__ import annotations

import posixpath
import shutil
import urllib.parse
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from chapters import settings, shared_cache
from chapters.data.catalog import DataFile, Dataset
from chapters.data.content import ContentError
from chapters.data.errors import CorruptFileError, DatasetNotFoundError
from chapters.data.mirror import copy_from_mirror, mirror_checksums, offline_mirror, sha256_of
from chapters.data.storage import is_storage_error
from chapters.shared_cache import configured_cache_dir


def fetch_file(dataset: Dataset, data_file: DataFile, folder: Path) -> Path:
    """Return the cached path of ``data_file`` after finding and verifying it (see module doc).

    Call with the dataset's lock held.
    """
    target = folder / data_file.name
    mirror = offline_mirror()
    mirror_file = mirror / dataset.mirror_dir / data_file.name if mirror else None
    mirror_sha256 = mirror_checksums(mirror).get(f"{dataset.mirror_dir}/{data_file.name}") if mirror else None
    if target.exists():
        actual = sha256_of(target)
        if _is_verified(dataset, data_file, target, actual, mirror_sha256):
            return target
        expected = f"expected {data_file.sha256}" + (" or the content it holds" if dataset.content else "")
        print(
            f"The cached {target} is corrupt (sha256 {actual}, {expected}); deleting it and fetching it again."
        )
        target.unlink()
        _verified_record(target).unlink(missing_ok=True)

    with shared_cache.staging_folder(folder, dataset.name) as staging:
        unwritable_copy = _unwritable_cache_copy(dataset, data_file, folder, mirror_sha256)
        if unwritable_copy is not None:
            source, sha256 = unwritable_copy
            copy = Path(shutil.copyfile(source, staging / target.name))
            return _install_recording_sha256(copy, sha256, target)
        if mirror_file is not None and mirror_file.is_file():
            copy = copy_from_mirror(
                f"dataset {dataset.name!r}", mirror_file, mirror_sha256, staging / target.name
            )
            assert mirror_sha256 is not None  # copy_from_mirror refuses a file SHA256SUMS does not list
            return _install_recording_sha256(copy, mirror_sha256, target)
        return shared_cache.install(_download(dataset, data_file, staging, target, mirror_file), target)


def _is_verified(
    dataset: Dataset, data_file: DataFile, path: Path, actual: str, mirror_sha256: str | None
) -> bool:
    """Return whether the file at ``path``, of sha256 ``actual``, may be used as ``data_file``: its
    bytes are the official ones, the mirror's, or the ones recorded when it was copied from a mirror,
    or it holds the expected content.
    """
    recorded = _verified_record(path)
    recorded_sha256 = recorded.read_text().strip() if recorded.is_file() else None
    return actual in (data_file.sha256, mirror_sha256, recorded_sha256) or _holds_expected_content(
        dataset, path
    )


def _verified_record(path: Path) -> Path:
    """Return the file beside cached ``path`` that records the sha256 it was verified with."""
    return path.with_name(f".{path.name}.sha256")


def _install_recording_sha256(copy: Path, sha256: str, target: Path) -> Path:
    """Move the verified ``copy`` (in a staging folder) to ``target``, its sha256 recorded beside
    it first; return ``target``.
    """
    record = copy.with_name(_verified_record(copy).name)
    record.write_text(f"{sha256}\n")
    shared_cache.install(record, _verified_record(target))
    return shared_cache.install(copy, target)


def _unwritable_cache_copy(
    dataset: Dataset, data_file: DataFile, folder: Path, mirror_sha256: str | None
) -> tuple[Path, str] | None:
    """Return the path and sha256 of a verified copy of ``data_file`` in the configured Keras cache,
    when that cache cannot be written and so is not ``folder``'s; else None.
    """
    configured = configured_cache_dir() / dataset.cache_subdir
    if configured == folder:
        return None
    path = configured / data_file.name
    if not path.is_file():
        return None
    sha256 = sha256_of(path)
    return (path, sha256) if _is_verified(dataset, data_file, path, sha256, mirror_sha256) else None


def _download(
    dataset: Dataset, data_file: DataFile, staging: Path, target: Path, mirror_file: Path | None
) -> Path:
    """Download ``data_file`` into ``staging`` and verify it; return the verified file's path there."""
    if dataset.content is not None:
        return _download_checking_content(dataset, data_file, staging, target, mirror_file)
    return _get_file(dataset, data_file, data_file.name, data_file.sha256, staging, target, mirror_file)


def _get_file(
    dataset: Dataset,
    data_file: DataFile,
    file_name: str,
    sha256: str | None,
    staging: Path,
    target: Path,
    mirror_file: Path | None,
) -> Path:
    """Download ``data_file.url`` into ``staging`` as ``file_name`` with Keras; return its path.

    ``sha256`` (None: no byte check) is verified by Keras; a mismatch raises ``CorruptFileError``,
    a network failure ``DatasetNotFoundError`` (both say what to do), a disk's refusal ``OSError``.
    """
    import keras

    try:
        path = keras.utils.get_file(
            file_name,
            origin=data_file.url,
            file_hash=sha256,
            hash_algorithm="sha256",
            cache_dir=str(staging),
            cache_subdir="download",
        )
    except ValueError as error:  # get_file's hash check failed; the staging folder goes with the file
        raise CorruptFileError(
            f"The download of {dataset.name!r} from {data_file.url} is incomplete or corrupt: its "
            f"sha256 is not {data_file.sha256}. The file was deleted and not used; run again to "
            f"retry the download. ({error})"
        ) from None
    except Exception as error:  # get_file reports network failures as a bare Exception
        if is_storage_error(error):
            raise
        raise DatasetNotFoundError(
            _not_found_message(dataset, data_file, target, mirror_file, error)
        ) from None
    return Path(path)


def _download_checking_content(
    dataset: Dataset, data_file: DataFile, staging: Path, target: Path, mirror_file: Path | None
) -> Path:
    """Download a file whose official bytes are not pinned into ``staging``; return the path there
    of the file the course reads, once its content checks.

    The download (the file, or the zip archive holding it) is kept under a name of its own; the
    file (only its first ``content.lines_kept`` lines, if set) is written beside it and checked.
    Both go with the staging folder; only a file that passes the check is moved to ``target``.
    """
    url_name = posixpath.basename(urllib.parse.urlparse(data_file.url).path)
    download_name = url_name if data_file.archive_member else f"{data_file.name}.unchecked"
    download = _get_file(dataset, data_file, download_name, None, staging, target, mirror_file)
    checked = staging / target.name
    assert dataset.content is not None  # only a dataset with a content check is downloaded this way
    with _open_download(dataset, download, data_file.archive_member) as source:
        _copy_lines(source, checked, dataset.content.lines_kept)
    download.unlink()
    _check_content(dataset, data_file, checked)
    return checked


@contextmanager
def _open_download(dataset: Dataset, download: Path, member: str | None) -> Iterator[IO[bytes]]:
    """Yield the downloaded file as a binary stream, or, if ``member`` is set, the zip ``download``'s
    file of that name (in any of its folders), read from the archive as it is consumed.
    """
    if member is None:
        with open(download, "rb") as stream:
            yield stream
        return
    try:
        with zipfile.ZipFile(download) as zipped:
            matches = [name for name in zipped.namelist() if Path(name).name == member]
            if not matches:
                raise CorruptFileError(
                    f"The archive downloaded for {dataset.name!r} ({download.name}) holds no file "
                    f"{member}; it holds {', '.join(zipped.namelist()) or 'nothing'}. It was deleted "
                    "and not used; the official packaging may have changed (see chapters/data/datasets.json)."
                )
            with zipped.open(matches[0]) as stream:
                yield stream
    except zipfile.BadZipFile:
        raise CorruptFileError(
            f"The archive downloaded for {dataset.name!r} ({download.name}) is not a readable zip "
            "file (an interrupted download?). It was deleted and not used; run again to retry."
        ) from None


def _copy_lines(source: IO[bytes], destination: Path, lines: int | None) -> None:
    """Write ``source`` to ``destination``: all of it, or only up to its ``lines``-th non-blank line."""
    with open(destination, "wb") as sink:
        if lines is None:
            shutil.copyfileobj(source, sink)
            return
        kept = 0
        for line in source:
            if kept == lines:
                break
            sink.write(line)
            kept += bool(line.strip())


def _check_content(dataset: Dataset, data_file: DataFile, path: Path) -> None:
    """Raise ``CorruptFileError`` unless ``path`` holds the content the manifest gives ``dataset``."""
    expected = dataset.content
    assert expected is not None  # called only for a dataset with a content check
    try:
        found = expected.found_in(path)
    except ContentError as error:
        found_line = str(error)
    else:
        if found == expected:
            return
        found_line = found.describe()
    raise CorruptFileError(
        f"The download of {dataset.name!r} from {data_file.url} does not hold the data this course "
        f"was checked against, so it was deleted and not used.\n"
        f"  expected: {expected.describe()}\n"
        f"  found:    {found_line}\n"
        "The source publishes no checksum, so the file's parsed values are checked instead of its "
        f"bytes. Run again to retry; if it persists, the source has changed: set {settings.MIRROR} "
        "to an offline mirror, or report it."
    )


def _holds_expected_content(dataset: Dataset, path: Path) -> bool:
    """Return whether ``path`` holds the content the manifest gives ``dataset`` (False if it has none)."""
    if dataset.content is None:
        return False
    try:
        return dataset.content.found_in(path) == dataset.content
    except ContentError:  # not that kind of table at all
        return False


def _not_found_message(
    dataset: Dataset, data_file: DataFile, target: Path, mirror_file: Path | None, error: Exception
) -> str:
    mirror_line = (
        f"  2. the offline mirror: {mirror_file} (missing)"
        if mirror_file is not None
        else f"  2. the offline mirror: not used ({settings.MIRROR} is not set)"
    )
    configured = configured_cache_dir() / dataset.cache_subdir / data_file.name
    cache_line = f"  1. the Keras cache: {target} (missing)"
    if configured != target:
        cache_line += (
            f";\n     the cache {configured_cache_dir()} cannot be written, so it was only read: "
            f"{configured} (missing or not verified)"
        )
    return (
        f"Dataset {dataset.name!r} ({dataset.description}) is not available: its file "
        f"{data_file.name} could not be found.\n"
        f"Looked in:\n{cache_line}\n{mirror_line}\n"
        f"  3. the official URL: {data_file.url} (failed: {error})\n"
        "To supply it, do one of these:\n"
        f"  - connect to the internet and run this cell again;\n"
        f"  - download {data_file.url} elsewhere and copy {_what_to_copy(dataset, data_file)} to {target};\n"
        f"  - set {settings.MIRROR} to a mirror folder holding {dataset.mirror_dir}/{data_file.name} "
        "and listing it in SHA256SUMS (see docs/offline.md in the course's repository)."
    )


def _what_to_copy(dataset: Dataset, data_file: DataFile) -> str:
    """Return what of the official download to copy into the cache, in words."""
    lines = dataset.content.lines_kept if dataset.content else None
    what = f"the file {data_file.archive_member} from that zip archive" if data_file.archive_member else "it"
    return what if lines is None else f"the first {lines:,} lines of {what}"
