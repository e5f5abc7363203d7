"""The notebooks as a student meets them: opened in JupyterLab in Chromium and run with JupyterLab's
own Run All, in quick mode. Every notebook runs its opening (setup, parameters, imports); two run
to the end, one of them the chapter with the most figures among the quick ones. Each run checks
that every cell ran, that no cell raised or wrote to stderr, and that every figure a cell made
arrived in the page as an image; then, in JupyterLab's dark theme, that every figure keeps its
opaque light background (a screenshot of the first is kept).

On failure, a screenshot of the first cell at fault and every cell's outputs are kept in
``$CHAPTERS_BROWSER_ARTIFACTS`` (CI names it in its log), else in the test's temporary folder.
"""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from lab_in_browser import (
    CELLS,
    CHANGE_THEME,
    FIGURE_BACKGROUNDS,
    OPENED,
    RUN,
    RUN_ENDED,
    SHOW_CELL,
    SHUT_DOWN_KERNEL,
    start_lab,
)

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
# 01: a network trained and checked end to end; 02: six figures, the most of the quick chapters.
RUN_TO_THE_END = ["01_tensors.ipynb", "02_gradient_descent.ipynb"]
SETUP_LINE = re.compile(r"backend: \w+ \| device: .+ \| seed: \d+ \| mode: quick")
DRAWS = re.compile(r"\b(plots|plt)\.\w+\(")  # a cell that calls the plotting helpers or pyplot
OPENING_SECONDS, WHOLE_RUN_SECONDS = 120, 400


@pytest.fixture(scope="module")
def lab(tmp_path_factory, shared_mirror):
    """A JupyterLab server whose kernels run in quick mode on the offline mirror, with empty caches
    and matplotlib's default for a notebook (not the Agg backend the other tests use)."""
    workdir = tmp_path_factory.mktemp("jupyterlab")
    environment = {name: value for name, value in os.environ.items() if name != "MPLBACKEND"}
    environment.update(
        CHAPTERS_MODE="quick",
        CHAPTERS_MIRROR=str(shared_mirror),
        KERAS_HOME=str(workdir / "keras-home"),
        TFDS_DATA_DIR=str(workdir / "tensorflow_datasets"),
    )
    server, process = start_lab(NOTEBOOKS, workdir, environment)
    yield server
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        # Seen in CI of 319da1c, after every test had passed: the server had shut down, but its
        # process waited forever at exit for an idle AnyIO worker thread (py-spy: main thread in
        # threading._shutdown, the worker in Queue.get), left behind as an orphan. Not ours to fix
        # from here; the server is done with, so it is killed.
        process.kill()
        process.wait(timeout=30)


@pytest.fixture
def page(browser):
    """A new page, with the JavaScript errors it raises collected in ``page.errors``."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    page.close()


def problems_in(cells: list[dict], first_not_run: int) -> list[str]:
    """Return what went wrong in the code cells before index ``first_not_run``: a cell that did not
    run, raised, or wrote to stderr, a figure in its outputs that the page did not draw, or a
    cell that draws but shows no figure."""
    problems = []
    for index, cell in enumerate(cells[:first_not_run]):
        if cell["type"] != "code":
            continue
        where = f"cell {index + 1} ({cell['source'].splitlines()[0][:60]!r})"
        if cell["executionCount"] is None:
            not_run = sum(c["type"] == "code" and c["executionCount"] is None for c in cells[:first_not_run])
            return [*problems, f"{where} did not run ({not_run} code cells in all did not)"]
        figures = 0
        for output in cell["outputs"]:
            if output["output_type"] == "error":
                problems.append(f"{where} raised {output['ename']}: {output['evalue']}")
            elif output["output_type"] == "stream" and output["name"] == "stderr":
                problems.append(f"{where} wrote to stderr: {''.join(output['text'])[:300]!r}")
            figures += "image/png" in output.get("data", {})
        drawn = sum(image["loaded"] and image["width"] > 0 for image in cell["images"])
        if drawn < figures:
            problems.append(f"{where} made {figures} figures, the page drew {drawn}")
        elif not figures and DRAWS.search(cell["source"]):
            problems.append(f"{where} draws, but no figure arrived")
    return problems


def run_in_lab(page, lab, tmp_path, notebook: str, command: str, stop_at: int | None, seconds: int):
    """Open ``notebook`` in JupyterLab, run JupyterLab's ``command`` (with the cell at ``stop_at``
    made active first, when given), wait for it to finish, and return the page's cells. Fails with
    the problems found, keeping a screenshot and the outputs, if anything went wrong."""
    from playwright.sync_api import Error as PageError  # installed: the page fixture has a browser

    try:
        page.goto(lab.notebook_url(notebook))
        page.wait_for_function(OPENED, arg=f"notebooks/{notebook}", timeout=60_000)
        page.evaluate(RUN, [command, stop_at])
        page.wait_for_function(RUN_ENDED, timeout=seconds * 1000, polling=1000)
        ended = page.evaluate("() => window.chaptersRun")
        cells = page.evaluate(CELLS)
        problems = [f"JupyterLab's {command} ended with {ended}"] if ended != "finished" else []
        problems += problems_in(cells, len(cells) if stop_at is None else stop_at)
        problems += [f"JavaScript error in the page: {error}" for error in page.errors]
    except PageError as error:  # a timeout or a page that never opened: keep what the page shows
        cells, problems = [], [f"{type(error).__name__}: {error}"]
    if problems:
        kept = keep_for_inspection(page, tmp_path, f"{Path(notebook).stem}.{command}", cells, problems)
        pytest.fail(
            f"{notebook} in JupyterLab:\n" + "\n".join(problems) + f"\nscreenshot and outputs: {kept}"
        )
    page.evaluate(SHUT_DOWN_KERNEL)
    return cells


def keep_for_inspection(page, tmp_path, name: str, cells: list[dict], problems: list[str]) -> Path:
    """Save a screenshot of the first cell at fault and every cell's outputs in a folder ``name``;
    return the folder."""
    folder = Path(os.environ.get("CHAPTERS_BROWSER_ARTIFACTS") or tmp_path) / name.replace(":", "-")
    folder.mkdir(parents=True, exist_ok=True)
    at_fault = re.match(r"cell (\d+)", problems[0])
    from playwright.sync_api import Error as PageError

    try:
        if at_fault:
            page.evaluate(SHOW_CELL, int(at_fault.group(1)) - 1)
        page.screenshot(path=folder / "screenshot.png")
    except PageError as error:  # the page itself may be what failed
        problems.append(f"(no screenshot: {error})")
    outputs = [{"cell": index + 1, "outputs": cell["outputs"]} for index, cell in enumerate(cells)]
    (folder / "outputs.json").write_text(json.dumps({"problems": problems, "cells": outputs}, indent=1))
    return folder


def opening_end(notebook: str) -> int:
    """Return the index of the notebook's first section heading: the cells above it are its opening."""
    cells = json.loads((NOTEBOOKS / notebook).read_text())["cells"]
    return next(
        index
        for index, cell in enumerate(cells)
        if cell["cell_type"] == "markdown" and "".join(cell["source"]).startswith("## ")
    )


@pytest.mark.parametrize("notebook", sorted(path.name for path in NOTEBOOKS.glob("*.ipynb")))
def test_every_notebook_opens_and_runs_its_opening(page, lab, tmp_path, notebook):
    stop_at = opening_end(notebook)
    cells = run_in_lab(page, lab, tmp_path, notebook, "notebook:run-all-above", stop_at, OPENING_SECONDS)
    printed = "".join(
        "".join(output.get("text", ""))
        for cell in cells[:stop_at]
        for output in cell["outputs"]
        if output["output_type"] == "stream"
    )
    assert SETUP_LINE.search(printed), f"the setup line is missing from {notebook}'s opening: {printed!r}"


@pytest.mark.parametrize("notebook", RUN_TO_THE_END)
def test_notebook_runs_to_the_end_in_jupyterlab(page, lab, tmp_path, notebook):
    cells = run_in_lab(page, lab, tmp_path, notebook, "notebook:run-all-cells", None, WHOLE_RUN_SECONDS)
    assert all(cell["executionCount"] for cell in cells if cell["type"] == "code")
    check_figures_in_the_dark_theme(page, tmp_path, Path(notebook).stem)


def check_figures_in_the_dark_theme(page, tmp_path, name: str) -> None:
    """Switch JupyterLab to its dark theme and check that every figure on the page keeps an opaque,
    light background (dark text on the theme's dark background would be unreadable); keep a
    screenshot of the first figure either way."""
    page.evaluate(CHANGE_THEME, "JupyterLab Dark")
    try:
        backgrounds = page.evaluate(FIGURE_BACKGROUNDS)
        folder = Path(os.environ.get("CHAPTERS_BROWSER_ARTIFACTS") or tmp_path)
        folder.mkdir(parents=True, exist_ok=True)
        page.locator(".jp-OutputArea-output img").first.screenshot(path=folder / f"{name}.dark-theme.png")
    finally:
        page.evaluate(
            CHANGE_THEME, "JupyterLab Light"
        )  # the next test's JupyterLab, as a reader first meets it
    assert backgrounds, f"{name} drew no figure to check"
    unreadable = [
        index + 1
        for index, figure in enumerate(backgrounds)
        if figure["opaque"] < 0.99 or figure["borderBrightness"] < 200
    ]
    assert not unreadable, (
        f"{name}: figures {unreadable} of {len(backgrounds)} take the dark theme's background"
    )
