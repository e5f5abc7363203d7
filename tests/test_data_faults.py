"""The data layer under faults: full disks, a read-only cache, an untrusted or mistaken mirror, a
mirror unset after use, incomplete TFDS builds; and loaders' arrays that a student may change.

Full and read-only disks are real: each such test runs its script in a private mount namespace
(``unshare``, as an unprivileged user may) where a small tmpfs or a read-only bind mount stands in.
"""

import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest
from small_mirror import BEIJING_ROWS, MNIST_TRAIN, TFDS_TEST, review_archive, review_mirror
from test_data import DEAD_URL, PAYLOAD, make_mirror, tiny_dataset
from test_data_concurrency import environment

from chapters import data

pytestmark = pytest.mark.slow  # processes on small or read-only disks


def run_with_mounts(mounts: str, script: str, variables: dict[str, str]) -> dict:
    """Run ``script`` after the shell commands ``mounts``, in a mount namespace of its own (the mounts
    are seen by it alone); return the JSON it printed last."""
    assert shutil.which("unshare"), "these tests need unshare (util-linux) for their private mounts"
    completed = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", f'{mounts} && exec "$0" -c "$1"']
        + [sys.executable, script],
        env=variables,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.splitlines()[-1])


def small_disk(megabytes: float) -> str:
    """Shell commands mounting a ``megabytes`` tmpfs on $KERAS_HOME: a disk that fills up."""
    return f'mkdir -p "$KERAS_HOME" && mount -t tmpfs -o size={int(megabytes * 1024)}k tmpfs "$KERAS_HOME"'


def test_a_full_disk_is_named_as_such_and_the_failed_copy_leaves_room_for_the_next(tmp_path, small_mirror):
    """The small mirror's MNIST training images (0.8 MB) do not fit on the half-megabyte disk; the
    Beijing table (4 kB) fits only if the failed copy left nothing behind."""
    keras_home = tmp_path / "keras"
    script = f"""
import json
from pathlib import Path
from chapters import data
try:
    data.load_mnist()
except data.StorageError as error:
    message = str(error)
table = data.load_beijing_pm25()
files = sorted(str(path.relative_to("{keras_home}")) for path in Path("{keras_home}").rglob("*") if path.is_file())
print(json.dumps({{"message": message, "beijing": len(table), "files": files}}))
"""
    result = run_with_mounts(small_disk(0.5), script, environment(keras_home, small_mirror))
    assert "Dataset 'mnist' could not be stored in the cache" in result["message"]
    assert str(keras_home / "datasets" / "mnist") in result["message"]
    assert "No space left on device" in result["message"]
    assert "Nothing half-written was kept" in result["message"]
    assert result["beijing"] == BEIJING_ROWS
    assert [name for name in result["files"] if name.startswith("datasets/")] == [
        "datasets/beijing_pm25/.PRSA_data_2010.1.1-2014.12.31.csv.sha256",
        "datasets/beijing_pm25/PRSA_data_2010.1.1-2014.12.31.csv",
    ]


def test_a_disk_that_fills_during_a_download_is_not_reported_as_a_network_failure(tmp_path, file_server):
    (file_server.root / "payload.bin").write_bytes(PAYLOAD * 20)  # 2 MB
    digest = hashlib.sha256(PAYLOAD * 20).hexdigest()
    keras_home = tmp_path / "keras"
    script = f"""
import json
from served import dataset_served_at
from test_data_concurrency import leftovers
from chapters import data
try:
    data.fetch(dataset_served_at("nietzsche", "{file_server.url}/payload.bin", sha256="{digest}"))
except data.DataError as error:
    print()  # after Keras's progress bar
    print(json.dumps({{"error": type(error).__name__, "message": str(error), "left": leftovers(data.keras_cache_dir())}}))
"""
    result = run_with_mounts(small_disk(1), script, environment(keras_home, None))
    assert result["error"] == "StorageError", result["message"]
    assert "No space left on device" in result["message"]
    assert "internet" not in result["message"]
    assert result["left"] == []


def compressible_review_archive() -> bytes:
    """A review archive of a few kB that extracts to 3 MB."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        member = tarfile.TarInfo("aclImdb/train/pos/0_9.txt")
        member.size = 3_000_000
        archive.addfile(member, io.BytesIO(b" " * member.size))
    return buffer.getvalue()


def test_an_extraction_that_fills_the_disk_leaves_no_half_extracted_tree(tmp_path):
    mirror = review_mirror(tmp_path / "mirror", compressible_review_archive())
    keras_home = tmp_path / "keras"
    script = f"""
import json
from pathlib import Path
from chapters import data
messages = []
for attempt in range(2):
    try:
        data.imdb_reviews_directory()
    except data.StorageError as error:
        messages.append(str(error))
print(json.dumps({{"messages": messages, "extracted": Path("{keras_home}/datasets/aclImdb_v1_extracted").exists(),
                   "staging": [str(path) for path in Path("{keras_home}").rglob(".chapters-staging-*")]}}))
"""
    result = run_with_mounts(small_disk(1), script, environment(keras_home, mirror))
    assert len(result["messages"]) == 2, "each attempt fails with a clear message"
    assert all("Dataset 'imdb_reviews' could not be stored" in message for message in result["messages"])
    assert all("No space left on device" in message for message in result["messages"])
    assert result["extracted"] is False and result["staging"] == []


def test_a_read_only_cache_holding_the_data_is_used_and_named(tmp_path, small_mirror, monkeypatch):
    keras_home = tmp_path / "read-only-keras"
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    monkeypatch.setenv("CHAPTERS_MIRROR", str(small_mirror))
    data.load_mnist()
    before = sorted(str(path) for path in keras_home.rglob("*"))
    mounts = (
        'mount --bind "$KERAS_HOME" "$KERAS_HOME" && mount -o remount,bind,ro "$KERAS_HOME" '
        "&& mkdir -p /tmp/.keras && mount -t tmpfs tmpfs /tmp/.keras"
    )
    script = f"""
import json
from served import dataset_served_at
from chapters import data
(train_images, _), _ = data.load_mnist()
try:
    data.fetch(dataset_served_at("california_housing", "{DEAD_URL}"))
except data.DatasetNotFoundError as error:
    message = str(error)
print(json.dumps({{"mnist": len(train_images), "message": message}}))
"""
    variables = environment(keras_home, None)
    result = run_with_mounts(mounts, script, variables)
    assert result["mnist"] == MNIST_TRAIN
    assert f"the cache {keras_home} cannot be written, so it was only read" in result["message"]
    assert "/tmp/.keras/datasets/california_housing.npz (missing)" in result["message"]
    assert sorted(str(path) for path in keras_home.rglob("*")) == before


def test_a_dataset_cached_from_the_mirror_stays_usable_when_the_mirror_is_unset(
    tmp_path, keras_cache, monkeypatch, capsys
):
    """The mirror's aclImdb is a repack, not the official archive's bytes."""
    monkeypatch.setenv("CHAPTERS_MIRROR", str(review_mirror(tmp_path / "mirror", review_archive())))
    folder = data.imdb_reviews_directory()
    monkeypatch.delenv("CHAPTERS_MIRROR")

    assert data.imdb_reviews_directory() == folder
    shutil.rmtree(folder.parent)  # the extracted tree is lost; the cached archive must do, offline
    assert data.imdb_reviews_directory() == folder
    assert len(list(folder.rglob("*.txt"))) == 1600
    assert "corrupt" not in capsys.readouterr().out


def test_sha256sums_fixed_as_the_error_advises_is_read_again(keras_cache, tmp_path, monkeypatch):
    mirror = make_mirror(tmp_path / "mirror")
    sums = (mirror / "SHA256SUMS").read_text()
    (mirror / "SHA256SUMS").write_text(sums.replace(sums[:8], "00000000"))
    monkeypatch.setenv("CHAPTERS_MIRROR", str(mirror))
    with pytest.raises(data.CorruptFileError, match="SHA256SUMS says 00000000"):
        data.fetch(tiny_dataset(DEAD_URL))

    (mirror / "SHA256SUMS").write_text(sums)
    assert (data.fetch(tiny_dataset(DEAD_URL)) / "payload.bin").read_bytes() == PAYLOAD


@pytest.mark.parametrize("listed", ["cats_vs_dogs/../../escaped.jpg", "{root}/escaped.jpg"])
def test_a_mirror_path_outside_the_mirror_is_refused_and_nothing_is_written_outside(
    keras_cache, tmp_path, monkeypatch, listed
):
    mirror = tmp_path / "deep" / "mirror"
    (mirror / "cats_vs_dogs" / "train" / "cats").mkdir(parents=True)
    (mirror / "cats_vs_dogs" / "train" / "cats" / "cat.1.jpg").write_bytes(b"cat")
    (tmp_path / "escaped.jpg").write_bytes(b"x")
    listed = listed.format(root=tmp_path)
    digest = hashlib.sha256(b"x").hexdigest()
    (mirror / "SHA256SUMS").write_text(
        f"{hashlib.sha256(b'cat').hexdigest()}  cats_vs_dogs/train/cats/cat.1.jpg\n{digest}  {listed}\n"
    )
    monkeypatch.setenv("CHAPTERS_MIRROR", str(mirror))
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(data.DataError) as raised:
        data.cats_vs_dogs_directory()
    assert f"SHA256SUMS, line 2, lists {listed!r}: a path outside the mirror" in str(raised.value)
    created = sorted(set(tmp_path.rglob("*")) - set(before))
    assert [path for path in created if path.name == "escaped.jpg" or path.suffix == ".jpg"] == []


def tfds_mirror(root: Path, source: Path, list_build: bool) -> Path:
    """A mirror whose TFDS mnist build links to the mirror ``source``'s; listed in SHA256SUMS or not."""
    build = "tensorflow_datasets/mnist/3.0.1"
    (root / build).mkdir(parents=True)
    lines = []
    for path, digest in data.mirror_checksums(source).items():
        if path.startswith(f"{build}/"):
            (root / path).symlink_to(source / path)
            lines.append(f"{digest}  {path}\n")
    (root / "SHA256SUMS").write_text("".join(lines) if list_build else "")
    return root


def test_a_tfds_build_is_installed_only_complete(tmp_path, small_tfds_mirror, monkeypatch):
    tfds_dir = tmp_path / "tfds"
    monkeypatch.setenv("TFDS_DATA_DIR", str(tfds_dir))
    monkeypatch.setenv("CHAPTERS_MIRROR", str(tfds_mirror(tmp_path / "unlisted", small_tfds_mirror, False)))
    with pytest.raises(
        data.CorruptFileError, match="lists no tensorflow_datasets/mnist/3.0.1/dataset_info.json"
    ):
        data.load_tfds("mnist", split="test")
    assert not (tfds_dir / "mnist" / "3.0.1").exists()

    (tfds_dir / "mnist" / "3.0.1").mkdir(parents=True)  # an empty build, as earlier versions left
    monkeypatch.setenv("CHAPTERS_MIRROR", str(tfds_mirror(tmp_path / "listed", small_tfds_mirror, True)))
    assert int(data.load_tfds("mnist", split="test").cardinality()) == TFDS_TEST


def test_loaded_arrays_are_writable_as_keras_s_are(small_mirror, keras_cache, monkeypatch):
    monkeypatch.setenv("CHAPTERS_MIRROR", str(small_mirror))
    (train_images, train_labels), _ = data.load_mnist()
    train_images[0] = 0
    np.random.default_rng(0).shuffle(train_labels)
    assert train_images[0].sum() == 0
