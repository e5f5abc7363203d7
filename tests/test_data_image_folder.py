"""Image folder datasets (cats vs dogs): the mirror's prepared folder, checked file by file, and
the split built from the official archive, served here by a local HTTP server."""

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from chapters import data

JPEG_HEADER = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
DEAD_URL = "http://127.0.0.1:9/pets.zip"  # the discard port: nothing listens there


def jpeg(number: int) -> bytes:
    return JPEG_HEADER + f"image {number}".encode() * 50


def tiny_pets(url: str, sha256: str = "0" * 64, size: int = 1) -> data.Dataset:
    return data.Dataset(
        name="pets",
        description="a test image folder",
        license="none",
        returns="train/, validation/ and test/ with cats/ and dogs/",
        cache_subdir="datasets",
        mirror_dir="pets",
        split={"train": 2, "validation": 1, "test": 1},
        classes={"cats": "PetImages/Cat", "dogs": "PetImages/Dog"},
        files=(data.DataFile(name="pets.zip", url=url, sha256=sha256, size=size),),
    )


def make_archive() -> bytes:
    """Six images per class, of which cat 1 is empty and dog 2 is not a JFIF file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for folder in ("Cat", "Dog"):
            for number in range(6):
                content = jpeg(number)
                if (folder, number) == ("Cat", 1):
                    content = b""
                if (folder, number) == ("Dog", 2):
                    content = b"GIF89a" + content
                archive.writestr(f"PetImages/{folder}/{number}.jpg", content)
            archive.writestr(f"PetImages/{folder}/Thumbs.db", b"not an image")
    return buffer.getvalue()


def make_mirror(root: Path) -> Path:
    lines = []
    for subset, numbers in (("train", (1, 2)), ("validation", (7,))):
        for class_name in ("cats", "dogs"):
            for number in numbers:
                relative_path = f"pets/{subset}/{class_name}/{class_name[:-1]}.{number}.jpg"
                (root / relative_path).parent.mkdir(parents=True, exist_ok=True)
                (root / relative_path).write_bytes(jpeg(number))
                lines.append(f"{hashlib.sha256(jpeg(number)).hexdigest()}  {relative_path}\n")
    (root / "SHA256SUMS").write_text("".join(lines))
    return root


def files_under(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*.jpg"))


def test_the_mirror_folder_is_copied_verified_and_then_read_from_the_cache(
    keras_cache, tmp_path, monkeypatch
):
    mirror = make_mirror(tmp_path / "mirror")
    monkeypatch.setenv("CHAPTERS_MIRROR", str(mirror))

    folder = data.fetch(tiny_pets(DEAD_URL))

    assert folder == keras_cache / "datasets" / "pets"
    assert files_under(folder) == [
        "train/cats/cat.1.jpg",
        "train/cats/cat.2.jpg",
        "train/dogs/dog.1.jpg",
        "train/dogs/dog.2.jpg",
        "validation/cats/cat.7.jpg",
        "validation/dogs/dog.7.jpg",
    ]
    monkeypatch.delenv("CHAPTERS_MIRROR")
    assert data.fetch(tiny_pets(DEAD_URL)) == folder, "a complete cached folder is used as it is"


def test_a_corrupt_mirror_image_is_named_and_nothing_is_left_in_the_cache(keras_cache, tmp_path, monkeypatch):
    mirror = make_mirror(tmp_path / "mirror")
    (mirror / "pets" / "validation" / "dogs" / "dog.7.jpg").write_bytes(b"truncated")
    monkeypatch.setenv("CHAPTERS_MIRROR", str(mirror))

    with pytest.raises(data.CorruptFileError, match=r"(?s)corrupt.*validation/dogs/dog\.7\.jpg"):
        data.fetch(tiny_pets(DEAD_URL))
    assert not (keras_cache / "datasets" / "pets").exists()
    assert list((keras_cache / "datasets").iterdir()) == [], "no staging folder is left behind"


def test_the_split_is_built_from_the_archive_skipping_broken_images(keras_cache, file_server):
    archive = make_archive()
    (file_server.root / "pets.zip").write_bytes(archive)
    dataset = tiny_pets(f"{file_server.url}/pets.zip", hashlib.sha256(archive).hexdigest(), len(archive))

    folder = data.fetch(dataset)

    assert files_under(folder) == [
        "test/cats/cat.4.jpg",
        "test/dogs/dog.4.jpg",
        "train/cats/cat.0.jpg",
        "train/cats/cat.2.jpg",
        "train/dogs/dog.0.jpg",
        "train/dogs/dog.1.jpg",
        "validation/cats/cat.3.jpg",
        "validation/dogs/dog.3.jpg",
    ]
    assert (folder / "train" / "cats" / "cat.2.jpg").read_bytes() == jpeg(2)
    assert data.fetch(dataset) == folder and file_server.requested_paths == ["/pets.zip"]


def test_an_archive_with_too_few_valid_images_builds_nothing(keras_cache, file_server):
    archive = make_archive()
    (file_server.root / "pets.zip").write_bytes(archive)
    dataset = tiny_pets(f"{file_server.url}/pets.zip", hashlib.sha256(archive).hexdigest(), len(archive))
    dataset = data.Dataset(**{**dataset.__dict__, "split": {"train": 4, "validation": 2}})

    with pytest.raises(data.CorruptFileError, match="too few valid JPEGs in PetImages/Cat/"):
        data.fetch(dataset)
    assert not (keras_cache / "datasets" / "pets").exists()


def test_a_corrupt_archive_is_refused(keras_cache, file_server):
    archive = make_archive()
    (file_server.root / "pets.zip").write_bytes(archive[:-10])
    dataset = tiny_pets(f"{file_server.url}/pets.zip", hashlib.sha256(archive).hexdigest(), len(archive))

    with pytest.raises(data.CorruptFileError, match="incomplete or corrupt"):
        data.fetch(dataset)
    assert not (keras_cache / "datasets" / "pets").exists()


def test_the_shared_mirror_gives_the_book_sized_folder(keras_cache, shared_mirror, monkeypatch):
    monkeypatch.setenv("CHAPTERS_MIRROR", str(shared_mirror))
    folder = data.cats_vs_dogs_directory()
    counts = {
        f"{subset}/{class_name}": len(list((folder / subset / class_name).glob("*.jpg")))
        for subset in ("train", "validation", "test")
        for class_name in ("cats", "dogs")
    }
    assert counts == {
        "train/cats": 1000,
        "train/dogs": 1000,
        "validation/cats": 500,
        "validation/dogs": 500,
        "test/cats": 500,
        "test/dogs": 500,
    }


def test_a_listed_mirror_image_that_is_missing_is_named(keras_cache, tmp_path, monkeypatch):
    mirror = make_mirror(tmp_path / "mirror")
    (mirror / "pets" / "train" / "cats" / "cat.2.jpg").unlink()
    monkeypatch.setenv("CHAPTERS_MIRROR", str(mirror))

    with pytest.raises(data.CorruptFileError, match=r"(?s)train/cats/cat\.2\.jpg, but the file is missing"):
        data.fetch(tiny_pets(DEAD_URL))
    assert not (keras_cache / "datasets" / "pets").exists()
