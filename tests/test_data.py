"""The data layer's four behaviours, each through the real code path: download (from a local HTTP
server standing in for the official source), offline mirror, missing everywhere, and corrupt."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chapters import data

PAYLOAD = bytes(range(256)) * 400  # 100 KiB
PAYLOAD_SHA256 = hashlib.sha256(PAYLOAD).hexdigest()
DEAD_URL = "http://127.0.0.1:9/payload.bin"  # the discard port: nothing listens there


def tiny_dataset(url: str) -> data.Dataset:
    return data.Dataset(
        name="tiny",
        description="a test payload",
        license="none",
        returns="a folder with payload.bin",
        cache_subdir="datasets/tiny",
        mirror_dir="tiny",
        files=(data.DataFile(name="payload.bin", url=url, sha256=PAYLOAD_SHA256, size=len(PAYLOAD)),),
    )


def make_mirror(root: Path, content: bytes = PAYLOAD) -> Path:
    (root / "tiny").mkdir(parents=True)
    (root / "tiny" / "payload.bin").write_bytes(content)
    (root / "SHA256SUMS").write_text(f"{PAYLOAD_SHA256}  tiny/payload.bin\n")
    return root


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(path): (path.stat().st_size, path.stat().st_mtime_ns) for path in folder.rglob("*")}


# Online: download, verify, cache.


def test_first_fetch_downloads_and_later_fetches_use_the_cache(keras_cache, file_server):
    (file_server.root / "payload.bin").write_bytes(PAYLOAD)
    dataset = tiny_dataset(f"{file_server.url}/payload.bin")

    folder = data.fetch(dataset)
    assert folder == keras_cache / "datasets" / "tiny"
    assert (folder / "payload.bin").read_bytes() == PAYLOAD
    assert file_server.requested_paths == ["/payload.bin"]

    assert data.fetch(dataset) == folder
    assert file_server.requested_paths == ["/payload.bin"], "the second fetch must not download again"


# Offline: the mirror supplies the file, and is never written to.


def test_mirror_supplies_files_into_the_cache_without_network(keras_cache, tmp_path, monkeypatch):
    mirror = make_mirror(tmp_path / "mirror")
    monkeypatch.setenv("CHAPTERS_MIRROR", str(mirror))
    before = snapshot(mirror)

    folder = data.fetch(tiny_dataset(DEAD_URL))

    assert (folder / "payload.bin").read_bytes() == PAYLOAD
    assert folder.is_relative_to(keras_cache)
    assert snapshot(mirror) == before, "the mirror must not be written to"


@pytest.mark.slow  # every loader on the real mirror
def test_mirror_alone_serves_every_loader_with_an_empty_home(tmp_path, shared_mirror):
    """The shared mirror and nothing else: no KERAS_HOME, no TFDS_DATA_DIR, an empty home."""
    mirror = shared_mirror
    home = tmp_path / "home"
    home.mkdir()
    environment = {k: v for k, v in os.environ.items() if k not in ("KERAS_HOME", "TFDS_DATA_DIR")}
    environment.update(HOME=str(home), CHAPTERS_MIRROR=str(mirror))
    script = """
import json, chapters
chapters.setup()
import keras
from chapters import data
(train_images, train_labels), (test_images, _) = data.load_mnist()
(fashion_train, _), _ = data.load_fashion_mnist()
(housing_train, _), (housing_test, _) = data.load_california_housing()
imdb = data.imdb_reviews_directory()
data.fetch("mobilenet_025_imagenet")
mobilenet = keras.applications.MobileNet(input_shape=(224, 224, 3), alpha=0.25, include_top=False, weights="imagenet")
tfds_test = data.load_tfds("mnist", split="test")
beijing = data.load_beijing_pm25()
glove = data.load_glove()
nietzsche = data.load_nietzsche()
print(json.dumps({
    "mnist": [train_images.shape, test_images.shape, train_labels[:5].tolist()],
    "fashion": fashion_train.shape, "housing": [housing_train.shape, housing_test.shape],
    "imdb": sorted(path.name for path in imdb.iterdir() if path.is_dir()),
    "imdb_train_pos": len(list((imdb / "train" / "pos").glob("*.txt"))),
    "mobilenet_params": mobilenet.count_params(), "tfds_mnist_test": int(tfds_test.cardinality()),
    "beijing": [len(beijing), float(beijing["TEMP"].iloc[0])],
    "glove": [len(glove), next(iter(glove)), glove["the"].shape, str(glove["the"].dtype)],
    "nietzsche": [len(nietzsche), len(set(nietzsche)), len(set(nietzsche.lower())), nietzsche[:8]],
}))
"""
    before = snapshot(mirror)
    completed = subprocess.run(
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(completed.stdout.splitlines()[-1])
    assert result == {
        "mnist": [[60000, 28, 28], [10000, 28, 28], [5, 0, 4, 1, 9]],
        "fashion": [60000, 28, 28],
        "housing": [[480, 8], [120, 8]],
        "imdb": ["test", "train"],
        "imdb_train_pos": 12500,
        "mobilenet_params": 218544,
        "tfds_mnist_test": 10000,
        "beijing": [43824, -11.0],
        "glove": [20000, "the", [50], "float32"],
        "nietzsche": [600893, 84, 57, "PREFACE\n"],
    }
    assert (home / ".keras" / "datasets" / "mnist" / "train-images-idx3-ubyte.gz").is_file()
    assert (home / "tensorflow_datasets" / "mnist" / "3.0.1").is_dir()
    assert snapshot(mirror) == before, "the mirror must not be written to"


# Missing everywhere: one clear error, not a urllib traceback.


def test_missing_everywhere_names_the_dataset_url_places_and_remedies(keras_cache, file_server):
    url = f"{file_server.url}/payload.bin"  # the server has no such file: 404
    with pytest.raises(data.DatasetNotFoundError) as raised:
        data.fetch(tiny_dataset(url))
    message = str(raised.value)
    for expected in (
        "'tiny'",
        url,
        str(keras_cache / "datasets" / "tiny" / "payload.bin"),
        "CHAPTERS_MIRROR is not set",
        "To supply it",
    ):
        assert expected in message
    assert raised.value.__suppress_context__, "the network error's traceback must not be chained"


def test_missing_from_the_mirror_says_where_it_looked(keras_cache, tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "SHA256SUMS").write_text("")
    monkeypatch.setenv("CHAPTERS_MIRROR", str(mirror))
    with pytest.raises(data.DatasetNotFoundError, match="offline mirror: .*tiny/payload.bin \\(missing\\)"):
        data.fetch(tiny_dataset(DEAD_URL))


def test_a_mirror_variable_pointing_elsewhere_is_explained(keras_cache, tmp_path, monkeypatch):
    monkeypatch.setenv("CHAPTERS_MIRROR", str(tmp_path))
    with pytest.raises(data.DataError, match="is not an offline mirror: .*SHA256SUMS is missing"):
        data.fetch(tiny_dataset(DEAD_URL))


def test_an_unknown_dataset_name_lists_the_known_ones():
    with pytest.raises(KeyError, match="mnist"):
        data.fetch("minst")


def test_a_checkout_on_the_python_path_reads_its_own_manifest_not_an_installed_one(tmp_path):
    """A worktree or a bare checkout (the runner puts the notebook's checkout first on PYTHONPATH):
    its own chapters/data/datasets.json, even beside an editable install of another checkout."""
    repository = Path(data.__file__).resolve().parents[2]
    checkout = tmp_path / "checkout"
    shutil.copytree(
        repository / "chapters", checkout / "chapters", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(repository / "pyproject.toml", checkout)
    manifest_file = checkout / "chapters" / "data" / "datasets.json"
    manifest = json.loads(manifest_file.read_text())
    manifest["datasets"]["only_in_this_checkout"] = manifest["datasets"]["mnist"]
    manifest_file.write_text(json.dumps(manifest))
    code = "from chapters import data; print(data.__file__, 'only_in_this_checkout' in data.manifest())"
    environment = {**os.environ, "PYTHONPATH": str(checkout)}
    printed = subprocess.run(
        [sys.executable, "-c", code],
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert printed == [str(checkout / "chapters" / "data" / "__init__.py"), "True"]


# Corrupt: detected by sha256, refused, never used; a retry after the fix works.


def test_a_corrupt_download_is_refused_and_deleted_then_a_retry_works(keras_cache, file_server):
    (file_server.root / "payload.bin").write_bytes(PAYLOAD[:1000])  # truncated
    dataset = tiny_dataset(f"{file_server.url}/payload.bin")
    with pytest.raises(data.CorruptFileError, match="incomplete or corrupt"):
        data.fetch(dataset)
    assert not (keras_cache / "datasets" / "tiny" / "payload.bin").exists()

    (file_server.root / "payload.bin").write_bytes(PAYLOAD)
    assert (data.fetch(dataset) / "payload.bin").read_bytes() == PAYLOAD


def test_a_truncated_cached_copy_is_detected_and_fetched_again(keras_cache, file_server, capsys):
    (file_server.root / "payload.bin").write_bytes(PAYLOAD)
    dataset = tiny_dataset(f"{file_server.url}/payload.bin")
    cached = data.fetch(dataset) / "payload.bin"
    cached.write_bytes(PAYLOAD[:5000])

    assert (data.fetch(dataset) / "payload.bin").read_bytes() == PAYLOAD
    assert "is corrupt" in capsys.readouterr().out
    assert file_server.requested_paths == ["/payload.bin", "/payload.bin"]


def test_a_truncated_cached_copy_is_never_used_even_offline(keras_cache, file_server):
    (file_server.root / "payload.bin").write_bytes(PAYLOAD)
    cached = data.fetch(tiny_dataset(f"{file_server.url}/payload.bin")) / "payload.bin"
    cached.write_bytes(PAYLOAD[:5000])
    with pytest.raises(data.DatasetNotFoundError):
        data.fetch(tiny_dataset(DEAD_URL))
    assert not cached.exists()


def test_a_corrupt_mirror_file_is_refused_then_works_once_replaced(keras_cache, tmp_path, monkeypatch):
    mirror = make_mirror(tmp_path / "mirror", content=PAYLOAD[:-1])
    monkeypatch.setenv("CHAPTERS_MIRROR", str(mirror))
    with pytest.raises(data.CorruptFileError, match="mirror's copy of dataset 'tiny' is corrupt"):
        data.fetch(tiny_dataset(DEAD_URL))
    assert not (keras_cache / "datasets" / "tiny" / "payload.bin").exists()

    (mirror / "tiny" / "payload.bin").write_bytes(PAYLOAD)
    assert (data.fetch(tiny_dataset(DEAD_URL)) / "payload.bin").read_bytes() == PAYLOAD


# The manifest.


def test_the_manifest_describes_every_file_it_lists():
    for dataset in data.manifest().values():
        assert dataset.description and dataset.license and dataset.returns
        for data_file in dataset.files:
            assert data_file.url.startswith(("https://", "http://")), data_file
            assert len(data_file.sha256) == 64 and data_file.size > 0, data_file


def test_every_mirrored_file_in_the_manifest_is_listed_in_the_shared_mirror(shared_mirror):
    listed = (shared_mirror / "SHA256SUMS").read_text()
    for dataset in data.manifest().values():
        if dataset.split is not None:  # the mirror holds the prepared folder, not the archive
            assert f"  {dataset.mirror_dir}/" in listed, dataset.name
            continue
        for data_file in dataset.files:
            assert f"  {dataset.mirror_dir}/{data_file.name}\n" in listed, (dataset.name, data_file.name)
