"""Maintainer tools for the notebook files, run from the repository root.

``python -m chapters.notebooks sync``: point every notebook's "Open in Colab" badge and setup cell
(which holds the Colab install line) at the repository address in ``pyproject.toml``, its one home.

``python -m chapters.notebooks strip NOTEBOOK...``: after running a notebook, keep only the outputs
of cells marked ``# NBVAL_CHECK_OUTPUT`` (nbval compares those) and drop every other output.

``python -m chapters.notebooks rerun NOTEBOOK...``: run each notebook with every code cell run twice
in a row, as a reader re-running cells does, in this environment (``KERAS_BACKEND``,
``CHAPTERS_MODE``, ...); exit non-zero naming the first cell that fails in each (see ``chapters.rerun``).
"""

import re
import sys
from pathlib import Path

import nbformat

from chapters import rerun

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CHECKED_OUTPUT_MARK = "# NBVAL_CHECK_OUTPUT"
BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
BADGE_PATTERN = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)")
SETUP_CELL_TEMPLATE = """\
# Setup, the same in every chapter: install the helpers on Colab, choose the backend, seed.
import sys

if "google.colab" in sys.modules:
    %pip install -q "keras-chapters @ git+{repository}"
KERAS_BACKEND = "tensorflow"  # @param ["tensorflow", "jax", "torch"]

import chapters

session = chapters.setup(KERAS_BACKEND)"""


def repository_url(root: Path) -> str:
    """Return the repository address recorded in ``root/pyproject.toml`` (``[project.urls]``)."""
    with open(root / "pyproject.toml", "rb") as stream:
        return tomllib.load(stream)["project"]["urls"]["Repository"].rstrip("/")


def colab_badge(repository: str, notebook_name: str) -> str:
    """Return the markdown of the "Open in Colab" badge for ``notebooks/<notebook_name>``."""
    github_path = repository.removeprefix("https://github.com/")
    colab_url = f"https://colab.research.google.com/github/{github_path}/blob/main/notebooks/{notebook_name}"
    return f"[![Open In Colab]({BADGE_IMAGE})]({colab_url})"


def setup_cell(repository: str) -> str:
    """Return the source of the setup cell every notebook opens with, installing from ``repository``."""
    return SETUP_CELL_TEMPLATE.format(repository=repository)


def sync_notebook(path: Path, repository: str) -> bool:
    """Point ``path``'s badge and setup cell at ``repository``; return whether the file changed."""
    notebook = nbformat.read(path, as_version=4)
    header, setup = notebook.cells[0], notebook.cells[1]
    new_header = BADGE_PATTERN.sub(lambda _: colab_badge(repository, path.name), header.source)
    new_setup = setup_cell(repository)
    if (new_header, new_setup) == (header.source, setup.source):
        return False
    header.source, setup.source = new_header, new_setup
    nbformat.write(notebook, path)
    return True


def strip_outputs(path: Path) -> None:
    """Rewrite ``path`` keeping only checked cells' outputs and execution counts (nbval needs both).

    Checked cells are numbered 1, 2, ... in order; every other cell loses its outputs and count.
    """
    notebook = nbformat.read(path, as_version=4)
    checked_cells = 0
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        if CHECKED_OUTPUT_MARK in cell.source:
            checked_cells += 1
            cell.execution_count = checked_cells
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
        repository = repository_url(Path("."))
        for path in sorted(Path("notebooks").glob("*.ipynb")):
            if sync_notebook(path, repository):
                print(f"updated {path}")
    elif command == "strip" and paths:
        for path in paths:
            strip_outputs(Path(path))
    elif command == "rerun" and paths:
        failures = rerun.rerun_notebooks([Path(path) for path in paths])
        if failures:
            raise SystemExit("\n".join(["a cell failed when run twice in a row:", *map(str, failures)]))
    else:
        raise SystemExit("usage: python -m chapters.notebooks sync | strip NOTEBOOK... | rerun NOTEBOOK...")


if __name__ == "__main__":
    main(sys.argv[1:])
