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

A file found nowhere raises ``DatasetNotFoundError`` saying where it looked and how to supply it;
a file whose sha256 is wrong raises ``CorruptFileError`` and is never used.
"""

import gzip
import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np

MIRROR_VARIABLE = "CHAPTERS_MIRROR"
EXTRACTED_MARKER = ".chapters-extracted"
COMPLETE_MARKER = ".chapters-complete"


class DataError(Exception):
    """A dataset could not be provided; the message says why and what to do."""


class DatasetNotFoundError(DataError):
    """A dataset file is in neither the cache, the mirror, nor reachable at its URL."""


class CorruptFileError(DataError):
    """A dataset file's sha256 is not the one it must have; the file was not used."""


@dataclass(frozen=True)
class DataFile:
    """One file of a dataset: its name in the cache, official URL, sha256 and size in bytes."""

    name: str
    url: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Dataset:
    """A dataset of the manifest: where its files live in the cache and in the mirror.

    ``split`` (image folders only) gives the images per class in each subset, e.g.
    ``{"train": 1000, "validation": 500, "test": 500}``; ``classes`` maps each class folder to
    the folder holding it in the archive.
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


@cache
def _manifest_document() -> dict:
    return json.loads(resources.files("chapters.manifest").joinpath("datasets.json").read_text())


@cache
def manifest() -> dict[str, Dataset]:
    """Return the manifest's datasets by name."""
    datasets = _manifest_document()["datasets"]
    return {
        name: Dataset(
            name=name,
            files=tuple(DataFile(**file) for file in entry["files"]),
            **{key: value for key, value in entry.items() if key != "files"},
        )
        for name, entry in datasets.items()
    }


def keras_cache_dir() -> Path:
    """Return the folder Keras caches downloads in: ``$KERAS_HOME``, else ``~/.keras``.

    Like Keras, fall back to ``/tmp/.keras`` when that folder cannot be written.
    """
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    os.makedirs(home, exist_ok=True)
    if not os.access(home, os.W_OK):
        home = os.path.join(tempfile.gettempdir(), ".keras")
    return Path(home)


def mirror_dir() -> Path | None:
    """Return the offline mirror folder named by ``CHAPTERS_MIRROR``, or None when unset."""
    value = os.environ.get(MIRROR_VARIABLE, "").strip()
    if not value:
        return None
    mirror = Path(value).expanduser().resolve()
    if not (mirror / "SHA256SUMS").is_file():
        raise DataError(
            f"{MIRROR_VARIABLE}={value} is not an offline mirror: {mirror / 'SHA256SUMS'} is "
            f"missing. Point {MIRROR_VARIABLE} at a folder laid out as data/datasets.json "
            "describes, with a SHA256SUMS file listing its files."
        )
    return mirror


@cache
def _mirror_checksums(mirror: Path) -> dict[str, str]:
    """Return the mirror's SHA256SUMS as {path relative to the mirror: sha256}."""
    sums = {}
    for line in (mirror / "SHA256SUMS").read_text().splitlines():
        digest, _, relative_path = line.partition("  ")
        if relative_path:
            sums[relative_path.strip()] = digest.strip()
    return sums


def sha256_of(path: Path) -> str:
    """Return the hex sha256 of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(dataset: str | Dataset) -> Path:
    """Make every file of ``dataset`` present and verified in the Keras cache.

    Returns the cache folder holding its files, for an archive the folder it was extracted to,
    and for an image folder dataset (one with a ``split``) the folder holding its subsets.
    """
    if isinstance(dataset, str):
        dataset = _dataset_named(dataset)
    if dataset.split is not None:
        return _image_folder(dataset)
    paths = [_fetch_file(dataset, data_file) for data_file in dataset.files]
    if dataset.extract:
        return _extract(paths[-1])
    return keras_cache_dir() / dataset.cache_subdir


def _dataset_named(name: str) -> Dataset:
    datasets = manifest()
    if name not in datasets:
        raise KeyError(f"No dataset {name!r} in the manifest; it lists {', '.join(datasets)}.")
    return datasets[name]


def _fetch_file(dataset: Dataset, data_file: DataFile) -> Path:
    """Return the cached path of ``data_file`` after finding and verifying it (see module doc)."""
    target = keras_cache_dir() / dataset.cache_subdir / data_file.name
    mirror = mirror_dir()
    mirror_file = mirror / dataset.mirror_dir / data_file.name if mirror else None
    mirror_sha256 = (
        _mirror_checksums(mirror).get(f"{dataset.mirror_dir}/{data_file.name}") if mirror else None
    )

    if target.exists():
        actual = sha256_of(target)
        if actual in (data_file.sha256, mirror_sha256):
            return target
        print(
            f"The cached {target} is corrupt (sha256 {actual}, expected {data_file.sha256}); "
            "deleting it and fetching the file again."
        )
        target.unlink()

    if mirror_file is not None and mirror_file.is_file():
        return _copy_from_mirror(dataset, mirror_file, mirror_sha256, target)
    return _download(dataset, data_file, target, mirror_file)


def _copy_from_mirror(dataset: Dataset, mirror_file: Path, expected: str | None, target: Path) -> Path:
    if expected is None:
        raise CorruptFileError(
            f"{mirror_file} (dataset {dataset.name!r}) is not listed in the mirror's SHA256SUMS, so "
            "it cannot be verified and was not used. Add its sha256 to SHA256SUMS."
        )
    actual = sha256_of(mirror_file)
    if actual != expected:
        raise CorruptFileError(
            f"The mirror's copy of {dataset.name!r} is corrupt and was not used:\n"
            f"  {mirror_file}\n  has sha256 {actual},\n  but the mirror's SHA256SUMS says {expected}.\n"
            "Replace it with a good copy (or unset CHAPTERS_MIRROR to download it) and run again."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    shutil.copyfile(mirror_file, partial)
    os.replace(partial, target)
    return target


def _download(dataset: Dataset, data_file: DataFile, target: Path, mirror_file: Path | None) -> Path:
    import keras

    try:
        path = keras.utils.get_file(
            data_file.name,
            origin=data_file.url,
            file_hash=data_file.sha256,
            hash_algorithm="sha256",
            cache_dir=str(keras_cache_dir()),
            cache_subdir=dataset.cache_subdir,
        )
    except ValueError as error:  # get_file's hash check failed; it leaves the bad file behind
        target.unlink(missing_ok=True)
        raise CorruptFileError(
            f"The download of {dataset.name!r} from {data_file.url} is incomplete or corrupt: its "
            f"sha256 is not {data_file.sha256}. The file was deleted and not used; run again to "
            f"retry the download. ({error})"
        ) from None
    except Exception as error:  # noqa: BLE001 - get_file reports network failures as a bare Exception
        raise DatasetNotFoundError(
            _not_found_message(dataset, data_file, target, mirror_file, error)
        ) from None
    return Path(path)


def _not_found_message(
    dataset: Dataset, data_file: DataFile, target: Path, mirror_file: Path | None, error: Exception
) -> str:
    mirror_line = (
        f"  2. the offline mirror: {mirror_file} (missing)"
        if mirror_file is not None
        else f"  2. the offline mirror: not used ({MIRROR_VARIABLE} is not set)"
    )
    return (
        f"Dataset {dataset.name!r} ({dataset.description}) is not available: its file "
        f"{data_file.name} could not be found.\n"
        f"Looked in:\n  1. the Keras cache: {target} (missing)\n{mirror_line}\n"
        f"  3. the official URL: {data_file.url} (failed: {error})\n"
        "To supply it, do one of these:\n"
        f"  - connect to the internet and run this cell again;\n"
        f"  - download {data_file.url} elsewhere and copy it to {target};\n"
        f"  - set {MIRROR_VARIABLE} to a mirror folder holding {dataset.mirror_dir}/{data_file.name} "
        "and listing it in SHA256SUMS (see the README's offline section)."
    )


def _extract(archive: Path) -> Path:
    """Extract ``archive`` next to itself once, with Keras; return the extraction folder."""
    import keras

    folder = archive.with_name(archive.name.split(".")[0] + "_extracted")
    if (folder / EXTRACTED_MARKER).exists():
        return folder
    extracted = keras.utils.get_file(
        archive.name,
        origin=archive.as_uri(),
        file_hash=sha256_of(archive),
        hash_algorithm="sha256",
        extract=True,
        cache_dir=str(archive.parent.parent),
        cache_subdir=archive.parent.name,
    )
    (Path(extracted) / EXTRACTED_MARKER).touch()
    return Path(extracted)


def _image_folder(dataset: Dataset) -> Path:
    """Return ``<cache>/<cache_subdir>/<name>``, built from the mirror's folder or the archive."""
    target = keras_cache_dir() / dataset.cache_subdir / dataset.name
    if (target / COMPLETE_MARKER).exists():
        return target
    mirror = mirror_dir()
    if mirror is not None and (mirror / dataset.mirror_dir).is_dir():
        return _install_folder(target, lambda staging: _copy_mirror_folder(dataset, mirror, staging))
    archive = _fetch_file(dataset, dataset.files[0])
    return _install_folder(target, lambda staging: _split_archive(dataset, archive, staging))


def _install_folder(target: Path, fill) -> Path:
    """Let ``fill`` write into a staging folder, then move it to ``target``; return ``target``.

    A failure leaves nothing at ``target``, so a half-built folder is never used.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-"))
    try:
        fill(staging)
        (staging / COMPLETE_MARKER).touch()
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _copy_mirror_folder(dataset: Dataset, mirror: Path, staging: Path) -> None:
    """Copy every file SHA256SUMS lists under the mirror's folder into ``staging``, verified."""
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
        _copy_from_mirror(dataset, source, expected, staging / relative_path.removeprefix(prefix))


def is_jfif(header: bytes) -> bool:
    """Return whether a file's first bytes mark a JFIF JPEG (the archive also holds broken files)."""
    return b"JFIF" in header[:10]


def _split_archive(dataset: Dataset, archive: Path, staging: Path) -> None:
    """Write ``dataset.split`` from the archive into ``staging``: per class, the valid JPEGs in
    numeric order, the first ones to the first subset, the next ones to the next, and so on.
    """
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
                    staging
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
    """Return the array stored in a gzipped IDX file (the MNIST format) as uint8."""
    with gzip.open(path, "rb") as stream:
        content = stream.read()
    num_dimensions = content[3]
    shape = tuple(int.from_bytes(content[4 + 4 * i : 8 + 4 * i], "big") for i in range(num_dimensions))
    return np.frombuffer(content, dtype=np.uint8, offset=4 + 4 * num_dimensions).reshape(shape)


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


def load_mnist() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Return MNIST as ``(train_images, train_labels), (test_images, test_labels)``, uint8.

    Shapes (60000, 28, 28), (60000,), (10000, 28, 28), (10000,): the arrays, in the same order,
    that ``keras.datasets.mnist.load_data()`` returns.
    """
    return _load_idx_dataset("mnist")


def load_fashion_mnist() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Return Fashion-MNIST as ``(train_images, train_labels), (test_images, test_labels)``, uint8."""
    return _load_idx_dataset("fashion_mnist")


def load_boston_housing() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Return Boston housing as ``(train_features, train_prices), (test_features, test_prices)``.

    The split is Keras's own (``keras.datasets.boston_housing.load_data()``): 404 and 102 houses.
    """
    import keras

    fetch("boston_housing")
    return keras.datasets.boston_housing.load_data()


def imdb_reviews_directory() -> Path:
    """Return the ``aclImdb`` folder: ``train/`` and ``test/``, each with ``pos/`` and ``neg/`` reviews."""
    return fetch("imdb_reviews") / "aclImdb"


def cats_vs_dogs_directory() -> Path:
    """Return the cats vs dogs folder: ``train/`` (1,000 images per class) and ``validation/`` (500),
    each with ``cats/`` and ``dogs/``, ready for ``keras.utils.image_dataset_from_directory``.

    Built from Microsoft's Kaggle archive it also has ``test/`` (500 per class), the book's split;
    the offline mirror's copy has no ``test/``.
    """
    return fetch("cats_vs_dogs")


def load_tfds(name: str, **load_arguments):
    """Return ``tensorflow_datasets.load(name, **load_arguments)``, seeding its cache from the mirror.

    With ``CHAPTERS_MIRROR`` set, the mirror's prepared build is checked against ``SHA256SUMS``
    and copied into ``TFDS_DATA_DIR`` (default ``~/tensorflow_datasets``) first.
    """
    import tensorflow_datasets as tfds

    data_dir = Path(os.environ.get("TFDS_DATA_DIR") or Path.home() / "tensorflow_datasets")
    mirror = mirror_dir()
    if mirror is not None:
        _seed_tfds_build(mirror, name, data_dir)
    return tfds.load(name, data_dir=str(data_dir), **load_arguments)


def _seed_tfds_build(mirror: Path, name: str, data_dir: Path) -> None:
    """Copy the mirror's prepared TFDS build of ``name`` into ``data_dir``, verified, unless present."""
    tfds_entry = _manifest_document()["tfds"]
    version = tfds_entry["builds"].get(name)
    if version is None or (data_dir / name / version).is_dir():
        return
    build_prefix = f"{tfds_entry['mirror_dir']}/{name}/{version}/"
    (data_dir / name).mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=data_dir / name))
    for relative_path, expected in _mirror_checksums(mirror).items():
        if not relative_path.startswith(build_prefix):
            continue
        source = mirror / relative_path
        if sha256_of(source) != expected:
            shutil.rmtree(staging)
            raise CorruptFileError(
                f"The mirror's TFDS file {source} is corrupt (its sha256 is not {expected}, as "
                "SHA256SUMS says) and was not used. Replace it and run again."
            )
        shutil.copyfile(source, staging / source.name)
    os.replace(staging, data_dir / name / version)
