"""Test-wide settings: notebooks run in quick mode unless CHAPTERS_MODE says otherwise, and PyTorch
notebooks run by parallel pytest-xdist workers share the CPU cores rather than oversubscribe them."""

import json
import os

from chapters.tools.workers import limit_torch_threads_per_worker

os.environ.setdefault("CHAPTERS_MODE", "quick")
os.environ.setdefault("MPLBACKEND", "Agg")
limit_torch_threads_per_worker()  # see chapters/tools/workers.py for what was measured


def pytest_terminal_summary(terminalreporter):
    """Print each notebook's total run time, the sum of its cells' durations, and append it to the
    file named by CHAPTERS_NOTEBOOK_TIMES when set (``python -m chapters.tools.ci_times`` reads it)."""
    totals: dict[str, float] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            location = getattr(report, "nodeid", "")
            if ".ipynb::" in location and getattr(report, "when", "") == "call":
                notebook = location.split("::")[0]
                totals[notebook] = totals.get(notebook, 0.0) + report.duration
    if not totals:
        return
    terminalreporter.section("notebook durations")
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    for notebook, seconds in sorted(totals.items()):
        terminalreporter.write_line(
            f"{seconds:7.1f} s  {notebook}  ({backend}, {os.environ['CHAPTERS_MODE']} mode)"
        )
    times_file = os.environ.get("CHAPTERS_NOTEBOOK_TIMES")
    if times_file:
        with open(times_file, "a") as stream:
            for notebook, seconds in sorted(totals.items()):
                name = os.path.splitext(os.path.basename(notebook))[0]
                stream.write(
                    json.dumps({"notebook": name, "backend": backend, "seconds": round(seconds, 1)}) + "\n"
                )
