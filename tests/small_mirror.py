"""Small stand-ins for the offline mirror, built in temporary folders, for the tests whose subject is
a behaviour of the data layer (processes fetching at once, a killed copy, a full or read-only disk,
content checks of downloads, the image and text pipelines), not the real datasets.

Each ``add_*`` function writes one dataset into a mirror folder ``root`` at the path the manifest
(chapters/data/datasets.json: ``mirror_dir`` and the file names) gives it in the shared mirror, and returns
that path; ``write_sha256sums`` then lists every file of the mirror in its SHA256SUMS. A mirror
file is verified only against the mirror's own SHA256SUMS (``chapters.data.files``), so these
synthetic files go through the package's real code paths. Where a check compares a file against
the manifest's expected content (the Beijing table, the GloVe subset), ``holding_content_of`` gives
the manifest's dataset the content the small file holds.
"""

import dataclasses
import datetime
import gzip
import hashlib
import io
import json
import shutil
import tarfile
import tempfile
from importlib import resources
from pathlib import Path

import numpy as np

from chapters import data

MNIST_TRAIN, MNIST_TEST = 1_000, 200  # noise images: the train images' file is 0.8 MB, incompressible
CATS_VS_DOGS_SPLIT = {"train": 40, "validation": 25, "test": 20}  # images per class in each subset
CATS_VS_DOGS_IMAGES = 2 * sum(CATS_VS_DOGS_SPLIT.values())
BEIJING_ROWS = 72  # the last three days of the real table's hours, 2014-12-29 00:00 to 2014-12-31 23:00
GLOVE_WORDS, GLOVE_DIMENSIONS = 300, 50
GLOVE_FIRST_WORDS = ["the", ",", ".", "of", "to"]
GLOVE_FIRST_VALUES = {"the": 0.418, ".": 0.15164}  # the first value of those words, as in the real file
GLOVE_INTEGER_VALUES = {(7, 3): 1.0, (42, 0): -1.0, (299, 49): 2.0}  # {(line, value), from 0: whole number}
REVIEWS_PER_LABEL = 150  # in each of train and test
TFDS_TRAIN, TFDS_TEST = 60, 20


def mirror_path(root: Path, name: str, file_index: int = 0) -> Path:
    """Return where the shared mirror keeps file ``file_index`` of the manifest's dataset ``name``,
    under the mirror folder ``root``."""
    dataset = data.manifest()[name]
    return root / dataset.mirror_dir / dataset.files[file_index].name


def holding_content_of(dataset: data.Dataset, path: Path) -> data.Dataset:
    """Return ``dataset`` (one with a content check) with its expected content replaced by what the
    file at ``path`` holds: for a word-vectors file, its number of words is also the number of lines
    a download is cut to."""
    return dataclasses.replace(dataset, content=dataset.content.found_in(path))


def idx_gz(array: np.ndarray) -> bytes:
    """Return the uint8 ``array`` as a gzipped IDX file, the MNIST format (``data.read_idx`` reads it)."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(size.to_bytes(4, "big") for size in array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes(), mtime=0)


def add_mnist(root: Path, train: int = MNIST_TRAIN, test: int = MNIST_TEST) -> Path:
    """Write MNIST-shaped IDX files (``train`` and ``test`` 28 x 28 images of uniform noise, labels
    0-9) where the manifest's ``mnist`` files lie in the mirror; return their folder."""
    rng = np.random.default_rng(28)
    arrays = [
        rng.integers(0, 256, (train, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, train, dtype=np.uint8),
        rng.integers(0, 256, (test, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, test, dtype=np.uint8),
    ]
    for index, array in enumerate(arrays):  # the manifest's order: train images, labels, test images, labels
        path = mirror_path(root, "mnist", index)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(idx_gz(array))
    return path.parent


def jpeg(seed: int, size: int = 32) -> bytes:
    """Return a real JFIF JPEG of ``size`` x ``size`` pixels of colour noise, different for each ``seed``."""
    from PIL import Image

    pixels = np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def add_cats_vs_dogs(root: Path, split: dict[str, int] = CATS_VS_DOGS_SPLIT) -> Path:
    """Write a cats vs dogs folder as the shared mirror holds it, ``train/``, ``validation/`` and
    ``test/`` each with ``cats/`` and ``dogs/``, with ``split[subset]`` tiny JPEGs per class, numbered
    as the mirror numbers them (train from 1, validation from 4001, test from 4501); return it."""
    folder = root / data.manifest()["cats_vs_dogs"].mirror_dir
    first_numbers = {"train": 1, "validation": 4001, "test": 4501}
    for subset, count in split.items():
        for class_index, class_name in enumerate(("cats", "dogs")):
            (folder / subset / class_name).mkdir(parents=True, exist_ok=True)
            for number in range(first_numbers[subset], first_numbers[subset] + count):
                name = f"{class_name[:-1]}.{number}.jpg"
                (folder / subset / class_name / name).write_bytes(jpeg(number * 2 + class_index))
    return folder


def beijing_csv(rows: int = BEIJING_ROWS) -> bytes:
    """Return a Beijing-shaped CSV (the real file's columns and CRLF line endings) of the last ``rows``
    hours of 2014, one every hour, some PM2.5 values missing (``NA``) and every wind direction
    present; its last row is the real file's last row."""
    rng = np.random.default_rng(2014)
    lines = ["No,year,month,day,hour,pm2.5,DEWP,TEMP,PRES,cbwd,Iws,Is,Ir"]
    last = datetime.datetime(2014, 12, 31, 23)
    for number in range(43824 - rows + 1, 43824):
        time = last - datetime.timedelta(hours=43824 - number)
        pm25 = "NA" if number % 17 == 5 else str(int(rng.integers(3, 400)))
        lines.append(
            f"{number},{time.year},{time.month},{time.day},{time.hour},{pm25},{rng.integers(-30, 0)},"
            f"{rng.integers(-12, 5)},{rng.integers(1020, 1045)},{['NE', 'NW', 'SE', 'cv'][number % 4]},"
            f"{rng.uniform(0, 300):.2f},{rng.integers(0, 3)},0"
        )
    lines.append("43824,2014,12,31,23,12,-21,-3,1034,NW,249.85,0,0")
    return "".join(f"{line}\r\n" for line in lines).encode()


def add_beijing(root: Path, rows: int = BEIJING_ROWS) -> Path:
    """Write ``beijing_csv(rows)`` where the manifest's Beijing table lies in the mirror; return its path."""
    path = mirror_path(root, "beijing_pm25")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(beijing_csv(rows))
    return path


def glove_text(words: int = GLOVE_WORDS) -> bytes:
    """Return a GloVe-shaped text, as the mirror writes it (LF line endings, values ``%.5g``):
    ``words`` lines of a word and 50 values; the first words, and the first value of two of them, as in
    the real file (``GLOVE_FIRST_WORDS``, ``GLOVE_FIRST_VALUES``); the values at ``GLOVE_INTEGER_VALUES``
    whole numbers, written ``1`` as the mirror writes them, and no other value written as a whole number."""
    rng = np.random.default_rng(50)
    lines = []
    for line in range(words):
        word = GLOVE_FIRST_WORDS[line] if line < len(GLOVE_FIRST_WORDS) else f"word{line}"
        values = [f"{value:.5g}" for value in rng.normal(0, 0.5, GLOVE_DIMENSIONS).astype(np.float32)]
        values = [value if "." in value or "e" in value else f"{value}.5" for value in values]
        if word in GLOVE_FIRST_VALUES:
            values[0] = f"{GLOVE_FIRST_VALUES[word]:.5g}"
        for (integer_line, index), value in GLOVE_INTEGER_VALUES.items():
            if integer_line == line:
                values[index] = f"{value:.5g}"
        lines.append(f"{word} {' '.join(values)}\n")
    return "".join(lines).encode()


def add_glove(root: Path, words: int = GLOVE_WORDS) -> Path:
    """Write ``glove_text(words)`` where the manifest's GloVe subset lies in the mirror; return its path."""
    path = mirror_path(root, "glove_6b_50d")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(glove_text(words))
    return path


def review_archive(reviews: int = 400) -> bytes:
    """A small aclImdb-shaped tar.gz: ``reviews`` text files under each of train and test, pos and neg."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for subset in ("train", "test"):
            for label in ("pos", "neg"):
                for number in range(reviews):
                    content = f"{subset} {label} review {number}. ".encode() * 20
                    member = tarfile.TarInfo(f"aclImdb/{subset}/{label}/{number}_7.txt")
                    member.size = len(content)
                    archive.addfile(member, io.BytesIO(content))
    return buffer.getvalue()


def varied_review_archive(reviews: int = REVIEWS_PER_LABEL, words: int = 80) -> bytes:
    """An aclImdb-shaped tar.gz like ``review_archive``'s, each review ``words`` words drawn from a
    vocabulary of 3,000, so that a text vectorizer finds as many distinct words as it keeps."""
    rng = np.random.default_rng(25_000)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for subset in ("train", "test"):
            for label in ("pos", "neg"):
                for number in range(reviews):
                    drawn = rng.integers(0, 3_000, words)
                    content = (" ".join(f"word{index}" for index in drawn) + ".").encode()
                    member = tarfile.TarInfo(f"aclImdb/{subset}/{label}/{number}_7.txt")
                    member.size = len(content)
                    archive.addfile(member, io.BytesIO(content))
    return buffer.getvalue()


def add_reviews(root: Path, archive: bytes) -> Path:
    """Write ``archive`` where the manifest's aclImdb archive lies in the mirror (a repack, as the
    shared mirror's is: not the official bytes); return its path."""
    path = mirror_path(root, "imdb_reviews")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(archive)
    return path


def review_mirror(root: Path, archive: bytes) -> Path:
    """A mirror holding ``archive`` as the aclImdb archive and nothing else, listed in SHA256SUMS."""
    add_reviews(root, archive)
    return write_sha256sums(root)


def add_mobilenet_weights(root: Path) -> Path:
    """Write randomly initialised weights of MobileNet v1 (alpha 0.25, 224 px, no classifier), in the
    HDF5 layout ``keras.applications`` loads, where the manifest's ImageNet weights lie in the
    mirror; return their path. The architecture's weights, not ImageNet's values."""
    import h5py
    import keras
    from keras.src.legacy.saving import legacy_h5_format

    model = keras.applications.MobileNet(
        input_shape=(224, 224, 3), alpha=0.25, include_top=False, weights=None
    )
    path = mirror_path(root, "mobilenet_025_imagenet")
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as weights:
        legacy_h5_format.save_weights_to_hdf5_group(weights, model)
    return path


def add_tfds_mnist(root: Path, train: int = TFDS_TRAIN, test: int = TFDS_TEST) -> Path:
    """Write a prepared TensorFlow Datasets build of ``mnist`` at the version the manifest names
    (``train`` and ``test`` examples of 28 x 28 x 1 noise, the test labels 0, 1, 2, ... in order),
    built by TFDS itself, where the mirror keeps its builds; return the build's folder. The files
    are the ones a real build has (dataset_info.json, features.json, one tfrecord shard per split),
    so ``tfds.load("mnist", ...)`` reads them."""
    import tensorflow_datasets as tfds

    manifest = json.loads(resources.files("chapters.data").joinpath("datasets.json").read_text())["tfds"]
    version = manifest["builds"]["mnist"]
    rng = np.random.default_rng(3)

    def examples(count: int) -> list[tuple[int, dict]]:
        return [
            (index, {"image": rng.integers(0, 256, (28, 28, 1), dtype=np.uint8), "label": index % 10})
            for index in range(count)
        ]

    features = tfds.features.FeaturesDict(
        {"image": tfds.features.Image(shape=(28, 28, 1)), "label": tfds.features.ClassLabel(num_classes=10)}
    )
    build = root / manifest["mirror_dir"] / "mnist" / version
    with tempfile.TemporaryDirectory() as data_dir:
        tfds.dataset_builders.store_as_tfds_dataset(
            name="mnist",
            version=version,
            features=features,
            split_datasets={"train": examples(train), "test": examples(test)},
            data_dir=data_dir,
            file_format="tfrecord",
            disable_shuffling=True,
        )
        shutil.copytree(Path(data_dir) / "mnist" / version, build)
    return build


def write_sha256sums(root: Path) -> Path:
    """List every file under the mirror folder ``root`` in its SHA256SUMS; return ``root``."""
    lines = [
        f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.relative_to(root).as_posix()}\n"
        for path in sorted(root.rglob("*"))
        if path.is_file() and path != root / "SHA256SUMS"
    ]
    (root / "SHA256SUMS").write_text("".join(lines))
    return root


def build(root: Path) -> Path:
    """Return the mirror folder ``root`` holding, in the shared mirror's layout, small MNIST, cats vs
    dogs, Beijing, GloVe and aclImdb files and MobileNet's weights (see the ``add_*`` functions),
    every file listed in SHA256SUMS."""
    add_mnist(root)
    add_cats_vs_dogs(root)
    add_beijing(root)
    add_glove(root)
    add_reviews(root, varied_review_archive())
    add_mobilenet_weights(root)
    return write_sha256sums(root)


def build_tfds(root: Path) -> Path:
    """Return the mirror folder ``root`` holding a small TFDS build of mnist (``add_tfds_mnist``) and
    nothing else, listed in SHA256SUMS."""
    add_tfds_mnist(root)
    return write_sha256sums(root)
