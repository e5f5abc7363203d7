"""Every dataset the notebooks read, from the Keras cache, an offline mirror, or the official source.

The manifest ``data/datasets.json`` (shipped as ``chapters.manifest``) lists each dataset's files
with their official URL and sha256. ``fetch`` looks for each file, in this order:

1. the Keras cache (``$KERAS_HOME/<cache_subdir>``, default ``~/.keras``): used if its sha256 is
   the official one or the mirror's; a corrupt copy is reported, deleted and fetched again;
2. the offline mirror, a folder named by ``CHAPTERS_MIRROR``: the file is checked against the
   mirror's ``SHA256SUMS`` and copied into the cache (the mirror itself is never written to);
3. the official URL, through ``keras.utils.get_file`` (progress bar, sha256 check).

A dataset with a ``split`` (cats vs dogs) is a folder of images instead: ``fetch`` copies the
mirror's prepared folder, each file checked against ``SHA256SUMS``, or else downloads the official
archive and builds the split from it. Either way the folder appears in the cache only once complete.

A dataset with a ``content`` check has no published hash for the file the course reads, and its
official download may differ from the mirror's bytes (line endings, number formatting, a zip around
the file). Its mirror copy is still checked byte for byte; a download, or a cached copy whose bytes
are not the mirror's, is checked by what it holds instead: for a CSV table (the Beijing weather) its
columns, row count and a sha256 of its parsed values (``csv_content``); for a word-vectors file (the
GloVe subset) its number of words, values per word and a sha256 of the words and float32 values
(``word_vectors_content``). When the course reads only the first lines of the official file (GloVe's
20,000 most frequent words of 400,000), those lines are streamed out of the download and kept alone.

A file found nowhere raises ``DatasetNotFoundError`` saying where it looked and how to supply it;
a file whose sha256 (or checked content) is wrong raises ``CorruptFileError`` and is never used; a
full disk or a folder that cannot be written raises ``StorageError`` naming the path and the error.
These errors (``DataError``) reach a notebook without the package's frames, message first.

Several processes may fetch one dataset at once: each fetch holds the dataset's lock and builds
in a staging folder of its own, moved into place only when complete (``chapters.shared_cache``).
A file copied from the mirror is remembered as verified (its sha256 in ``.<name>.sha256`` beside
it), so it stays usable when the mirror is later unset; an extracted archive or a built image
folder is marked complete, and is then used as it is.

A mirror is trusted as much as the official sources: its ``SHA256SUMS`` says which bytes are
right for the files under it. Its paths must stay inside the mirror (an absolute path or one with
``..`` is refused), and nothing is ever written outside the cache folders.
"""

from __future__ import annotations

import csv
import errno
import functools
import gzip
import hashlib
import json
import linecache
import posixpath
import shutil
import urllib.parse
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from traceback import walk_tb
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from chapters import settings, shared_cache
from chapters.shared_cache import configured_cache_dir, keras_cache_dir

if TYPE_CHECKING:
    import pandas as pd
    from IPython.core.interactiveshell import InteractiveShell

EXTRACTED_MARKER = ".chapters-extracted"
COMPLETE_MARKER = ".chapters-complete"


PACKAGE_DIR = Path(__file__).resolve().parent


def full_traceback_wanted() -> bool:
    """Return whether ``CHAPTERS_TRACEBACK`` asks for data errors' full tracebacks (``full``)."""
    return settings.value(settings.TRACEBACK).lower() == "full"


class DataError(Exception):
    """A dataset could not be provided; the message says why and what to do.

    It reads short where a student meets it. The functions a notebook calls (marked
    ``@user_facing``) raise it without the package's own frames, in a plain ``python`` traceback
    as in a notebook; in IPython and Jupyter it renders its message first, then the line of the
    caller's code that led to it. ``CHAPTERS_TRACEBACK=full`` keeps every frame.
    """

    def _render_traceback_(self) -> list[str]:
        """Return the lines IPython shows for this error: IPython calls this method, when an
        exception has one, instead of formatting the traceback itself."""
        from IPython import get_ipython  # only IPython calls this method

        shell = get_ipython()
        if full_traceback_wanted() and shell is not None:
            return shell.InteractiveTB.structured_traceback(type(self), self, self.__traceback__)
        lines = [f"{type(self).__name__}: {self}", ""]
        call = _call_outside_the_package(self.__traceback__, shell)
        if call is not None:
            lines += [f"Raised by the chapters package, called from {call[0]}:", f"    {call[1]}", ""]
        lines.append(
            f"(The package's own frames are left out: set {settings.TRACEBACK}=full, in a notebook "
            f"with %env {settings.TRACEBACK}=full, and run the cell again to see them.)"
        )
        return lines


class DatasetNotFoundError(DataError):
    """A dataset file is in neither the cache, the mirror, nor reachable at its URL."""


class CorruptFileError(DataError):
    """A dataset file's sha256 is not the one it must have; the file was not used."""


class StorageError(DataError):
    """A dataset could not be written to (or read from) disk: full, read-only or not permitted."""


def _call_outside_the_package(
    traceback: TracebackType | None, shell: InteractiveShell | None
) -> tuple[str, str] | None:
    """Return (where, source line) of the last frame in ``traceback`` outside this package, the
    caller's code: where is "Cell In[3], line 2" for a notebook cell (the name IPython's ``shell``
    gives it, when there is one), else "FILE, line N"; None when every frame is the package's."""
    outside = [
        (frame.f_code.co_filename, line)
        for frame, line in walk_tb(traceback)
        if not Path(frame.f_code.co_filename).resolve().is_relative_to(PACKAGE_DIR)
    ]
    if not outside:
        return None
    filename, line = outside[-1]
    label = shell.compile.format_code_name(filename) if shell is not None else None
    where = f"{' '.join(label)}, line {line}" if label is not None else f"{filename}, line {line}"
    return where, linecache.getline(filename, line).strip()


def user_facing(function: Callable) -> Callable:
    """Mark ``function`` as one the notebooks call: a ``DataError`` it raises reaches the caller
    with a traceback that starts at this call, the package's frames below it left out (unless
    ``CHAPTERS_TRACEBACK=full``). Returns the wrapped function. Nested marked functions are fine:
    the outermost call is where the traceback starts."""

    @functools.wraps(function)
    def called_by_a_notebook(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except DataError as error:
            if full_traceback_wanted():
                raise
            # The same error re-raised, not chained (no `from`): its own cause, if any, stays.
            raise error.with_traceback(None)  # noqa: B904 - package frames left out; CHAPTERS_TRACEBACK=full shows them

    return called_by_a_notebook


class ContentError(ValueError):
    """A file cannot be read as the kind of table its content check describes; the message says where."""


@dataclass(frozen=True)
class DataFile:
    """One file of a dataset: its name in the cache, official URL, sha256 and size in bytes.

    ``archive_member`` is set when the official URL serves a zip archive holding the file under
    that name rather than the file itself.
    """

    name: str
    url: str
    sha256: str
    size: int
    archive_member: str | None = None


@dataclass(frozen=True)
class CsvContent:
    """What a CSV file holds, independent of its bytes: header, data rows, and a values digest.

    ``values_sha256`` is the sha256 of the parsed data rows (see ``csv_content``), so a copy with
    other line endings or number formatting (``1021`` or ``1021.0``) has the same content.
    In the manifest: ``{"format": "csv", "columns": [...], "rows": ..., "values_sha256": ...}``.
    """

    columns: tuple[str, ...]
    rows: int
    values_sha256: str

    @property
    def lines_kept(self) -> None:
        """Return None: a download is kept whole, every line of it."""
        return None

    def found_in(self, path: Path) -> CsvContent:
        """Return what the CSV file at ``path`` holds; raise ``ContentError`` if it is not CSV."""
        try:
            return csv_content(path)
        except csv.Error as error:
            raise ContentError(f"not a readable CSV file ({error})") from None

    def describe(self) -> str:
        """Return the content in words, for error messages (long or binary headers shortened)."""
        columns = ", ".join(self.columns).encode("unicode_escape").decode()
        columns = columns if len(columns) <= 160 else columns[:160] + "..."
        return f"{self.rows:,} rows, columns {columns}, values sha256 {self.values_sha256}"


@dataclass(frozen=True)
class WordVectorsContent:
    """What a word-vectors text file (GloVe's format) holds, independent of its bytes.

    ``words`` lines, each a word and ``dimensions`` values; ``values_sha256`` is the sha256 of the
    words and their values as float32, in order (see ``word_vectors_content``), so a copy with
    other line endings or number formatting (``1`` or ``1.0``) has the same content. A download
    is cut to its first ``words`` lines before it is checked. In the manifest:
    ``{"format": "word_vectors", "words": ..., "dimensions": ..., "values_sha256": ...}``.
    """

    words: int
    dimensions: int
    values_sha256: str

    @property
    def lines_kept(self) -> int:
        """Return how many (non-blank) lines of a download to keep: the first ``words``."""
        return self.words

    def found_in(self, path: Path) -> WordVectorsContent:
        """Return what the file at ``path`` holds; raise ``ContentError`` for a malformed line."""
        return word_vectors_content(path, self.dimensions)

    def describe(self) -> str:
        """Return the content in words, for error messages."""
        return f"{self.words:,} words of {self.dimensions} values, values sha256 {self.values_sha256}"


CONTENT_FORMATS = {"csv": CsvContent, "word_vectors": WordVectorsContent}


@dataclass(frozen=True)
class Dataset:
    """A dataset of the manifest: where its files live in the cache and in the mirror.

    ``split`` (image folders only) gives the images per class in each subset, e.g.
    ``{"train": 1000, "validation": 500, "test": 500}``; ``classes`` maps each class folder to
    the folder holding it in the archive. ``content`` (files with no published hash) is what the
    file must hold when its bytes are not the ones its ``sha256`` names.
    """

    name: str
    description: str
    license: str
    returns: str
    cache_subdir: str
    mirror_dir: str
    files: tuple[DataFile, ...]
    extract: bool = False
    split: dict[str, int] | None = None
    classes: dict[str, str] | None = None
    content: CsvContent | WordVectorsContent | None = None


@cache
def _manifest_document() -> dict:
    """Return the manifest as parsed JSON: the checkout's ``data/datasets.json`` when the package
    runs from a checkout (an editable install, a worktree, a folder on ``PYTHONPATH``), which is
    where ``chapters.manifest`` then resolves only through an install, if at all; else the copy
    installed with the package as ``chapters.manifest``."""
    checkout = Path(__file__).resolve().parent.parent
    in_checkout = checkout / "data" / "datasets.json"
    if (checkout / "pyproject.toml").is_file() and in_checkout.is_file():
        return json.loads(in_checkout.read_text())
    return json.loads(resources.files("chapters.manifest").joinpath("datasets.json").read_text())


@cache
def manifest() -> dict[str, Dataset]:
    """Return the manifest's datasets by name."""
    datasets = _manifest_document()["datasets"]
    return {
        name: Dataset(
            name=name,
            files=tuple(DataFile(**file) for file in entry["files"]),
            content=_content_entry(name, entry.get("content")),
            **{key: value for key, value in entry.items() if key not in ("files", "content")},
        )
        for name, entry in datasets.items()
    }


def _content_entry(dataset: str, entry: dict | None) -> CsvContent | WordVectorsContent | None:
    """Return the manifest's ``content`` entry of ``dataset`` as the class its ``format`` names."""
    if entry is None:
        return None
    fields = {key: value for key, value in entry.items() if key != "format"}
    content_class = CONTENT_FORMATS.get(str(entry.get("format")))
    if content_class is None:
        raise DataError(
            f"The manifest's dataset {dataset!r} has a content check of unknown format "
            f"{entry.get('format')!r}; give it one of {', '.join(CONTENT_FORMATS)} in data/datasets.json."
        )
    return content_class(
        **{key: tuple(value) if isinstance(value, list) else value for key, value in fields.items()}
    )


def offline_mirror() -> Path | None:
    """Return the offline mirror folder named by ``CHAPTERS_MIRROR``, or None when unset."""
    value = settings.value(settings.MIRROR)
    if not value:
        return None
    mirror = Path(value).expanduser().resolve()
    if not (mirror / "SHA256SUMS").is_file():
        raise DataError(
            f"{settings.MIRROR}={value} is not an offline mirror: {mirror / 'SHA256SUMS'} is "
            f"missing. Point {settings.MIRROR} at a folder laid out as data/datasets.json "
            "describes, with a SHA256SUMS file listing its files."
        )
    return mirror


def _mirror_checksums(mirror: Path) -> dict[str, str]:
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


@user_facing
def fetch(dataset: str | Dataset) -> Path:
    """Make every file of ``dataset`` present and verified in the Keras cache.

    Returns the cache folder holding its files, for an archive the folder it was extracted to,
    and for an image folder dataset (one with a ``split``) the folder holding its subsets.
    """
    if isinstance(dataset, str):
        dataset = _dataset_named(dataset)
    cache_dir = keras_cache_dir()
    folder = cache_dir / dataset.cache_subdir
    size = sum(data_file.size for data_file in dataset.files)
    with _fetching(f"Dataset {dataset.name!r}", size, cache_dir, folder, dataset.name):
        if dataset.split is not None:
            return _image_folder(dataset, folder)
        if dataset.extract:
            return _extracted(dataset, folder)
        for data_file in dataset.files:
            _fetch_file(dataset, data_file, folder)
        return folder


def _dataset_named(name: str) -> Dataset:
    datasets = manifest()
    if name not in datasets:
        raise KeyError(f"No dataset {name!r} in the manifest; it lists {', '.join(datasets)}.")
    return datasets[name]


STORAGE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM}


def is_storage_error(error: BaseException) -> bool:
    """Return whether ``error`` is a disk refusing a read or write (full, read-only, not permitted)."""
    return isinstance(error, OSError) and error.errno in STORAGE_ERRNOS


@contextmanager
def _fetching(what: str, size: int, cache_dir: Path, folder: Path, name: str) -> Iterator[None]:
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


def _fetch_file(dataset: Dataset, data_file: DataFile, folder: Path) -> Path:
    """Return the cached path of ``data_file`` after finding and verifying it (see module doc).

    Call with the dataset's lock held.
    """
    target = folder / data_file.name
    mirror = offline_mirror()
    mirror_file = mirror / dataset.mirror_dir / data_file.name if mirror else None
    mirror_sha256 = (
        _mirror_checksums(mirror).get(f"{dataset.mirror_dir}/{data_file.name}") if mirror else None
    )
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
            copy = _copy_from_mirror(
                f"dataset {dataset.name!r}", mirror_file, mirror_sha256, staging / target.name
            )
            assert mirror_sha256 is not None  # _copy_from_mirror refuses a file SHA256SUMS does not list
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


def _copy_from_mirror(what: str, mirror_file: Path, expected: str | None, copy: Path) -> Path:
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
                    "and not used; the official packaging may have changed (see data/datasets.json)."
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


def csv_content(path: Path) -> CsvContent:
    """Return what the CSV file at ``path`` holds: header, number of data rows, values digest.

    Each field is stripped; one that parses as a number stands for ``repr(float(field))``, any
    other (``NA``, ``NW``) for its text. The digest is the sha256 of the rows so written, fields
    joined by the unit separator and rows ended by a newline; blank lines are skipped. A copy with
    other line endings, a byte-order mark or other number formatting has the same content.
    Raises ``csv.Error`` for a file the csv module cannot read (one holding NUL bytes).
    """
    digest, rows = hashlib.sha256(), 0
    with open(path, newline="", encoding="utf-8-sig", errors="replace") as stream:
        reader = csv.reader(stream)
        columns = tuple(field.strip() for field in next(reader, []))
        for row in reader:
            fields = [field.strip() for field in row]
            if not any(fields):
                continue
            digest.update(("\x1f".join(_canonical_field(field) for field in fields) + "\n").encode())
            rows += 1
    return CsvContent(columns, rows, digest.hexdigest())


def _canonical_field(field: str) -> str:
    try:
        return repr(float(field))
    except ValueError:
        return field


def word_vectors_content(path: Path, dimensions: int | None = None) -> WordVectorsContent:
    """Return what the word-vectors file at ``path`` holds: words, values per word, values digest.

    The digest is the sha256 of, for each line in order, the word's UTF-8 bytes, a unit separator,
    its values as little-endian float32 and a newline (lines read by ``read_word_vectors``). A copy
    with other line endings or number formatting has the same content. Raises ``ContentError`` for
    a line that is not a word and ``dimensions`` numbers (the first line's count, if None).
    """
    digest, words = hashlib.sha256(), 0
    for word, vector in read_word_vectors(path, dimensions):
        dimensions = len(vector)
        digest.update(word.encode() + b"\x1f" + vector.astype("<f4").tobytes() + b"\n")
        words += 1
    return WordVectorsContent(words, dimensions or 0, digest.hexdigest())


def read_word_vectors(path: Path, dimensions: int | None = None) -> Iterator[tuple[str, np.ndarray]]:
    """Yield each line of the word-vectors file at ``path`` as (word, float32 vector), in order.

    A line is a word, a space, then the values separated by whitespace, each parsed as a float
    and rounded to float32; line endings, a byte-order mark and blank lines do not matter. Raises
    ``ContentError`` (naming the line) for a line that is not UTF-8, holds a value that is not a
    number, or holds other than ``dimensions`` values (the first line's count, if None).
    """
    with open(path, "rb") as stream:
        for number, line in enumerate(stream, start=1):
            text = line.removeprefix(b"\xef\xbb\xbf") if number == 1 else line
            if text.strip():
                word, vector = _word_vector(number, text.rstrip(), dimensions)
                dimensions = len(vector)
                yield word, vector


def _word_vector(number: int, line: bytes, dimensions: int | None) -> tuple[str, np.ndarray]:
    """Return line ``number`` (no line ending) as (word, float32 vector); raise ``ContentError``."""
    raw_word, _, values = line.partition(b" ")
    try:
        word = raw_word.decode()
    except UnicodeDecodeError:
        raise ContentError(
            f"not a word-vectors file: line {number:,} does not start with a UTF-8 word"
        ) from None
    fields = values.split()
    if dimensions is not None and len(fields) != dimensions:
        raise ContentError(
            f"not {dimensions}-value word vectors: line {number:,} (word {word!r}) holds "
            f"{len(fields)} values, not {dimensions}"
        )
    try:
        return word, np.array([float(field) for field in fields], dtype=np.float32)
    except ValueError:
        raise ContentError(
            f"not a word-vectors file: line {number:,} (word {word!r}) holds a value that is not a number"
        ) from None


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


def _extracted(dataset: Dataset, folder: Path) -> Path:
    """Return the folder ``dataset``'s archive is extracted to, extracting it once, completely.

    The folder is the one ``keras.utils.get_file(..., extract=True)`` would use: the archive's name
    up to its first dot, then ``_extracted``. Once marked complete it is used as it is, with no
    need of the archive. Call with the dataset's lock held.
    """
    archive_file = dataset.files[-1]

    def unpack(unpacked: Path) -> None:
        archive = _fetch_file(dataset, archive_file, folder)
        shutil.unpack_archive(archive, unpacked, filter="data")  # "data": no member lands outside it

    extracted = folder / f"{archive_file.name.split('.')[0]}_extracted"
    return _folder_built_once(extracted, EXTRACTED_MARKER, dataset.name, unpack)


def _image_folder(dataset: Dataset, folder: Path) -> Path:
    """Return ``<cache>/<cache_subdir>/<name>``, built from the mirror's folder or the archive.

    Call with the dataset's lock held.
    """

    def build(built: Path) -> None:
        mirror = offline_mirror()
        if mirror is not None and (mirror / dataset.mirror_dir).is_dir():
            _copy_mirror_folder(dataset, mirror, built)
        else:
            _split_archive(dataset, _fetch_file(dataset, dataset.files[0], folder), built)

    return _folder_built_once(folder / dataset.name, COMPLETE_MARKER, dataset.name, build)


def _folder_built_once(target: Path, marker: str, name: str, build: Callable[[Path], None]) -> Path:
    """Return the folder ``target`` once it holds ``marker``; if it does not yet, let ``build`` fill
    a new folder in a staging folder of dataset ``name``, mark it, and move it to ``target``.
    Call with the dataset's lock held.
    """
    if (target / marker).exists():
        return target
    with shared_cache.staging_folder(target.parent, name) as staging:
        built = staging / target.name
        build(built)
        (built / marker).touch()
        return shared_cache.install(built, target)


def _copy_mirror_folder(dataset: Dataset, mirror: Path, built: Path) -> None:
    """Copy every file SHA256SUMS lists under the mirror's folder into ``built``, verified."""
    prefix = f"{dataset.mirror_dir}/"
    listed = {path: digest for path, digest in _mirror_checksums(mirror).items() if path.startswith(prefix)}
    if not listed:
        raise CorruptFileError(
            f"The mirror's folder {mirror / dataset.mirror_dir} is not listed in its SHA256SUMS, so "
            f"its files cannot be verified and were not used. List them there (dataset {dataset.name!r})."
        )
    for relative_path, expected in sorted(listed.items()):
        source = mirror / relative_path
        if not source.is_file():
            raise CorruptFileError(
                f"The mirror's SHA256SUMS lists {source}, but the file is missing; the mirror's "
                f"copy of {dataset.name!r} was not used. Restore the file and run again."
            )
        _copy_from_mirror(
            f"dataset {dataset.name!r}", source, expected, built / relative_path.removeprefix(prefix)
        )


def is_jfif(header: bytes) -> bool:
    """Return whether a file's first bytes mark a JFIF JPEG (the archive also holds broken files)."""
    return b"JFIF" in header[:10]


def _split_archive(dataset: Dataset, archive: Path, built: Path) -> None:
    """Write ``dataset.split`` from the archive into ``built``: per class, the valid JPEGs in
    numeric order, the first ones to the first subset, the next ones to the next, and so on.
    """
    assert dataset.split is not None and dataset.classes is not None  # an image-folder dataset's
    with zipfile.ZipFile(archive) as zipped:
        for class_name, archive_folder in dataset.classes.items():
            members = sorted(
                (
                    name
                    for name in zipped.namelist()
                    if name.startswith(f"{archive_folder}/") and name.lower().endswith(".jpg")
                ),
                key=lambda name: int(Path(name).stem) if Path(name).stem.isdigit() else -1,
            )
            needed = [subset for subset, count in dataset.split.items() for _ in range(count)]
            for member in members:
                if not needed:
                    break
                content = zipped.read(member)
                if not is_jfif(content):
                    continue
                destination = (
                    built
                    / needed.pop(0)
                    / class_name
                    / f"{Path(archive_folder).name.lower()}.{Path(member).stem}.jpg"
                )
                destination.parent.mkdir(parents=True, exist_ok=True)
                destination.write_bytes(content)
            if needed:
                raise CorruptFileError(
                    f"{archive} holds too few valid JPEGs in {archive_folder}/ for the "
                    f"{dataset.name!r} split {dataset.split}; the folder was not built."
                )


# Loaders, one per dataset a notebook reads as arrays or folders.


def read_idx(path: Path) -> np.ndarray:
    """Return the array stored in a gzipped IDX file (the MNIST format) as a writable uint8 array."""
    with gzip.open(path, "rb") as stream:
        content = stream.read()
    num_dimensions = content[3]
    shape = tuple(int.from_bytes(content[4 + 4 * i : 8 + 4 * i], "big") for i in range(num_dimensions))
    return np.frombuffer(bytearray(content), dtype=np.uint8, offset=4 + 4 * num_dimensions).reshape(shape)


def _load_idx_dataset(name: str) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    folder = fetch(name)
    train_images, train_labels, test_images, test_labels = (
        read_idx(folder / f"{split}-{kind}-ubyte.gz")
        for split, kind in (
            ("train", "images-idx3"),
            ("train", "labels-idx1"),
            ("t10k", "images-idx3"),
            ("t10k", "labels-idx1"),
        )
    )
    return (train_images, train_labels), (test_images, test_labels)


@user_facing
def load_mnist() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Return MNIST as ``(train_images, train_labels), (test_images, test_labels)``, uint8.

    Shapes (60000, 28, 28), (60000,), (10000, 28, 28), (10000,): the arrays, in the same order,
    that ``keras.datasets.mnist.load_data()`` returns.
    """
    return _load_idx_dataset("mnist")


@user_facing
def load_fashion_mnist() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Return Fashion-MNIST as ``(train_images, train_labels), (test_images, test_labels)``, uint8."""
    return _load_idx_dataset("fashion_mnist")


@user_facing
def load_california_housing() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Return California housing as ``(train_features, train_prices), (test_features, test_prices)``.

    Keras's own split of its small version (``keras.datasets.california_housing.load_data(version="small")``,
    the one the book uses): 480 and 120 districts of the 1990 census, 8 float32 features each
    (longitude, latitude, median house age, total rooms, total bedrooms, population, households,
    median income) and the median house value in dollars.
    """
    import keras

    fetch("california_housing")
    return keras.datasets.california_housing.load_data(version="small")


@user_facing
def imdb_reviews_directory() -> Path:
    """Return the ``aclImdb`` folder: ``train/`` and ``test/``, each with ``pos/`` and ``neg/`` reviews."""
    return fetch("imdb_reviews") / "aclImdb"


@user_facing
def cats_vs_dogs_directory() -> Path:
    """Return the cats vs dogs folder: ``train/`` (1,000 images per class), ``validation/`` (500) and
    ``test/`` (500), each with ``cats/`` and ``dogs/``, ready for ``keras.utils.image_dataset_from_directory``.

    The book's split, built from Microsoft's Kaggle archive or copied from the offline mirror.
    """
    return fetch("cats_vs_dogs")


@user_facing
def load_beijing_pm25() -> pd.DataFrame:
    """Return UCI's Beijing PM2.5 table: one row per hour, 2010-01-01 00:00 to 2014-12-31 23:00.

    A pandas DataFrame of 43,824 rows indexed by the hour (``time``), with the file's columns:
    ``pm2.5`` (µg/m³; NaN for the 2,067 hours it is missing), ``DEWP`` (dew point, °C), ``TEMP``
    (°C), ``PRES`` (hPa), ``cbwd`` (combined wind direction: ``NE``, ``NW``, ``SE``, or ``cv`` for
    calm and variable), ``Iws`` (wind speed in m/s, cumulated over the hours the direction has
    held), ``Is`` and ``Ir`` (hours of snow and of rain, cumulated likewise). The file's row number
    and date columns become the index.
    """
    import pandas as pd

    dataset = _dataset_named("beijing_pm25")
    table = pd.read_csv(fetch(dataset) / dataset.files[0].name)
    table.index = pd.DatetimeIndex(pd.to_datetime(table[["year", "month", "day", "hour"]]), name="time")
    return table.drop(columns=["No", "year", "month", "day", "hour"])


@user_facing
def load_glove() -> dict[str, np.ndarray]:
    """Return GloVe's 50-dimensional word vectors (glove.6B, Wikipedia 2014 + Gigaword 5) of the
    20,000 most frequent words: a dict mapping each word (lowercase) to its float32 vector of
    shape (50,), in the file's order, most frequent first (``the``, ``,``, ``.``, ``of``, ...).

    Only this subset of the 400,000 words is kept, online or offline; look words up with ``.get``.
    """
    dataset = _dataset_named("glove_6b_50d")
    assert isinstance(dataset.content, WordVectorsContent)  # the manifest's check of GloVe
    return dict(read_word_vectors(fetch(dataset) / dataset.files[0].name, dataset.content.dimensions))


@user_facing
def load_nietzsche() -> str:
    """Return the Nietzsche corpus of Keras's character-level LSTM example (Beyond Good and Evil,
    tr. Zimmern) as one string: 600,893 characters, line breaks included, case kept: 84 distinct
    characters, 57 once lowercased as the book does before training.
    """
    dataset = _dataset_named("nietzsche")
    return (fetch(dataset) / dataset.files[0].name).read_text(encoding="utf-8")


@user_facing
def load_tfds(name: str, **load_arguments: Any) -> Any:
    """Return ``tensorflow_datasets.load(name, **load_arguments)``, seeding its cache from the mirror.

    With ``CHAPTERS_MIRROR`` set, the mirror's prepared build is checked against ``SHA256SUMS``
    and copied into ``TFDS_DATA_DIR`` (default ``~/tensorflow_datasets``) first.
    """
    import tensorflow_datasets as tfds

    data_dir = settings.tfds_data_dir()
    mirror = offline_mirror()
    version = _manifest_document()["tfds"]["builds"].get(name)
    if mirror is not None and version is not None:
        _seed_tfds_build(mirror, name, version, data_dir / name)
    return tfds.load(name, data_dir=str(data_dir), **load_arguments)


TFDS_BUILD_INFO = "dataset_info.json"


def _seed_tfds_build(mirror: Path, name: str, version: str, folder: Path) -> None:
    """Copy the mirror's prepared TFDS build of ``name`` into ``folder/version``, verified, unless a
    complete build (one with its ``dataset_info.json``) is there; an incomplete one is replaced.
    """
    build = folder / version
    if (build / TFDS_BUILD_INFO).is_file():
        return
    build_prefix = f"{_manifest_document()['tfds']['mirror_dir']}/{name}/{version}/"
    listed = {
        path: digest for path, digest in _mirror_checksums(mirror).items() if path.startswith(build_prefix)
    }
    if f"{build_prefix}{TFDS_BUILD_INFO}" not in listed:
        raise CorruptFileError(
            f"The mirror's SHA256SUMS lists no {build_prefix}{TFDS_BUILD_INFO}, so its TFDS build of "
            f"{name!r} cannot be verified as complete and was not used. List every file of "
            f"{mirror / build_prefix} there, then run again."
        )
    what, lock_name = f"the TFDS build of {name!r}", f"tfds-{name}"
    size = sum((mirror / path).stat().st_size for path in listed if (mirror / path).is_file())
    with _fetching(what, size, folder.parent, folder, lock_name):
        if (build / TFDS_BUILD_INFO).is_file():  # another process installed it while this one waited
            return
        with shared_cache.staging_folder(folder, lock_name) as staging:
            copied = staging / version
            for relative_path, expected in listed.items():
                _copy_from_mirror(
                    what, mirror / relative_path, expected, copied / relative_path.removeprefix(build_prefix)
                )
            shared_cache.install(copied, build)
