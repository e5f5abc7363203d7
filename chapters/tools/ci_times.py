"""The table of per-notebook times that CI prints at its end, with slow notebooks flagged.

The test run (``conftest.py``) appends one JSON line per notebook, ``{"notebook", "backend",
"seconds"}`` (the sum of its cells' durations), to the file named by ``CHAPTERS_NOTEBOOK_TIMES``.
``python -m chapters.tools.ci_times FILE`` prints them as one table, a row a notebook and a column
a backend, and flags each time over ``SLOW_SECONDS`` without failing: CI machines are noisy, and
a slow regression should be seen the day it lands, not stop the build.
"""

import json
import sys
from pathlib import Path

from chapters.session import BACKENDS

BUDGET_SECONDS = 60  # what a notebook's quick mode should take on a 2-core CPU
SLOW_SECONDS = 90  # flagged past this


def read_times(path: Path) -> dict[str, dict[str, float]]:
    """Return the times in ``path`` as {notebook: {backend: seconds}} (a later line wins); {} if
    there is no such file (no notebook ran)."""
    times: dict[str, dict[str, float]] = {}
    for line in path.read_text().splitlines() if path.is_file() else []:
        if line.strip():
            entry = json.loads(line)
            times.setdefault(entry["notebook"], {})[entry["backend"]] = entry["seconds"]
    return times


def times_table(times: dict[str, dict[str, float]]) -> tuple[str, list[str]]:
    """Return the table of ``times`` and the list of flagged "notebook on backend: N s" entries."""
    width = max(len(notebook) for notebook in times)
    lines = [f"{'notebook':<{width}}  " + "  ".join(f"{backend:>12}" for backend in BACKENDS)]
    flagged = []
    for notebook, by_backend in sorted(times.items()):
        cells = []
        for backend in BACKENDS:
            seconds = by_backend.get(backend)
            slow = seconds is not None and seconds > SLOW_SECONDS
            if slow:
                flagged.append(f"{notebook} on {backend}: {seconds:.0f} s")
            cells.append(f"{'–' if seconds is None else f'{seconds:.0f} s':>10}{' !' if slow else '  '}")
        lines.append(f"{notebook:<{width}}  " + "  ".join(cells))
    return "\n".join(lines), flagged


def main(arguments: list[str]) -> None:
    """Print the table of the times file named on the command line, and what is flagged."""
    if len(arguments) != 1:
        raise SystemExit("usage: python -m chapters.tools.ci_times FILE")
    times = read_times(Path(arguments[0]))
    if not times:
        print(f"No notebook times in {arguments[0]}: no notebook ran.")
        return
    table, flagged = times_table(times)
    print(
        f"Quick-mode time per notebook (sum of its cells' durations; budget {BUDGET_SECONDS} s, "
        f"flagged past {SLOW_SECONDS} s with !):"
    )
    print(table)
    if flagged:
        print(
            f"SLOW (over {SLOW_SECONDS} s, not a failure; look for what made it slower): "
            + "; ".join(flagged)
        )


if __name__ == "__main__":
    main(sys.argv[1:])
