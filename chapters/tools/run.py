"""Run the course's notebooks headless, keeping each executed notebook and a record of each run.

    python -m chapters.tools.run                    # every notebook, quick mode, on all three backends, seed 42
    python -m chapters.tools.run notebooks/07_rnns.ipynb --mode full --backend jax --seed 1 2 3
    python -m chapters.tools.run notebooks/01_tensors.ipynb -p num_epochs 2   # as papermill's -p

Each run executes the notebook in a fresh kernel with nbclient, from the notebook's folder, with
``KERAS_BACKEND``, ``CHAPTERS_MODE`` and ``CHAPTERS_SEED`` set, printing a line per cell. The
kernel imports the helper package from the checkout the notebook is in (a worktree's notebook, its
worktree's package, not the one installed), so the record's commit names the code that ran. A ``-p``
value goes into a cell placed after the one tagged ``parameters``, as papermill does. The
executed notebook goes to ``--out`` (``runs/``) with its record in its metadata (``chapters.run``:
the website's pages say which run they show), the record (see ``chapters.tools.records``) to
``--records`` (``records/``), and ``python -m chapters.tools.report`` makes the tables of
docs/results.md from the records. Exits with status 1 if any run failed.
"""

import argparse
import datetime
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from chapters import settings
from chapters.mode import MODES
from chapters.session import BACKENDS, DEFAULT_SEED
from chapters.tools import records
from chapters.tools._shared import (
    KERNEL_ARGUMENTS,
    execute_cells,
    inject_parameters,
    package_checkout,
    parse_value,
)
from chapters.tools.rerun import first_line

SLOWEST_CELLS_KEPT = 5


@dataclass(frozen=True)
class Run:
    """One run to make: a notebook on a backend, in a mode, with a seed and overridden parameters."""

    notebook: Path
    backend: str
    mode: str
    seed: int
    parameters: dict = field(default_factory=dict)

    def __str__(self) -> str:
        overrides = "".join(f", {name} = {value!r}" for name, value in self.parameters.items())
        return f"{self.notebook} on {self.backend}, {self.mode} mode, seed {self.seed}{overrides}"


def run_notebook(run: Run, out_folder: Path, records_folder: Path, cell_timeout: int | None = None) -> dict:
    """Execute ``run``'s notebook, printing a line per cell; write the executed notebook into
    ``out_folder`` and the run's record into ``records_folder``; return the record."""
    notebook = nbformat.read(run.notebook, as_version=4)
    if run.parameters:
        inject_parameters(notebook, run.parameters)
    name = run.notebook.stem
    import_paths = [str(package_checkout(run.notebook) or ""), os.environ.get("PYTHONPATH", "")]
    with tempfile.TemporaryDirectory(prefix="chapters-run-") as scratch:
        figures_file = Path(scratch) / "figures.json"
        environment = {
            **os.environ,
            settings.BACKEND: run.backend,
            settings.MODE: run.mode,
            settings.SEED: str(run.seed),
            settings.FIGURES_FILE: str(figures_file),
            # the interpreter's own commands first, as in an activated environment (%tensorboard needs one)
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
            "PYTHONPATH": os.pathsep.join(filter(None, import_paths)),
        }
        environment.pop("MPLBACKEND", None)  # the kernel's inline backend keeps figures in the notebook
        client = NotebookClient(
            notebook,
            timeout=cell_timeout,
            resources={"metadata": {"path": str(run.notebook.resolve().parent)}},
            extra_arguments=KERNEL_ARGUMENTS,
        )
        load_at_start = _load_average()
        started = time.perf_counter()
        with client.setup_kernel(env=environment):
            cell_seconds, failure = execute_cells(client, notebook)
            wall_seconds = time.perf_counter() - started
            facts = (
                _kernel_facts(client, notebook)
                if not failure or failure["error"] != "DeadKernelError"
                else {}
            )
        figures = json.loads(figures_file.read_text()) if figures_file.is_file() else {}
    slowest = sorted(cell_seconds, key=lambda item: -item[1])[:SLOWEST_CELLS_KEPT]
    device = facts.get("device", "unknown")
    record = {
        "notebook": name,
        "backend": run.backend,
        "mode": run.mode,
        "seed": run.seed,
        "parameters": run.parameters,
        "outcome": "failed" if failure else "passed",
        "failure": failure,
        "figures": figures,
        "wall_seconds": round(wall_seconds, 1),
        "slowest_cells": [
            {"cell": index, "line": first_line(notebook.cells[index].source), "seconds": round(seconds, 1)}
            for index, seconds in slowest
        ],
        "peak_memory_mb": facts.get("peak_memory_mb"),
        "accelerator_peak_memory_mb": facts.get("accelerator_peak_memory_mb"),
        "device": device,
        "machine": records.machine_description(device),
        "load_average": [load_at_start, _load_average()],
        "versions": records.package_versions(),
        "commit": records.git_commit(run.notebook.resolve().parent),
        "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    records.write_record(record, records_folder)
    # The executed notebook carries its record, so that what it shows (the website's page) can say
    # which run it was.
    notebook.metadata.setdefault("chapters", {})["run"] = record
    out_folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, out_folder / f"{name}.{run.backend}.{run.mode}.seed{run.seed}.ipynb")
    return record


def _load_average() -> float | None:
    """Return the machine's load average over the last minute (None where the system has none)."""
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None


def _kernel_facts(client: NotebookClient, notebook: nbformat.NotebookNode) -> dict:
    """Run the facts probe (``chapters.tools.records``) in the kernel as an extra cell, removed
    afterwards; return what it printed, or {} if it failed."""
    probe = nbformat.v4.new_code_cell(records.FACTS_PROBE)
    notebook.cells.append(probe)
    try:
        client.execute_cell(probe, len(notebook.cells) - 1)
    except (CellExecutionError, CellTimeoutError, DeadKernelError):
        return {}
    finally:
        notebook.cells.pop()
    for output in probe.outputs:
        for line in output.get("text", "").splitlines():
            if line.startswith(records.FACTS_PREFIX):
                return json.loads(line.removeprefix(records.FACTS_PREFIX))
    return {}


def summary_line(record: dict) -> str:
    """Return the line printed when a run ends: its outcome, time and memory, or where it failed."""
    memory = f", peak memory {record['peak_memory_mb'] / 1024:.1f} GiB" if record["peak_memory_mb"] else ""
    if record["outcome"] == "passed":
        return f"  passed in {record['wall_seconds']:.1f} s{memory}"
    failure = record["failure"]
    return (
        f"  FAILED in {record['wall_seconds']:.1f} s at cell {failure['cell']} ({failure['line']!r}): "
        f"{failure['error']}: {failure['message']}"
    )


def parse_arguments(arguments: list[str]) -> argparse.Namespace:
    """Return the command line's choices (see the module's docstring)."""
    parser = argparse.ArgumentParser(prog="python -m chapters.tools.run", description=__doc__.splitlines()[0])
    parser.add_argument(
        "notebooks", nargs="*", type=Path, help="notebooks to run (default: notebooks/*.ipynb)"
    )
    parser.add_argument("--mode", choices=MODES, default="quick", help="run mode (default: quick)")
    parser.add_argument(
        "--backend", nargs="+", choices=BACKENDS, default=list(BACKENDS), help="backends (default: all three)"
    )
    parser.add_argument(
        "--seed", nargs="+", type=int, default=[DEFAULT_SEED], help=f"seeds (default: {DEFAULT_SEED})"
    )
    parser.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="override a value of the parameters cell (a Python literal, else a string); repeatable",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("runs"), help="folder for executed notebooks (default: runs)"
    )
    parser.add_argument(
        "--records", type=Path, default=Path("records"), help="folder for run records (default: records)"
    )
    parser.add_argument(
        "--cell-timeout", type=int, default=None, help="seconds a cell may take (default: no limit)"
    )
    return parser.parse_args(arguments)


def main(arguments: list[str]) -> int:
    """Make every run the command line asks for, in order; return 1 if any failed, else 0."""
    options = parse_arguments(arguments)
    notebooks = options.notebooks or sorted(Path("notebooks").glob("*.ipynb"))
    parameters = {name: parse_value(value) for name, value in options.parameter}
    runs = [
        Run(notebook, backend, options.mode, seed, parameters)
        for notebook in notebooks
        for backend in options.backend
        for seed in options.seed
    ]
    failed = []
    for number, run in enumerate(runs, start=1):
        print(f"[{number}/{len(runs)}] {run}", flush=True)
        record = run_notebook(run, options.out, options.records, options.cell_timeout)
        print(summary_line(record), flush=True)
        if record["outcome"] != "passed":
            failed.append(run)
    print(f"{len(runs) - len(failed)} of {len(runs)} runs passed; records in {options.records}/")
    for run in failed:
        print(f"FAILED: {run}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
