"""A function (or layer class) a chapter teaches and a later chapter reuses is written out in the
teaching chapter and kept in the helper package; the two copies must stay the same. The notebook's
cell says so with a comment line ``# Kept in the helper package as chapters.<module>.<name> ...``."""

import ast
import importlib
import inspect
import re
import textwrap
from pathlib import Path

import nbformat
import pytest

from chapters.tools import rerun

NOTEBOOK_DIRECTORY = Path(__file__).resolve().parent.parent / "notebooks"
KEPT_MARK = re.compile(r"^# Kept in the helper package as chapters\.(\w+)\.(\w+)\b", re.MULTILINE)


def kept_functions() -> list[tuple[str, str, str, str]]:
    """Return (notebook name, module, function, cell source) for every marked cell."""
    found = []
    for path in sorted(NOTEBOOK_DIRECTORY.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                found += [
                    (path.name, *match.groups(), cell.source) for match in KEPT_MARK.finditer(cell.source)
                ]
    return found


def function_source(source: str, name: str) -> str | None:
    """Return the source of the top-level function or class ``name`` defined in ``source``, or None."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name == name:
            return ast.get_source_segment(source, node)
    return None


def test_the_course_keeps_chapter_01s_network_for_later_chapters():
    assert ("01_tensors.ipynb", "mnist", "build_dense_classifier") in [
        found[:3] for found in kept_functions()
    ]


@pytest.mark.parametrize(
    "notebook_name, module_name, name, cell_source", kept_functions(), ids=lambda value: str(value)[:40]
)
def test_the_notebook_and_the_package_hold_the_same_function(notebook_name, module_name, name, cell_source):
    in_notebook = function_source(rerun.python_source(cell_source), name)
    assert in_notebook is not None, f"{notebook_name}: the marked cell does not define {name}"
    module = importlib.import_module(f"chapters.{module_name}")
    in_package = textwrap.dedent(inspect.getsource(getattr(module, name))).rstrip()
    assert in_notebook == in_package, (
        f"{notebook_name} and chapters/{module_name}.py define {name} differently: copy the notebook's "
        "version into the package (or the reverse), so later chapters reuse what this one teaches"
    )
