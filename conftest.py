"""Test-wide settings: notebooks run in quick mode unless CHAPTERS_MODE says otherwise."""

import os

os.environ.setdefault("CHAPTERS_MODE", "quick")
os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_terminal_summary(terminalreporter):
    """Print each notebook's total run time: the sum of its cells' durations."""
    totals: dict[str, float] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            location = getattr(report, "nodeid", "")
            if ".ipynb::" in location and getattr(report, "when", "") == "call":
                notebook = location.split("::")[0]
                totals[notebook] = totals.get(notebook, 0.0) + report.duration
    if totals:
        terminalreporter.section("notebook durations")
        backend = os.environ.get("KERAS_BACKEND", "tensorflow")
        for notebook, seconds in sorted(totals.items()):
            terminalreporter.write_line(
                f"{seconds:7.1f} s  {notebook}  ({backend}, {os.environ['CHAPTERS_MODE']} mode)"
            )
