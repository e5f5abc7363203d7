"""Maintainer tools for the notebook files, run from the repository root.

``python -m chapters.tools.notebooks sync``: point every notebook's "Open in Colab" badge, its link to
its page on the course's website, and its setup cell (which holds the Colab install line) at the
repository address in ``pyproject.toml``, its one home;
write into the setup cell the chapter's full-mode time on a CPU per backend, kept in the notebook's
metadata (``"chapters": {"full_mode_cpu_minutes": {"tensorflow": N, "jax": N, "torch": N}}``) and taken
from the run records in ``records/`` wherever they hold a passed full-mode run on a 2-core CPU; write
the header's quick-mode sentence (``**Run time:** quick mode on a 2-core CPU, ...``) from the passed
quick-mode runs on a 2-core CPU in the records, where they have one for every backend; and ask Colab for
a GPU runtime when the full-mode time is long on any backend.

``python -m chapters.tools.notebooks strip NOTEBOOK...``: after running a notebook, keep only the outputs
of cells tagged ``nbval-check-output`` (nbval compares those) and drop every other output.

``python -m chapters.tools.notebooks rerun NOTEBOOK...``: run each notebook with every code cell run twice
in a row, as a reader re-running cells does, in this environment (``KERAS_BACKEND``,
``CHAPTERS_MODE``, ...); exit non-zero naming the first cell that fails in each (see ``chapters.tools.rerun``).
"""

import re
import statistics
import sys
from collections.abc import Iterable
from pathlib import Path

import nbformat

from chapters.session import BACKENDS
from chapters.tools import rerun
from chapters.tools._shared import (
    BACKEND_TITLES,
    SITE_LINK_TEXT,
    duration,
    install_requirement,
    repository_url,
    site_url_of,
)
from chapters.tools.records import read_records

CHECKED_OUTPUT_TAG = "nbval-check-output"  # nbval's cell tag: compare this cell's output with the stored one
BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
# The badge, and the link to the chapter's page on the course's website that follows it.
BADGE_PATTERN = re.compile(rf"\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)( · \[{SITE_LINK_TEXT}\]\([^)]*\))?")
# The header's first line of run time, written by sync from the quick-mode records: the rest is prose.
QUICK_MODE_START = "**Run time:** quick mode on a 2-core CPU, each run alone: "
QUICK_MODE_PATTERN = re.compile(rf"^{re.escape(QUICK_MODE_START)}.*$", re.MULTILINE)
SETUP_CELL_TEMPLATE = """\
# Setup, the same in every chapter: install the helpers on Colab, choose the backend and the mode, seed.
import sys

if "google.colab" in sys.modules:
    %pip install -q "{requirement}"
KERAS_BACKEND = "tensorflow"  # @param ["tensorflow", "jax", "torch"]
CHAPTERS_MODE = "full"  # @param ["full", "quick"]

import chapters

session = chapters.setup(
    KERAS_BACKEND, CHAPTERS_MODE, full_mode_cpu_minutes={{{minutes}}}
)"""
# The machine the notebooks give their times for, as records name it: CI's, a 2-core CPU.
MACHINE_OF_THE_TIMES = "CPU, 2-core "
# A chapter whose full mode takes this long on a CPU, on any backend, opens on Colab with a GPU.
GPU_RUNTIME_MINUTES = 30
COLAB_GPU_METADATA = {"accelerator": "GPU", "colab": {"gpuType": "T4", "provenance": []}}


def colab_badge(repository: str, notebook_name: str) -> str:
    """Return the markdown of the "Open in Colab" badge for ``notebooks/<notebook_name>``."""
    github_path = repository.removeprefix("https://github.com/")
    colab_url = f"https://colab.research.google.com/github/{github_path}/blob/main/notebooks/{notebook_name}"
    return f"[![Open In Colab]({BADGE_IMAGE})]({colab_url})"


def header_links(repository: str, notebook_name: str) -> str:
    """Return the header's line of links: the Colab badge, then the chapter's page on the course's
    website (``chapters.tools.site``), which shows a recorded run's outputs."""
    page = f"{site_url_of(repository)}/notebooks/{Path(notebook_name).stem}.html"
    return f"{colab_badge(repository, notebook_name)} · [{SITE_LINK_TEXT}]({page})"


def setup_cell(repository: str, full_mode_cpu_minutes: dict[str, int]) -> str:
    """Return the source of the setup cell every notebook opens with, installing from ``repository``
    and giving ``chapters.setup`` the chapter's full-mode minutes on a CPU per backend."""
    minutes = ", ".join(f'"{backend}": {full_mode_cpu_minutes[backend]}' for backend in BACKENDS)
    return SETUP_CELL_TEMPLATE.format(requirement=install_requirement(repository), minutes=minutes)


def full_mode_cpu_minutes(notebook: nbformat.NotebookNode) -> dict[str, int]:
    """Return the chapter's full-mode time on a 2-core CPU in minutes, per backend, from the notebook's
    metadata."""
    minutes = notebook.metadata.get("chapters", {}).get("full_mode_cpu_minutes")
    if not (
        isinstance(minutes, dict)
        and set(minutes) == set(BACKENDS)
        and all(isinstance(value, int) and value >= 1 for value in minutes.values())
    ):
        example = ", ".join(f'"{backend}": N' for backend in BACKENDS)
        raise ValueError(
            f'the notebook\'s metadata needs "chapters": {{"full_mode_cpu_minutes": {{{example}}}}}, '
            f"the full-mode time on a 2-core CPU in whole minutes per backend (found {minutes!r})"
        )
    return minutes


def recorded_cpu_seconds(records: Iterable[dict], notebook: str, mode: str) -> dict[str, float]:
    """Return, per backend, the seconds ``notebook``'s passed runs in ``mode`` on a 2-core CPU took
    (the mean over its records); a backend with no such record is left out."""
    seconds: dict[str, list[float]] = {}
    for record in records:
        counts = record["mode"] == mode and record["outcome"] == "passed"
        if counts and record["machine"].startswith(MACHINE_OF_THE_TIMES) and record["notebook"] == notebook:
            seconds.setdefault(record["backend"], []).append(record["wall_seconds"])
    return {backend: statistics.mean(times) for backend, times in seconds.items()}


def recorded_cpu_minutes(records: Iterable[dict], notebook: str) -> dict[str, int]:
    """Return, per backend, the minutes ``notebook``'s passed full-mode runs on a CPU took (the mean
    over its records, rounded, at least 1); a backend with no such record is left out."""
    seconds = recorded_cpu_seconds(records, notebook, "full")
    return {backend: max(1, round(mean / 60)) for backend, mean in seconds.items()}


def quick_mode_sentence(seconds: dict[str, float]) -> str:
    """Return the header's quick-mode sentence giving these seconds per backend (``**Run time:**
    quick mode on a 2-core CPU, each run alone: TensorFlow 27 s, JAX 40 s, PyTorch 38 s.``)."""
    times = ", ".join(f"{BACKEND_TITLES[backend]} {duration(seconds[backend])}" for backend in BACKENDS)
    return f"{QUICK_MODE_START}{times}."


def wants_gpu_runtime(full_mode_cpu_minutes: dict[str, int]) -> bool:
    """Return whether a chapter with these full-mode minutes on a CPU per backend asks Colab for a
    GPU: full mode takes too long on a CPU on some backend."""
    return max(full_mode_cpu_minutes.values()) >= GPU_RUNTIME_MINUTES


def sync_notebook(path: Path, repository: str, records: Iterable[dict] = ()) -> bool:
    """Point ``path``'s badge and setup cell at ``repository``; take its full-mode CPU time per
    backend from ``records`` where they have it (else keep the metadata's), write it into the metadata
    and the setup cell, and its Colab runtime into the metadata; write the header's quick-mode
    sentence from ``records`` where they time every backend (else keep it); return whether the file
    changed."""
    notebook = nbformat.read(path, as_version=4)
    header, setup = notebook.cells[0], notebook.cells[1]
    records = list(records)
    minutes = full_mode_cpu_minutes(notebook) | recorded_cpu_minutes(records, path.stem)
    new_header = BADGE_PATTERN.sub(lambda _: header_links(repository, path.name), header.source)
    quick_seconds = recorded_cpu_seconds(records, path.stem, "quick")
    if set(quick_seconds) == set(BACKENDS):
        new_header = QUICK_MODE_PATTERN.sub(lambda _: quick_mode_sentence(quick_seconds), new_header)
    new_setup = setup_cell(repository, minutes)
    new_metadata = {key: value for key, value in notebook.metadata.items() if key not in COLAB_GPU_METADATA}
    new_metadata["chapters"] = {**new_metadata.get("chapters", {}), "full_mode_cpu_minutes": minutes}
    if wants_gpu_runtime(minutes):
        new_metadata.update(COLAB_GPU_METADATA)
    if (new_header, new_setup, new_metadata) == (header.source, setup.source, dict(notebook.metadata)):
        return False
    header.source, setup.source = new_header, new_setup
    notebook.metadata = nbformat.from_dict(new_metadata)
    nbformat.write(notebook, path)
    return True


def is_checked(cell: nbformat.NotebookNode) -> bool:
    """Return whether nbval compares ``cell``'s output with its stored one (its tags say so)."""
    return CHECKED_OUTPUT_TAG in cell.get("metadata", {}).get("tags", [])


def strip_outputs(path: Path) -> None:
    """Rewrite ``path`` keeping only checked cells' outputs and execution counts (nbval needs both).

    A checked cell keeps the count it gets when the notebook runs top to bottom (its place among the
    code cells), so its stored prompt reads as after Run All; every other cell loses its outputs and
    count.
    """
    notebook = nbformat.read(path, as_version=4)
    code_cells = 0
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        code_cells += 1
        if is_checked(cell):
            cell.execution_count = code_cells
        else:
            cell.execution_count = None
            cell.outputs = []
        for output in cell.outputs:
            if "execution_count" in output:
                output.execution_count = cell.execution_count
    nbformat.write(notebook, path)


def main(arguments: list[str]) -> None:
    """Run ``sync`` (every notebook under ./notebooks), ``strip NOTEBOOK...`` or ``rerun NOTEBOOK...``."""
    command, paths = (arguments[0], arguments[1:]) if arguments else ("", [])
    if command == "sync":
        repository, records = repository_url(Path(".")), read_records(Path("records"))
        for path in sorted(Path("notebooks").glob("*.ipynb")):
            if sync_notebook(path, repository, records):
                print(f"updated {path}")
    elif command == "strip" and paths:
        for name in paths:
            strip_outputs(Path(name))
    elif command == "rerun" and paths:
        failures = rerun.rerun_notebooks([Path(path) for path in paths])
        if failures:
            raise SystemExit("\n".join(["a cell failed when run twice in a row:", *map(str, failures)]))
    else:
        raise SystemExit(
            "usage: python -m chapters.tools.notebooks sync | strip NOTEBOOK... | rerun NOTEBOOK..."
        )


if __name__ == "__main__":
    main(sys.argv[1:])
