"""``fetch``: every file of a dataset in the Keras cache, and the folders some datasets are.

A dataset with ``extract`` is its archive's extracted folder; one with a ``split`` (cats vs dogs)
is a folder of images, copied from the mirror's prepared folder (each file checked) or built from
the official archive. Either way the folder appears in the cache only once complete, marked so,
and is then used as it is.
"""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

from chapters import shared_cache
from chapters.data.catalog import Dataset, dataset_named
from chapters.data.errors import CorruptFileError, user_facing
from chapters.data.files import fetch_file
from chapters.data.mirror import copy_from_mirror, mirror_checksums, offline_mirror
from chapters.data.storage import fetching
from chapters.shared_cache import keras_cache_dir

EXTRACTED_MARKER = ".chapters-extracted"


COMPLETE_MARKER = ".chapters-complete"


@user_facing
def fetch(dataset: str | Dataset) -> Path:
    """Make every file of ``dataset`` present and verified in the Keras cache.

    Returns the cache folder holding its files, for an archive the folder it was extracted to,
    and for an image folder dataset (one with a ``split``) the folder holding its subsets.
    """
    if isinstance(dataset, str):
        dataset = dataset_named(dataset)
    cache_dir = keras_cache_dir()
    folder = cache_dir / dataset.cache_subdir
    size = sum(data_file.size for data_file in dataset.files)
    with fetching(f"Dataset {dataset.name!r}", size, cache_dir, folder, dataset.name):
        if dataset.split is not None:
            return image_folder(dataset, folder)
        if dataset.extract:
            return extracted(dataset, folder)
        for data_file in dataset.files:
            fetch_file(dataset, data_file, folder)
        return folder


def extracted(dataset: Dataset, folder: Path) -> Path:
    """Return the folder ``dataset``'s archive is extracted to, extracting it once, completely.

    The folder is the one ``keras.utils.get_file(..., extract=True)`` would use: the archive's name
    up to its first dot, then ``extracted``. Once marked complete it is used as it is, with no
    need of the archive. Call with the dataset's lock held.
    """
    archive_file = dataset.files[-1]

    def unpack(unpacked: Path) -> None:
        archive = fetch_file(dataset, archive_file, folder)
        shutil.unpack_archive(archive, unpacked, filter="data")  # "data": no member lands outside it

    extracted = folder / f"{archive_file.name.split('.')[0]}_extracted"
    return _folder_built_once(extracted, EXTRACTED_MARKER, dataset.name, unpack)


def image_folder(dataset: Dataset, folder: Path) -> Path:
    """Return ``<cache>/<cache_subdir>/<name>``, built from the mirror's folder or the archive.

    Call with the dataset's lock held.
    """

    def build(built: Path) -> None:
        mirror = offline_mirror()
        if mirror is not None and (mirror / dataset.mirror_dir).is_dir():
            _copy_mirror_folder(dataset, mirror, built)
        else:
            _split_archive(dataset, fetch_file(dataset, dataset.files[0], folder), built)

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
    listed = {path: digest for path, digest in mirror_checksums(mirror).items() if path.startswith(prefix)}
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
        copy_from_mirror(
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
