"""Every notebook has the chapter form: header with a Colab badge, the shared setup cell, a
parameters cell, a closing assertion cell, no stored errors or stray outputs, a python3 kernel,
Colab links that follow the repository address in pyproject.toml, and cells safe to run again."""

import ast
import re
from pathlib import Path

import nbformat
import pytest
from IPython.core.displayhook import DisplayHook

from chapters.session import BACKENDS
from chapters.tools import _shared, notebooks, rerun
from chapters.tools.records import read_records

NOTEBOOK_DIRECTORY = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOK_PATHS = sorted(NOTEBOOK_DIRECTORY.glob("*.ipynb"))


def code_cells(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


@pytest.fixture(params=NOTEBOOK_PATHS, ids=lambda path: path.stem)
def notebook_path(request) -> Path:
    return request.param


@pytest.fixture
def notebook(notebook_path):
    return nbformat.read(notebook_path, as_version=4)


def test_there_are_notebooks_named_by_chapter():
    assert NOTEBOOK_PATHS, "no notebooks found"
    for path in NOTEBOOK_PATHS:
        assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", path.name), path.name


def test_header_has_title_links_goals_and_run_time(notebook, notebook_path, repository_root):
    header = notebook.cells[0]
    assert header.cell_type == "markdown"
    assert header.source.startswith(f"# {notebook_path.name[:2]} · ")
    links = notebooks.header_links(_shared.repository_url(repository_root), notebook_path.name)
    assert links in header.source, (
        "the Colab badge and the link to the chapter's page on the website must follow pyproject.toml "
        "(python -m chapters.tools.notebooks sync)"
    )
    assert "**After this chapter you can**" in header.source
    assert notebooks.QUICK_MODE_PATTERN.search(header.source), (
        f"the header's run time should open with a line {notebooks.QUICK_MODE_START!r}... "
        "(python -m chapters.tools.notebooks sync writes the times from the quick-mode records)"
    )
    run_time = " ".join(header.source[header.source.index("**Run time:**") :].split()).lower()
    for words in ("quick mode", "full mode", "cpu", "gpu"):
        assert words in run_time, (
            f"the header's run time should give each mode's time on a CPU and a GPU: {words}"
        )


def test_setup_cell_is_the_shared_one_with_this_chapters_cpu_time(notebook, repository_root):
    minutes = notebooks.full_mode_cpu_minutes(notebook)
    expected = notebooks.setup_cell(_shared.repository_url(repository_root), minutes)
    assert code_cells(notebook)[0].source == expected, "run python -m chapters.tools.notebooks sync"


def test_the_cpu_time_per_backend_is_the_records_wherever_they_have_one(
    notebook, notebook_path, repository_root
):
    minutes = notebooks.full_mode_cpu_minutes(notebook)
    recorded = notebooks.recorded_cpu_minutes(read_records(repository_root / "records"), notebook_path.stem)
    assert minutes == minutes | recorded, "run python -m chapters.tools.notebooks sync"


def test_the_headers_quick_mode_times_are_the_records_wherever_they_time_every_backend(
    notebook, notebook_path, repository_root
):
    seconds = notebooks.recorded_cpu_seconds(
        read_records(repository_root / "records"), notebook_path.stem, "quick"
    )
    if set(seconds) == set(BACKENDS):
        assert notebooks.quick_mode_sentence(seconds) in notebook.cells[0].source, (
            "run python -m chapters.tools.notebooks sync"
        )


def test_colab_asks_for_a_gpu_exactly_when_full_mode_is_long_on_a_cpu(notebook):
    if notebooks.wants_gpu_runtime(notebooks.full_mode_cpu_minutes(notebook)):
        assert notebook.metadata.get("accelerator") == "GPU", "run python -m chapters.tools.notebooks sync"
        assert notebook.metadata["colab"]["gpuType"] == "T4"
    else:
        assert "accelerator" not in notebook.metadata, "run python -m chapters.tools.notebooks sync"


def test_parameters_cell_follows_setup_and_only_it_knows_the_mode(notebook):
    cells = code_cells(notebook)
    assert "chapters.scale(" in cells[1].source, "the second code cell sets the parameters"
    assert "parameters" in cells[1].metadata.get("tags", []), "tag it 'parameters' (papermill finds it)"
    for cell in cells[2:]:
        assert "chapters.scale(" not in cell.source and "CHAPTERS_MODE" not in cell.source, cell.source[:80]
        assert "run_mode" not in cell.source, cell.source[:80]


def test_last_code_cell_asserts_what_the_chapter_shows(notebook):
    last = code_cells(notebook)[-1]
    assert last.source.count("assert ") >= 2, "the closing cell states the chapter's results as asserts"
    assert not any(cell.source.count("assert ") for cell in code_cells(notebook)[:-1])


def test_closing_cell_hands_in_its_figures_with_targets_before_asserting(notebook):
    """The course runner's record keeps the checked figures, even from a run whose assertion fails."""
    last = code_cells(notebook)[-1].source
    assert "chapters.hand_in(" in last, "hand the checked figures to chapters.hand_in"
    assert last.index("chapters.hand_in(") < last.index("assert "), "hand them in before the first assert"
    hand_in = last[last.index("chapters.hand_in(") :]
    assert '">="' in hand_in or '"<="' in hand_in or '"<"' in hand_in, "give at least one figure its target"


def test_closing_sections_are_present(notebook):
    markdown = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    assert "## What you learned" in markdown and "## Exercises" in markdown


def test_only_checked_cells_keep_outputs_with_the_prompts_of_a_top_to_bottom_run(notebook):
    for number, cell in enumerate(code_cells(notebook), start=1):
        checked = notebooks.is_checked(cell)
        assert cell.execution_count == (number if checked else None), cell.source[:80]
        assert bool(cell.outputs) == checked, f"stray or missing output in: {cell.source[:80]}"
        assert all(output.output_type != "error" for output in cell.outputs)


def test_no_widget_state_is_stored(notebook):
    # Keras prints text progress bars; a widget's stored state shows on GitHub and the website as an
    # error ("widget state not found") or as nothing at all.
    assert "widgets" not in notebook.metadata
    for cell in code_cells(notebook):
        assert all(
            "application/vnd.jupyter.widget-view+json" not in output.get("data", {})
            for output in cell.outputs
        )


def test_output_checks_are_cell_tags_not_comments_a_student_reads(notebook):
    tag = notebooks.CHECKED_OUTPUT_TAG
    for cell in code_cells(notebook):
        assert "NBVAL_" not in cell.source, f"tag the cell {tag!r} instead: {cell.source[:80]}"


def displayed_by_accident(cell_source: str) -> str | None:
    """Return the call a cell ends with when Jupyter would display its value by accident, else None:
    ``model.fit(...)`` (a ``History`` object's repr), and ``plt.*`` or ``plots.*`` (a matplotlib
    object's repr, or a figure the inline backend has already drawn, drawn again). A ``;`` after
    the last statement (comments may follow) shows nothing: IPython's own test decides."""
    source = rerun.python_source(cell_source)
    tree = ast.parse(source)
    if (
        not tree.body
        or not isinstance(tree.body[-1], ast.Expr)
        or DisplayHook.semicolon_at_end_of_expression(source)
    ):
        return None
    value = tree.body[-1].value
    if not isinstance(value, ast.Call) or not isinstance(value.func, ast.Attribute):
        return None
    callee = ast.unparse(value.func)
    if value.func.attr == "fit" or callee.startswith(("plt.", "plots.")):
        return callee
    return None


@pytest.mark.parametrize(
    "source, shown",
    [
        ("model.fit(x, y)", "model.fit"),
        ("plots.plot_history(history)\n# Expect the curves to part.", "plots.plot_history"),
        ("plots.plot_history(history);\n# Expect the curves to part.", None),
        ("%time model.fit(x, y);", None),
        ("history = model.fit(x, y)", None),
        ("model.evaluate(x, y)", None),
    ],
)
def test_the_accidental_display_check_reads_a_cell_as_ipython_does(source, shown):
    assert displayed_by_accident(source) == shown


def test_no_cell_shows_a_value_by_accident(notebook, notebook_path):
    problems = [
        f"cell {index} ends with {call}(...)"
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and (call := displayed_by_accident(cell.source))
    ]
    assert not problems, f"{notebook_path.name}: end these with ';' or bind the value: " + "; ".join(problems)


def test_solution_cells_start_collapsed_in_jupyterlab_and_colab(notebook):
    for cell in code_cells(notebook):
        if cell.source.startswith("# @title Solution"):
            assert cell.metadata.get("jupyter", {}).get("source_hidden") is True, cell.source[:80]
            assert cell.metadata.get("cellView") == "form", cell.source[:80]
            assert "assert " not in cell.source, "solutions show outcomes; the closing cell asserts"


def test_every_exercise_has_a_solution_in_order(notebook):
    exercises_cell = next(cell for cell in notebook.cells if "## Exercises" in cell.source)
    exercises = re.findall(r"^(\d+)\. ", exercises_cell.source.split("## Exercises")[1], re.MULTILINE)
    solutions = [
        number
        for cell in notebook.cells
        for number in re.findall(r"^(?:# @title |<details><summary>)Solution to exercise (\d+)", cell.source)
    ]
    assert exercises and solutions == exercises, (
        f"exercises {exercises}, solutions {solutions}: give each exercise a solution a student can reveal "
        "(a '# @title Solution to exercise N: ...' form cell or a '<details><summary>Solution to exercise N' "
        "markdown cell), in order"
    )


def test_kernel_is_python3(notebook):
    assert notebook.metadata.kernelspec.name == "python3"


def test_no_cell_rebinds_a_name_it_reads_from_an_earlier_cell(notebook, notebook_path):
    """Readers re-run cells without restarting: ``images = images / 255`` run twice divides twice.
    (``python -m chapters.tools.notebooks rerun`` runs every cell twice and finds what this cannot see.)"""
    earlier_names, problems = set(), []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        lines = cell.source.splitlines()
        for name, line in rerun.rebound_names(cell.source, earlier_names).items():
            problems.append(f"cell {index}, line {line}: {lines[line - 1].strip()!r} rebinds {name!r}")
        earlier_names |= rerun.bound_names(cell.source)
    assert not problems, (
        f"{notebook_path.name}: these cells rebind a name that they read and an earlier cell defined, "
        "so running one twice starts from its own result. Give the result a new name "
        "(scaled_images = images / 255), or define the name in the same cell:\n" + "\n".join(problems)
    )


def test_sync_rewrites_badge_and_install_line_to_a_new_address(notebook_path, tmp_path):
    copy = tmp_path / notebook_path.name
    copy.write_bytes(notebook_path.read_bytes())
    new_address = "https://github.com/someone-else/fork"
    assert notebooks.sync_notebook(copy, new_address)
    synced = nbformat.read(copy, as_version=4)
    assert "colab.research.google.com/github/someone-else/fork/blob/main/notebooks/" in synced.cells[0].source
    assert (
        f"(https://someone-else.github.io/fork/notebooks/{notebook_path.stem}.html)" in synced.cells[0].source
    )
    assert f"git+{new_address}" in synced.cells[1].source
    assert not notebooks.sync_notebook(copy, new_address), "a second sync changes nothing"


def test_sync_takes_each_backends_cpu_time_from_the_records_and_keeps_the_rest(
    notebook_path, repository_root, tmp_path
):
    copy = tmp_path / notebook_path.name
    copy.write_bytes(notebook_path.read_bytes())
    before = notebooks.full_mode_cpu_minutes(nbformat.read(copy, as_version=4))
    machine = "CPU, 2-core AMD EPYC 7B13"
    facts = {"notebook": notebook_path.stem, "mode": "full", "outcome": "passed", "machine": machine}
    records = [
        {**facts, "backend": "jax", "wall_seconds": 100 * 60},
        {**facts, "backend": "jax", "wall_seconds": 120 * 60},
        {**facts, "backend": "torch", "wall_seconds": 60 * 60, "machine": "GPU (NVIDIA H100), 16-core host"},
        {**facts, "backend": "torch", "wall_seconds": 60 * 60, "machine": "CPU, 16-core Intel Xeon"},
        {**facts, "backend": "torch", "wall_seconds": 60 * 60, "outcome": "failed"},
        {**facts, "backend": "torch", "wall_seconds": 60 * 60, "notebook": "00_another"},
    ]
    notebooks.sync_notebook(copy, _shared.repository_url(repository_root), records)
    synced = nbformat.read(copy, as_version=4)
    assert notebooks.full_mode_cpu_minutes(synced) == {**before, "jax": 110}
    assert '"jax": 110,' in synced.cells[1].source
    assert synced.metadata["accelerator"] == "GPU", "110 minutes on JAX asks Colab for a GPU"


def test_sync_writes_the_quick_mode_times_only_from_records_of_every_backend(
    notebook_path, repository_root, tmp_path
):
    copy = tmp_path / notebook_path.name
    copy.write_bytes(notebook_path.read_bytes())
    repository = _shared.repository_url(repository_root)
    machine = "CPU, 2-core AMD EPYC 7B13"
    facts = {"notebook": notebook_path.stem, "mode": "quick", "outcome": "passed", "machine": machine}
    records = [
        {**facts, "backend": "tensorflow", "wall_seconds": 20},
        {**facts, "backend": "tensorflow", "wall_seconds": 10, "machine": "CPU, 16-core Intel Xeon"},
        {**facts, "backend": "tensorflow", "wall_seconds": 30},
        {**facts, "backend": "jax", "wall_seconds": 130},
        {**facts, "backend": "jax", "wall_seconds": 5, "outcome": "failed"},
        {**facts, "backend": "torch", "wall_seconds": 5, "mode": "full"},
    ]
    header_before = nbformat.read(copy, as_version=4).cells[0].source
    notebooks.sync_notebook(copy, repository, records)
    assert nbformat.read(copy, as_version=4).cells[0].source == header_before, "no PyTorch record: kept"
    notebooks.sync_notebook(copy, repository, [*records, {**facts, "backend": "torch", "wall_seconds": 9}])
    header = nbformat.read(copy, as_version=4).cells[0].source
    sentence = f"{notebooks.QUICK_MODE_START}TensorFlow 25 s, JAX 2.2 min, PyTorch 9 s."
    assert sentence in header.splitlines()
    assert header.replace(sentence, "") == notebooks.QUICK_MODE_PATTERN.sub("", header_before), (
        "only the quick-mode line changes"
    )


def test_a_notebook_without_cpu_minutes_for_every_backend_is_refused():
    notebook = nbformat.v4.new_notebook(metadata={"chapters": {"full_mode_cpu_minutes": {"jax": 3}}})
    with pytest.raises(ValueError, match='"tensorflow": N, "jax": N, "torch": N'):
        notebooks.full_mode_cpu_minutes(notebook)
