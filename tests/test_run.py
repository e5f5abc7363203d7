"""The course runner (chapters.tools.run) on a tiny notebook, in a real kernel: a run that passes, a
failing assertion, an error, parameters overridden as papermill does, and what the record holds."""

import importlib.metadata
import json
import platform
import subprocess
from pathlib import Path

import nbformat
import pytest

import chapters
from chapters import hand_in
from chapters.tools import _shared, records, run

pytestmark = pytest.mark.slow  # notebooks run in kernels

PARAMETERS = "num_steps = 3\ntarget = 0.5"
CHECKED = """\
import os
import chapters

value = num_steps / 4
chapters.hand_in(value=(value, ">=", target), steps=num_steps)
assert value >= target, f"value {value} is below {target}"
print(os.environ["KERAS_BACKEND"], os.environ["CHAPTERS_MODE"], os.environ["CHAPTERS_SEED"])"""

ON_PATH = """\
import os
import sys

print(os.environ["PATH"].split(os.pathsep)[0] == os.path.dirname(sys.executable))"""


def tiny_notebook(folder, *cells):
    """Write a notebook whose first cell is tagged ``parameters``; return its path."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# A tiny chapter"),
        nbformat.v4.new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}),
        *(nbformat.v4.new_code_cell(source) for source in cells),
    ]
    path = folder / "00_tiny.ipynb"
    nbformat.write(notebook, path)
    return path


def run_tiny(tmp_path, *cells, parameters=None):
    """Run the tiny notebook on JAX in quick mode with seed 7; return the record and the executed notebook."""
    path = tiny_notebook(tmp_path, *cells)
    chosen = run.Run(path, "jax", "quick", 7, parameters or {})
    record = run.run_notebook(chosen, tmp_path / "runs", tmp_path / "records")
    executed = nbformat.read(tmp_path / "runs" / "00_tiny.jax.quick.seed7.ipynb", as_version=4)
    return record, executed


def test_a_passing_run_records_its_figures_times_and_machine(tmp_path):
    record, executed = run_tiny(tmp_path, CHECKED, ON_PATH)

    assert record["outcome"] == "passed" and record["failure"] is None
    assert record["figures"] == {
        "value": {"value": 0.75, "target": ">= 0.5", "met": True},
        "steps": {"value": 3.0},
    }
    assert (record["notebook"], record["backend"], record["mode"], record["seed"]) == (
        "00_tiny",
        "jax",
        "quick",
        7,
    )
    assert record["device"] == "CPU" and record["machine"].startswith("CPU, ")
    assert len(record["load_average"]) == 2 and all(load >= 0 for load in record["load_average"])
    assert record["peak_memory_mb"] > 10 and record["accelerator_peak_memory_mb"] is None
    assert record["versions"]["keras"] and record["versions"]["python"]
    assert 0 < record["wall_seconds"] < 120
    assert [cell["cell"] for cell in record["slowest_cells"]] and record["slowest_cells"][0]["seconds"] >= 0
    assert executed.cells[-2].outputs[0]["text"] == "jax quick 7\n", "the kernel ran with the run's choices"
    assert len(executed.cells) == 4, "the facts probe is not left in the executed notebook"
    assert executed.cells[-1].outputs[0]["text"] == "True\n", "the interpreter's commands come first on PATH"
    saved = json.loads((tmp_path / "records" / "00_tiny.jax.quick.seed7.json").read_text())
    assert saved == record
    assert executed.metadata["chapters"]["run"] == record, "the executed notebook says which run it was"


def test_the_kernel_imports_the_package_of_the_checkout_the_notebook_is_in(tmp_path):
    checkout = tmp_path / "checkout"
    (checkout / "notebooks").mkdir(parents=True)
    (checkout / "chapters").symlink_to(Path(chapters.__file__).parent)  # as a worktree holds its own copy
    record, executed = run_tiny(checkout / "notebooks", "import chapters\nprint(chapters.__file__)")

    assert record["outcome"] == "passed"
    assert executed.cells[-1].outputs[0]["text"] == f"{checkout / 'chapters' / '__init__.py'}\n"


def test_a_failing_assertion_is_recorded_with_its_message_and_the_figures(tmp_path):
    record, executed = run_tiny(tmp_path, CHECKED, "print('never reached')", parameters={"num_steps": 1})

    assert record["outcome"] == "failed"
    assert record["failure"] == {
        "cell": 3,
        "line": "import os",
        "error": "AssertionError",
        "message": "value 0.25 is below 0.5",
    }
    assert record["figures"]["value"] == {"value": 0.25, "target": ">= 0.5", "met": False}
    assert record["parameters"] == {"num_steps": 1}
    assert executed.cells[2].metadata["tags"] == ["injected-parameters"]
    assert executed.cells[2].source.endswith("num_steps = 1\n")
    assert executed.cells[4].outputs == [], "no cell runs after the failure"
    assert "FAILED" in run.summary_line(record) and "value 0.25 is below 0.5" in run.summary_line(record)


def test_an_error_is_recorded_with_its_cell_and_the_kernel_facts_still_taken(tmp_path):
    record, _ = run_tiny(tmp_path, "total = num_steps + undefined_name")

    assert record["outcome"] == "failed"
    assert record["failure"]["cell"] == 2 and record["failure"]["error"] == "NameError"
    assert "undefined_name" in record["failure"]["message"]
    assert record["figures"] == {} and record["peak_memory_mb"] > 10


def test_the_command_line_runs_each_backend_and_exits_non_zero_on_failure(tmp_path, capsys):
    path = tiny_notebook(tmp_path, CHECKED)
    arguments = [str(path), "--backend", "jax", "--seed", "1", "2", "--out", str(tmp_path / "runs")]
    arguments += ["--records", str(tmp_path / "records"), "-p", "num_steps", "1"]

    assert run.main(arguments) == 1
    printed = capsys.readouterr().out
    assert "[1/2] " in printed and "[2/2] " in printed and "cell   3 (3/3)" in printed
    assert "0 of 2 runs passed" in printed
    assert sorted(path.name for path in (tmp_path / "records").iterdir()) == [
        "00_tiny.jax.quick.seed1.json",
        "00_tiny.jax.quick.seed2.json",
    ]
    assert [record["seed"] for record in records.read_records(tmp_path / "records")] == [1, 2]


def test_parameters_without_a_tagged_cell_are_refused():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    with pytest.raises(ValueError, match="tagged 'parameters'"):
        _shared.inject_parameters(notebook, {"x": 2})


def test_hand_in_outside_the_runner_returns_the_figures_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv("CHAPTERS_FIGURES_FILE", raising=False)
    monkeypatch.chdir(tmp_path)
    assert hand_in(test_mae=(2.2, "<=", 2.4), baseline_mae=2.66) == {
        "test mae": {"value": 2.2, "target": "<= 2.4", "met": True},
        "baseline mae": {"value": 2.66},
    }
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="not a comparison"):
        hand_in(accuracy=(0.9, "=>", 0.8))


def test_values_given_with_minus_p_are_read_as_python_literals():
    assert (
        _shared.parse_value("3") == 3
        and _shared.parse_value("0.5") == 0.5
        and _shared.parse_value("[1, 2]") == [1, 2]
    )
    assert _shared.parse_value("adam") == "adam"


def test_commit_counts_changes_a_run_depends_on_not_records_or_markdown(tmp_path):
    def git(*arguments):
        subprocess.run(["git", "-C", str(tmp_path), *arguments], check=True, capture_output=True)

    git("init", "-q")
    for name in ("chapter.py", "README.md", "records/a.json"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("first\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "first")
    commit = records.git_commit(tmp_path)
    assert commit and not commit.endswith("+changes")
    (tmp_path / "README.md").write_text("a table remade\n")
    (tmp_path / "records/a.json").write_text("a run made again\n")
    assert records.git_commit(tmp_path) == commit
    (tmp_path / "records/b.json").write_text("a new run\n")
    assert records.git_commit(tmp_path) == commit
    (tmp_path / "new_chapter.ipynb").write_text("not committed yet\n")
    assert records.git_commit(tmp_path) == f"{commit}+changes", "a new notebook is a change too"
    (tmp_path / "new_chapter.ipynb").unlink()
    (tmp_path / "chapter.py").write_text("edited\n")
    assert records.git_commit(tmp_path) == f"{commit}+changes"
    (tmp_path / "notebooks").mkdir()
    assert records.git_commit(tmp_path / "notebooks") == f"{commit}+changes", "asked from a notebook's folder"
    git("checkout", "-q", "chapter.py")
    (tmp_path / "notebooks/records").mkdir()
    (tmp_path / "notebooks/records/c.json").write_text("not the records folder\n")
    assert records.git_commit(tmp_path / "notebooks") == f"{commit}+changes"
    (tmp_path / "notebooks/records/c.json").unlink()
    (tmp_path / "notebooks/notes.md").write_text("Markdown anywhere\n")
    assert records.git_commit(tmp_path / "notebooks") == commit


def test_versions_name_tensorflows_cpu_only_build_where_it_stands_in(monkeypatch):
    installed = {"keras": "3.15.1", "tensorflow-cpu": "2.21.0", "jax": "0.11.2"}

    def version(name):
        if name not in installed:
            raise importlib.metadata.PackageNotFoundError(name)
        return installed[name]

    monkeypatch.setattr(importlib.metadata, "version", version)
    assert records.package_versions() == {"python": platform.python_version(), **installed}
