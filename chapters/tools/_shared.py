"""What the maintainer tools share, so that no tool imports another.

Running a notebook's code cells in a Jupyter kernel (``run``, ``no_learning``, ``colab``): the
kernel's arguments, parameters injected after the cell tagged ``parameters``, the checkout whose
package a kernel imports, and the cells executed one by one. The project's repository address and
the requirement a Colab setup cell installs (``notebooks``, ``colab``), and the address of the
course's website (``notebooks``, ``site``). How a backend, a
duration and a figure are written in tables, headers and pages (``report``, ``notebooks``, ``site``),
and the words of a header's link to the website.
"""

import ast
import sys
import time
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from chapters.tools.rerun import first_line

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

# The kernel's own log, not the cells' output: without this, every run starts with ipykernel's
# warning that it talks to the runner over TCP on 127.0.0.1 unencrypted.
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=ERROR"]
BACKEND_TITLES = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}


def inject_parameters(notebook: nbformat.NotebookNode, parameters: dict) -> None:
    """Place a cell setting ``parameters`` after the cell tagged ``parameters``, tagged
    ``injected-parameters`` as papermill tags its own."""
    tagged = [
        index for index, cell in enumerate(notebook.cells) if "parameters" in cell.metadata.get("tags", [])
    ]
    if not tagged:
        raise ValueError("the notebook has no cell tagged 'parameters' to override values after")
    source = "# Parameters set by chapters.tools.run\n" + "".join(
        f"{name} = {value!r}\n" for name, value in parameters.items()
    )
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    notebook.cells.insert(tagged[0] + 1, cell)


def package_checkout(notebook: Path) -> Path | None:
    """Return the nearest folder above ``notebook`` that holds the ``chapters`` package, or None."""
    for folder in notebook.resolve().parents:
        if (folder / "chapters" / "__init__.py").is_file():
            return folder
    return None


def parse_value(text: str) -> Any:
    """Return ``text`` as a Python literal (``3``, ``0.5``, ``[1, 2]``), or as the string itself."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def execute_cells(
    client: NotebookClient, notebook: nbformat.NotebookNode, quiet: bool = False
) -> tuple[list[tuple[int, float]], dict | None]:
    """Run the code cells in order until one fails, printing a line for each unless ``quiet``;
    return each cell's (index, seconds) and the failure (None if every cell ran)."""
    code_cells = [index for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    cell_seconds = []
    for number, index in enumerate(code_cells, start=1):
        cell = notebook.cells[index]
        started = time.perf_counter()
        failure = None
        try:
            client.execute_cell(cell, index)
        except CellExecutionError as error:
            failure = {"error": error.ename, "message": error.evalue}
        except (CellTimeoutError, DeadKernelError) as error:
            failure = {"error": type(error).__name__, "message": str(error).strip().splitlines()[0]}
        seconds = time.perf_counter() - started
        cell_seconds.append((index, seconds))
        if not quiet:
            print(
                f"    cell {index:3d} ({number}/{len(code_cells)}) {seconds:6.1f} s  {first_line(cell.source)[:70]}",
                flush=True,
            )
        if failure:
            return cell_seconds, {"cell": index, "line": first_line(cell.source), **failure}
    return cell_seconds, None


def project_table(root: Path) -> dict:
    """Return the ``[project]`` table of ``root/pyproject.toml`` (name, dependencies, URLs, ...)."""
    with open(root / "pyproject.toml", "rb") as stream:
        return tomllib.load(stream)["project"]


def repository_url(root: Path) -> str:
    """Return the repository address recorded in ``root/pyproject.toml`` (``[project.urls]``)."""
    return project_table(root)["urls"]["Repository"].rstrip("/")


# The words of a notebook header's link to its page on the website (``notebooks`` writes it,
# ``site`` removes it from the page itself).
SITE_LINK_TEXT = "Read it with its outputs"


def site_url_of(repository: str) -> str:
    """Return where GitHub Pages publishes the course's website for the GitHub ``repository``
    (``https://github.com/<owner>/<name>``): ``https://<owner>.github.io/<name>``."""
    owner, name = repository.removeprefix("https://github.com/").split("/")[:2]
    return f"https://{owner}.github.io/{name}"


def install_requirement(repository: str) -> str:
    """Return what the setup cell's Colab install line installs: the course's package from the git
    repository at ``repository`` (an address pip's ``git+`` accepts: https, or file:// for a clone)."""
    return f"keras-chapters @ git+{repository}"


def format_value(value: float) -> str:
    """Return a figure to four significant digits (``0.9795``, ``2.266``, ``11.7``)."""
    return f"{value:.4g}"


def duration(seconds: float) -> str:
    """Return ``seconds`` as ``"48 s"``, ``"12.5 min"`` or ``"2.3 h"``."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min" if seconds < 90 * 60 else f"{seconds / 3600:.1f} h"
