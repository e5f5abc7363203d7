"""A data error reads well where a student meets it. In a plain ``python`` traceback the package's
own frames are left out; in a notebook, run in a real kernel, its message comes first, then the
line of the student's cell that led to it; ``CHAPTERS_TRACEBACK=full`` brings every frame back."""

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

DEAD_URL = "http://127.0.0.1:9/nietzsche.txt"  # the discard port: nothing listens there
TESTS = Path(__file__).resolve().parent
# Nietzsche's corpus as the manifest has it, but served from a dead URL: no cache, no mirror, no
# network, so loading it fails with DatasetNotFoundError deep inside the data layer.
UNREACHABLE_CORPUS = f"""\
from served import dataset_served_at
from chapters import data
from chapters.data import catalog

unreachable = dataset_served_at("nietzsche", "{DEAD_URL}")
catalog.manifest = lambda: {{"nietzsche": unreachable}}  # where the loaders look a dataset up
"""
CALL = "text = data.load_nietzsche()"


def environment(**variables) -> dict[str, str]:
    """Return this process's environment (an empty Keras cache, no mirror: the ``keras_cache``
    fixture) with the tests' folder importable and ``variables`` added."""
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")])),
        **variables,
    }


def run_script(folder: Path, **variables) -> subprocess.CompletedProcess:
    script = folder / "load_it.py"
    script.write_text(UNREACHABLE_CORPUS + CALL + "\n")
    return subprocess.run(
        [sys.executable, str(script)],
        env=environment(**variables),
        capture_output=True,
        text=True,
        check=False,
    )


def package_frames(traceback_text: str) -> list[str]:
    """Return the function names of the traceback's frames in the chapters package."""
    frames = re.findall(r'^  File "([^"]+)", line \d+, in (\S+)$', traceback_text, flags=re.MULTILINE)
    return [function for path, function in frames if f"{os.sep}chapters{os.sep}" in path]


@pytest.mark.slow  # a Python process or a kernel
def test_a_plain_traceback_shows_the_call_and_the_message_without_the_package_s_frames(keras_cache, tmp_path):
    completed = run_script(tmp_path)
    assert completed.returncode == 1
    traceback_text = completed.stderr
    assert CALL in traceback_text
    assert package_frames(traceback_text) == ["called_by_a_notebook"], traceback_text
    assert "CHAPTERS_TRACEBACK=full shows them" in traceback_text
    assert "chapters.data.DatasetNotFoundError: Dataset 'nietzsche'" in traceback_text
    assert "CorruptFileError" not in traceback_text


@pytest.mark.slow  # a Python process or a kernel
def test_chapters_traceback_full_keeps_every_frame(keras_cache, tmp_path):
    completed = run_script(tmp_path, CHAPTERS_TRACEBACK="full")
    assert completed.returncode == 1
    frames = package_frames(completed.stderr)
    assert {"load_nietzsche", "fetch", "_get_file"} <= set(frames), completed.stderr


def run_in_a_kernel(folder: Path, **variables) -> dict:
    """Run the failing call in a notebook cell of a real kernel; return that cell's error output."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(UNREACHABLE_CORPUS), nbformat.v4.new_code_cell(CALL)]
    client = NotebookClient(
        notebook, timeout=120, allow_errors=True, resources={"metadata": {"path": str(folder)}}
    )
    client.execute(env=environment(**variables))
    (error,) = [output for output in notebook.cells[1].outputs if output.output_type == "error"]
    return error


@pytest.mark.slow  # a Python process or a kernel
def test_in_a_notebook_the_message_comes_first_then_the_cell_line_that_led_to_it(keras_cache, tmp_path):
    error = run_in_a_kernel(tmp_path)
    lines = "\n".join(error.traceback).splitlines()
    assert error.ename == "DatasetNotFoundError"
    assert lines[0].startswith("DatasetNotFoundError: Dataset 'nietzsche' (")
    assert "Looked in:" in lines[1] and any(line.startswith("To supply it") for line in lines)
    called_from = lines.index("Raised by the chapters package, called from Cell In[2], line 1:")
    assert lines[called_from + 1].strip() == CALL
    assert not any("chapters/" in line and ".py" in line for line in lines), "no frame of the package"
    assert "CorruptFileError" not in "\n".join(lines)
    assert len(lines) < 25


@pytest.mark.slow  # a Python process or a kernel
def test_in_a_notebook_chapters_traceback_full_shows_ipython_s_own_traceback(keras_cache, tmp_path):
    error = run_in_a_kernel(tmp_path, CHAPTERS_TRACEBACK="full")
    text = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(error.traceback))  # IPython colours its tracebacks
    assert "_get_file" in text and "DatasetNotFoundError" in text
    assert "Raised by the chapters package" not in text
