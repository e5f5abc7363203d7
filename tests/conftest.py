"""Fixtures for the helper package's tests: an isolated Keras cache and a local HTTP server."""

import functools
import http.server
import os
import threading
from pathlib import Path

import pytest

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def repository_root() -> Path:
    return REPOSITORY_ROOT


@pytest.fixture(scope="session")
def shared_mirror() -> Path:
    """The offline mirror CI uses: $CHAPTERS_MIRROR, else ../shared/data beside the repository."""
    mirror = Path(os.environ.get("CHAPTERS_MIRROR") or REPOSITORY_ROOT.parent / "shared" / "data").resolve()
    assert (mirror / "SHA256SUMS").is_file(), f"the offline mirror is expected at {mirror}"
    return mirror


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
