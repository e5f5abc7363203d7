"""JupyterLab in a browser, for the tests that open the notebooks as a student does: a JupyterLab
server on 127.0.0.1 serving copies of the notebooks, and Debian's Chromium driven by Playwright.

The tests run cells through JupyterLab's own commands (``notebook:run-all-cells``) and read what
the page shows: each cell's execution count and outputs from its model, and the images its output
area rendered. ``CHAPTERS_BROWSER_TEST=required`` (CI sets it) makes a missing browser or
Playwright a failure instead of a skip.
"""

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")  # Debian's package: apt-get install chromium
# Chromium's flags for a root user on a machine with no display and no internet (the background
# services' connection attempts are refused by the closed network, many at a time).
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# JupyterLab's user settings for the test: every cell stays in the page (by default JupyterLab 4
# renders only the cells in view, and the test reads the rendered images of all of them), and no
# news or update checks reach for the internet.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


def browser_or_skip():
    """Return Playwright's ``sync_playwright``, or skip the test when Playwright or Chromium is
    missing (fail instead when ``CHAPTERS_BROWSER_TEST=required``)."""
    required = os.environ.get("CHAPTERS_BROWSER_TEST") == "required"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = "Playwright for Python (pip install playwright)"
    else:
        if CHROMIUM.is_file():
            return sync_playwright
        missing = f"Chromium at {CHROMIUM} (apt-get install chromium)"
    if required:
        pytest.fail(f"CHAPTERS_BROWSER_TEST=required, but {missing} is not installed")
    pytest.skip(f"the browser test needs {missing}")


@dataclass
class LabServer:
    """A running JupyterLab server: its address, login token, the folder it serves, and its log."""

    url: str
    token: str
    root: Path
    log: Path

    def notebook_url(self, name: str) -> str:
        """The page that opens ``name`` alone (``reset``: not beside the notebooks opened before)."""
        return f"{self.url}/lab/tree/notebooks/{name}?reset&token={self.token}"


def start_lab(notebooks: Path, workdir: Path, environment: dict[str, str]):
    """Start JupyterLab on a free port of 127.0.0.1, serving a copy of ``notebooks`` in ``workdir``
    (the originals are never touched, whatever the page saves), with its kernels run in
    ``environment``. Return the ``LabServer`` and the server's process once it answers."""
    shutil.copytree(notebooks, workdir / "notebooks")
    settings = workdir / "lab-settings"
    for relative, values in LAB_SETTINGS.items():
        (settings / relative).parent.mkdir(parents=True, exist_ok=True)
        (settings / relative).write_text(json.dumps(values))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = LabServer(f"http://127.0.0.1:{port}", secrets.token_hex(16), workdir, workdir / "jupyterlab.log")
    command = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root",
        "--ip=127.0.0.1", f"--port={port}", f"--IdentityProvider.token={server.token}",
        f"--ServerApp.root_dir={workdir}",
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: the page's command registry
        "--LabApp.extension_manager=readonly",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]  # fmt: skip
    environment = dict(
        environment,
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(workdir / "lab-workspaces"),
    )
    with server.log.open("w") as log:
        process = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{server.url}/api/status?token={server.token}", timeout=2)
            return server, process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"JupyterLab did not start; its log:\n{server.log.read_text()[-3000:]}")
            time.sleep(0.5)


# Page-side code, run in the notebook's page through the JupyterLab application object.
OPENED = """(path) => {
    const panel = window.jupyterapp?.shell.currentWidget;
    return panel?.sessionContext !== undefined && panel.context.path === path;
}"""
RUN = """async ([command, stopAt]) => {
    const app = window.jupyterapp;
    const panel = app.shell.currentWidget;
    await panel.context.ready;
    await panel.sessionContext.ready;
    if (stopAt !== null) panel.content.activeCellIndex = stopAt;
    window.chaptersRun = null;
    app.commands.execute(command).then(
        () => { window.chaptersRun = "finished"; },
        (error) => { window.chaptersRun = String(error); },
    );
}"""
RUN_ENDED = "() => window.chaptersRun !== null"
CELLS = """() => window.jupyterapp.shell.currentWidget.content.widgets.map((cell) => ({
    type: cell.model.type,
    source: cell.model.sharedModel.getSource(),
    executionCount: cell.model.type === "code" ? cell.model.executionCount : null,
    outputs: cell.model.type === "code" ? cell.model.outputs.toJSON() : [],
    images: Array.from(cell.node.querySelectorAll(".jp-OutputArea-output img"))
        .map((image) => ({ loaded: image.complete, width: image.naturalWidth })),
}))"""
SHOW_CELL = """(index) => {
    const notebook = window.jupyterapp.shell.currentWidget.content;
    notebook.activeCellIndex = index;
    return notebook.scrollToItem(index, "start");
}"""
SHUT_DOWN_KERNEL = "() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()"
# JupyterLab's theme, changed as a reader does (Settings > Theme); resolves once the page shows it.
CHANGE_THEME = """async (theme) => {
    await window.jupyterapp.commands.execute("apputils:change-theme", { theme });
    const light = theme.includes("Light") ? "true" : "false";
    while (document.body.dataset.jpThemeLight !== light) await new Promise((done) => setTimeout(done, 100));
}"""
# Each figure the page drew, read back pixel by pixel: the share of its pixels that are opaque, and
# the mean brightness of its border (a figure with a transparent background takes the theme's).
FIGURE_BACKGROUNDS = """() => Array.from(document.querySelectorAll(".jp-OutputArea-output img")).map((image) => {
    const canvas = document.createElement("canvas");
    canvas.width = image.naturalWidth;
    canvas.height = image.naturalHeight;
    const context = canvas.getContext("2d");
    context.drawImage(image, 0, 0);
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
    let opaque = 0;
    for (let i = 3; i < pixels.length; i += 4) opaque += pixels[i] === 255;
    const border = context.getImageData(0, 0, canvas.width, 2).data;
    let brightness = 0;
    for (let i = 0; i < border.length; i += 4) brightness += (border[i] + border[i + 1] + border[i + 2]) / 3;
    return { opaque: opaque / (pixels.length / 4), borderBrightness: brightness / (border.length / 4) };
})"""
