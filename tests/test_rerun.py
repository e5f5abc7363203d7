"""Safe to run again: the static check that finds cells rebinding what they read, and the
``rerun`` command that runs a notebook with every code cell run twice in a row."""

import nbformat
import pytest

from chapters.tools import notebooks, rerun

REBINDING_CELLS = [
    ("x = f(x)", {"x": 1}),
    ("x += 1", {"x": 1}),
    ("x /= 255", {"x": 1}),
    ("x, y = y, x", {"x": 1, "y": 1}),
    ("(x, y), z = f(x)", {"x": 1}),
    ("scaled = x / 255\nx = scaled", {"x": 2}),
    ("x: float = x * 2", {"x": 1}),
    ("x = [value / 255 for value in x]", {"x": 1}),
    ("for _ in range(3):\n    x = step(x)", {"x": 2}),
    ("if ready:\n    x = x[:100]", {"x": 2}),
    ("del x", {"x": 1}),
    ('import sys\n\nif "google.colab" in sys.modules:\n    %pip install -q chapters\nx = x * 2', {"x": 5}),
]

SAFE_CELLS = [
    "y = f(x)",
    "x = 1\nx = x + 1",
    "base.trainable = False",
    "table[x] = y",
    "x.append(1)",
    "for x in items:\n    print(x)",
    "def scale(x):\n    x = x / 255\n    return x",
    "class Model(keras.Model):\n    x = x",
    "squares = [x * x for x in range(3)]",
    "key = lambda x: x[1]",
    "import numpy as np",
    "%pip install -q chapters\n!ls",
    "y = (\n    x\n    != 0\n)",
    "with open(path) as x:\n    x = x.read()",
]


@pytest.mark.parametrize(("source", "expected"), REBINDING_CELLS)
def test_rebinding_a_name_from_an_earlier_cell_is_found_with_its_line(source, expected):
    assert rerun.rebound_names(source, {"x", "y", "z"}) == expected


@pytest.mark.parametrize("source", SAFE_CELLS)
def test_cells_safe_to_run_again_are_not_flagged(source):
    assert rerun.rebound_names(source, {"x", "y", "np", "base", "table", "items"}) == {}


def test_only_names_from_earlier_cells_count():
    assert rerun.rebound_names("x = f(x)", set()) == {}


def test_bound_names_are_the_top_level_ones():
    source = (
        "import numpy as np\nimport os.path\nfrom keras import layers as keras_layers\n"
        "a, (b, *c) = f()\nmodel.name = 'x'\ntable[d] = 1\n"
        "def g(e):\n    h = e\nclass K:\n    i = 1\nfor j in range(2):\n    pass\n"
        "squares = [k * k for k in range(3)]\n(m := 1)\n%pip install chapters"
    )
    expected = {"np", "os", "keras_layers", "a", "b", "c", "g", "K", "j", "squares", "m"}
    assert rerun.bound_names(source) == expected


def tiny_notebook(path, *sources):
    """Write a notebook of code cells ``sources`` (python3 kernel) to ``path``; return ``path``."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [nbformat.v4.new_markdown_cell("# A tiny notebook")]
    notebook.cells += [nbformat.v4.new_code_cell(source) for source in sources]
    nbformat.write(notebook, path)
    return path


def test_rerun_passes_a_safe_notebook_run_from_its_folder_in_this_environment(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CHAPTERS_MODE", "quick")
    path = tiny_notebook(
        tmp_path / "safe.ipynb",
        "import os\n\nx = 1",
        f"doubled = x * 2\nassert doubled == 2\nassert os.getcwd() == {str(tmp_path)!r}",
        'assert os.environ["CHAPTERS_MODE"] == "quick"',
    )
    unchanged = path.read_bytes()
    notebooks.main(["rerun", str(path)])
    assert "safe.ipynb: passed, each code cell run twice, in " in capsys.readouterr().out
    assert path.read_bytes() == unchanged


def test_rerun_fails_naming_the_cell_that_breaks_on_its_second_run(tmp_path, capsys):
    path = tiny_notebook(
        tmp_path / "unsafe.ipynb",
        "x = 1",
        'x = x * 2\nassert x == 2, f"x is {x}, not 2"',
        "print('never reached')",
    )
    with pytest.raises(SystemExit) as exit_info:
        notebooks.main(["rerun", str(path)])
    assert "unsafe.ipynb: FAILED" in capsys.readouterr().out
    message = str(exit_info.value.code)
    assert f"{path}: cell 2 ('x = x * 2'), second run: AssertionError: x is 4, not 2" in message
