"""Fixtures for the helper package's tests: an isolated Keras cache and a local HTTP server."""

import functools
import http.server
import os
import threading
from pathlib import Path

import pytest
from lab_in_browser import CHROMIUM, CHROMIUM_FLAGS, browser_or_skip

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent


def pytest_collection_modifyitems(items):
    """Mark ``mirror`` every test that reads the real datasets (``-m "not mirror"`` leaves them out)."""
    for item in items:
        if "shared_mirror" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.mirror)


@pytest.fixture
def repository_root() -> Path:
    return REPOSITORY_ROOT


# Read once, before any test's monkeypatch (keras_cache removes the variable) can hide it.
MIRROR_NAMED = os.environ.get("CHAPTERS_MIRROR", "").strip()
MIRROR_BESIDE = REPOSITORY_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_mirror() -> Path:
    """The offline mirror of the real datasets, for the tests whose subject is that data itself:
    $CHAPTERS_MIRROR, which must then be a mirror, else ../shared/data beside the repository when it
    holds one. Without either (a fresh clone) the test is skipped, saying how to supply it."""
    if MIRROR_NAMED:
        mirror = Path(MIRROR_NAMED).expanduser().resolve()
        assert (mirror / "SHA256SUMS").is_file(), (
            f"CHAPTERS_MIRROR={MIRROR_NAMED} is not an offline mirror: {mirror / 'SHA256SUMS'} is missing"
        )
        return mirror
    if (MIRROR_BESIDE / "SHA256SUMS").is_file():
        return MIRROR_BESIDE.resolve()
    pytest.skip(
        "needs the real datasets of the offline mirror: set CHAPTERS_MIRROR to the mirror folder "
        f"(docs/offline.md describes it), or put it at {MIRROR_BESIDE}"
    )


@pytest.fixture(scope="session")
def small_mirror(tmp_path_factory) -> Path:
    """A small mirror built for the tests, in the shared mirror's layout: small MNIST, cats vs dogs,
    Beijing, GloVe and aclImdb files and MobileNet's weights, listed in SHA256SUMS (tests/small_mirror.py).
    Never written to by a test."""
    import small_mirror

    return small_mirror.build(tmp_path_factory.mktemp("small-mirror"))


@pytest.fixture(scope="session")
def small_tfds_mirror(tmp_path_factory) -> Path:
    """A mirror holding a small TFDS build of mnist alone, listed in SHA256SUMS (tests/small_mirror.py)."""
    pytest.importorskip("tensorflow_datasets")
    import small_mirror

    return small_mirror.build_tfds(tmp_path_factory.mktemp("small-tfds-mirror"))


@pytest.fixture
def keras_cache(tmp_path, monkeypatch) -> Path:
    """An empty Keras cache folder, with no offline mirror configured."""
    cache = tmp_path / "keras-home"
    monkeypatch.setenv("KERAS_HOME", str(cache))
    monkeypatch.delenv("CHAPTERS_MIRROR", raising=False)
    return cache


class _RecordingHandler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        self.server.requested_paths.append(self.path)
        super().do_GET()

    def log_message(self, format, *args):  # keep the test output clean
        pass


@pytest.fixture
def file_server(tmp_path):
    """Serve the folder ``server.root`` over HTTP on 127.0.0.1; ``server.requested_paths`` lists hits."""
    root = tmp_path / "served"
    root.mkdir()
    handler = functools.partial(_RecordingHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.root = root
    server.requested_paths = []
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, driven by Playwright (the test is skipped without them, or fails when
    ``CHAPTERS_BROWSER_TEST=required``)."""
    sync_playwright = browser_or_skip()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()
