"""Several processes fetching one dataset at once (two notebooks open, parallel test workers), and
processes interrupted mid-fetch: each runs the package's real loaders in its own Python process,
over several rounds, and reads back what it got."""

import hashlib
import http.server
import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from small_mirror import CATS_VS_DOGS_IMAGES, TFDS_TEST, review_archive, review_mirror

from chapters import data

pytestmark = pytest.mark.slow  # processes racing each other for the cache

STAGING = ".chapters-staging-"


def environment(keras_home: Path, mirror: Path | None, **extra: str) -> dict[str, str]:
    """The test's environment for a child process, with its own Keras cache and mirror (or none)."""
    variables = {key: value for key, value in os.environ.items() if key != "CHAPTERS_MIRROR"}
    tests = os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), str(Path(__file__).parent)]))
    variables.update(KERAS_HOME=str(keras_home), PYTHONUNBUFFERED="1", PYTHONPATH=tests, **extra)
    if mirror is not None:
        variables["CHAPTERS_MIRROR"] = str(mirror)
    return variables


def start(script: str, variables: dict[str, str]) -> subprocess.Popen:
    """Start ``script`` in a new Python process that Ctrl-C (SIGINT) interrupts, even when this one
    runs in the background (which leaves SIGINT ignored, and children inherit that)."""
    ctrl_c_interrupts = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler)\n"
    return subprocess.Popen(
        [sys.executable, "-c", ctrl_c_interrupts + script],
        env=variables,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


TOGETHER = 'import os, time; time.sleep(max(0.0, float(os.environ["START_AT"]) - time.time()))\n'


def run_at_once(script: str, variables: dict[str, str], count: int) -> list[dict]:
    """Start ``count`` processes running ``script``, which waits at ``TOGETHER`` for all to be
    ready, then goes on at the same moment; return the JSON each printed last, after asserting
    that every one succeeded."""
    assert TOGETHER in script
    variables = {**variables, "START_AT": str(time.time() + 1.0 + 0.4 * count)}
    processes = [start(script, variables) for _ in range(count)]
    results = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, stderr[-3000:]
        results.append(json.loads(stdout.splitlines()[-1]))
    return results


def leftovers(folder: Path) -> list[str]:
    """Return the staging files and folders anywhere under ``folder``."""
    return sorted(str(path) for path in folder.rglob(f"{STAGING}*"))


def test_processes_loading_mnist_at_once_all_get_the_whole_dataset(tmp_path, small_mirror):
    expected = [
        hashlib.sha256(data.read_idx(small_mirror / "mnist" / name).tobytes()).hexdigest()
        for name in ("train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
    ]
    script = (
        """
import hashlib, json
from chapters import data
"""
        + TOGETHER
        + """(train_images, _), (_, test_labels) = data.load_mnist()
print(json.dumps([hashlib.sha256(array.tobytes()).hexdigest() for array in (train_images, test_labels)]))
"""
    )
    for round_number in range(3):
        keras_home = tmp_path / f"round-{round_number}"
        results = run_at_once(script, environment(keras_home, small_mirror), count=3)
        assert results == [expected] * 3
        assert leftovers(keras_home) == []


def test_processes_building_cats_vs_dogs_at_once_read_every_image(tmp_path, small_mirror):
    listed = {
        path.removeprefix("cats_vs_dogs/"): digest
        for path, digest in data.mirror_checksums(small_mirror).items()
        if path.startswith("cats_vs_dogs/")
    }
    script = (
        """
import hashlib, json
from chapters import data
"""
        + TOGETHER
        + """folder = data.cats_vs_dogs_directory()
print(json.dumps({
    str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
    for path in folder.rglob("*.jpg")
}))
"""
    )
    for round_number in range(2):
        keras_home = tmp_path / f"round-{round_number}"
        results = run_at_once(script, environment(keras_home, small_mirror), count=3)
        assert all(result == listed for result in results), "a process read a missing or changed image"
        assert len(listed) == CATS_VS_DOGS_IMAGES
        assert leftovers(keras_home) == []


READ_REVIEWS = (
    """
import json
from chapters import data
"""
    + TOGETHER
    + """folder = data.imdb_reviews_directory()
print(json.dumps({str(path.relative_to(folder)): path.read_text() for path in folder.rglob("*.txt")}))
"""
)


def test_processes_extracting_one_archive_at_once_read_every_file(tmp_path):
    mirror = review_mirror(tmp_path / "mirror", review_archive())
    for round_number in range(2):
        keras_home = tmp_path / f"round-{round_number}"
        results = run_at_once(READ_REVIEWS, environment(keras_home, mirror), count=3)
        assert len(results[0]) == 1600
        assert results[0]["train/pos/3_7.txt"] == "train pos review 3. " * 20
        assert results[1] == results[0] and results[2] == results[0]
        assert leftovers(keras_home) == []


def test_processes_loading_a_tfds_build_at_once(tmp_path, small_tfds_mirror):
    script = (
        """
import json
from chapters import data
"""
        + TOGETHER
        + """test = data.load_tfds("mnist", split="test")
print(json.dumps([int(test.cardinality()), int(next(iter(test))["label"])]))
"""
    )
    for round_number in range(2):
        tfds_dir = tmp_path / f"tfds-{round_number}"
        variables = environment(tmp_path / "keras", small_tfds_mirror, TFDS_DATA_DIR=str(tfds_dir))
        results = run_at_once(script, variables, count=2)
        assert results[0] == [TFDS_TEST, 0] and results == [results[0]] * 2
        assert sorted(path.name for path in (tfds_dir / "mnist").iterdir()) == ["3.0.1"]
        assert leftovers(tfds_dir) == []


class SlowHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files in 64 KiB blocks, 0.1 s apart, counting the requests it answers."""

    def do_GET(self):
        self.server.requests += 1
        path = Path(self.translate_path(self.path))
        if not path.is_file():
            self.send_error(404)
            return
        content = path.read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        for offset in range(0, len(content), 1 << 16):
            self.wfile.write(content[offset : offset + (1 << 16)])
            self.wfile.flush()
            time.sleep(0.1)

    def log_message(self, format, *args):
        pass


@pytest.fixture
def slow_server(tmp_path):
    """Serve ``server.root`` slowly on 127.0.0.1: a 1.5 MB file takes about 2.5 s."""
    root = tmp_path / "served"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), lambda *arguments: SlowHandler(*arguments, directory=str(root))
    )
    server.root, server.requests = root, 0
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def served_reviews(server, archive: bytes) -> str:
    """Serve ``archive`` as the aclImdb archive; return a script that fetches it from there and
    prints the size of each review it read."""
    (server.root / "aclImdb_v1.tar.gz").write_bytes(archive)
    changes = {"sha256": hashlib.sha256(archive).hexdigest(), "size": len(archive)}
    return f"""
import json
from served import dataset_served_at
from chapters import data
dataset = dataset_served_at("imdb_reviews", "{server.url}/aclImdb_v1.tar.gz", **{changes!r})
folder = data.fetch(dataset) / "aclImdb"
print(json.dumps({{str(path.relative_to(folder)): len(path.read_bytes()) for path in folder.rglob("*.txt")}}))
"""


def incompressible_archive() -> bytes:
    """A review archive of about 1.5 MB that gzip cannot shrink, so that it downloads slowly."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        content = np.random.default_rng(0).bytes(1_500_000)
        member = tarfile.TarInfo("aclImdb/train/pos/0_9.txt")
        member.size = len(content)
        archive.addfile(member, io.BytesIO(content))
    return buffer.getvalue()


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def start_second_while_first_fetches(script: str, keras_home: Path) -> tuple[subprocess.Popen, ...]:
    """Start ``script`` twice with the cache ``keras_home``, the second once the first holds the
    dataset's lock (its staging folder is there)."""
    first = start(script, environment(keras_home, None))
    wait_for(lambda: leftovers(keras_home))
    return first, start(script, environment(keras_home, None))


def test_a_download_started_twice_is_downloaded_once_and_both_get_the_file(tmp_path, slow_server):
    script = served_reviews(slow_server, incompressible_archive())
    first, second = start_second_while_first_fetches(script, tmp_path / "keras")
    outputs = [process.communicate(timeout=120) for process in (first, second)]
    assert [process.returncode for process in (first, second)] == [0, 0], outputs
    assert [json.loads(stdout.splitlines()[-1]) for stdout, _ in outputs] == [
        {"train/pos/0_9.txt": 1_500_000}
    ] * 2
    assert "Waiting for another process" in outputs[1][0]
    assert slow_server.requests == 1, "the second process must use the first one's download"
    assert leftovers(tmp_path / "keras") == []


def test_ctrl_c_while_waiting_leaves_the_other_process_s_dataset_whole(tmp_path, slow_server):
    script = served_reviews(slow_server, incompressible_archive())
    first, second = start_second_while_first_fetches(script, tmp_path / "keras")
    assert "Waiting for another process" in second.stdout.readline()
    second.send_signal(signal.SIGINT)
    assert second.wait(timeout=30) != 0
    stdout, stderr = first.communicate(timeout=120)
    assert first.returncode == 0, stderr[-3000:]
    assert json.loads(stdout.splitlines()[-1]) == {"train/pos/0_9.txt": 1_500_000}
    extracted = tmp_path / "keras" / "datasets" / "aclImdb_v1_extracted"
    assert (extracted / "aclImdb" / "train" / "pos" / "0_9.txt").stat().st_size == 1_500_000


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill-9"])
def test_an_interrupted_download_leaves_nothing_that_breaks_or_fills_the_next_run(
    tmp_path, slow_server, stop
):
    script = served_reviews(slow_server, incompressible_archive())
    keras_home = tmp_path / "keras"
    variables = environment(keras_home, None)
    interrupted = start(script, variables)
    wait_for(lambda: leftovers(keras_home) and slow_server.requests == 1)
    time.sleep(0.5)  # part of the archive is on disk
    interrupted.send_signal(stop)
    assert interrupted.wait(timeout=30) != 0
    if stop == signal.SIGINT:
        assert leftovers(keras_home) == [], "Ctrl-C cleans up after itself"

    stdout, stderr = start(script, variables).communicate(timeout=120)
    assert json.loads(stdout.splitlines()[-1]) == {"train/pos/0_9.txt": 1_500_000}, stderr[-3000:]
    assert leftovers(keras_home) == [], "the next run removes what a killed one left"


def test_a_process_killed_while_copying_an_image_folder_leaves_nothing_behind_the_next_run(
    tmp_path, small_mirror
):
    """The killed process copies the small folder at a pace of 10 ms an image (each file copy
    delayed), so that it is surely killed halfway."""
    keras_home = tmp_path / "keras"
    script = "from chapters import data; print(len(list(data.cats_vs_dogs_directory().rglob('*.jpg'))))"
    slowly = """
import shutil, time
copy = shutil.copyfile
shutil.copyfile = lambda *arguments, **options: time.sleep(0.01) or copy(*arguments, **options)
"""
    killed = start(slowly + script, environment(keras_home, small_mirror))
    wait_for(lambda: len(list(keras_home.rglob("*.jpg"))) > CATS_VS_DOGS_IMAGES // 4)
    killed.kill()
    killed.wait(timeout=30)
    assert leftovers(keras_home) != [], "the killed copy left its staging folder"

    stdout, stderr = start(script, environment(keras_home, small_mirror)).communicate(timeout=300)
    assert stdout.split() == [str(CATS_VS_DOGS_IMAGES)], stderr[-3000:]
    assert leftovers(keras_home) == []
