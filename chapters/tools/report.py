"""The results tables of ``docs/results.md``, made from run records (``chapters.tools.run``).

    python -m chapters.tools.report                         # print the tables made from records/
    python -m chapters.tools.report --write docs/results.md

Three tables: full-mode results (each checked figure with a target, against it, per backend, with
machine, time and when and at which commit it was recorded), the whole course's full-mode time per
machine and backend (and which notebooks it still lacks), and quick-mode runs (outcome, time and
peak memory per backend). ``--write`` replaces what sits between the markers
``<!-- chapters.tools.report: full -->`` (or ``course``, or ``quick``) and
``<!-- chapters.tools.report: end -->``.
"""

import argparse
import re
import statistics
import sys
from collections import defaultdict
from pathlib import Path

from chapters.session import BACKENDS
from chapters.tools._shared import BACKEND_TITLES, duration, format_value
from chapters.tools.records import read_records

BACKEND_COLUMNS = " | ".join(BACKEND_TITLES[backend] for backend in BACKENDS)  # a table's backend headings
BACKEND_TIMES = " / ".join(BACKEND_TITLES[backend] for backend in BACKENDS)  # the time column's heading
MARKER = "<!-- chapters.tools.report: {} -->"


def grouped(records: list[dict], mode: str) -> dict[str, dict[str, list[dict]]]:
    """Return the ``mode`` records as {notebook: {backend: [records, one per seed]}}."""
    groups: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for record in records:
        if record["mode"] == mode:
            groups[record["notebook"]][record["backend"]].append(record)
    return groups


def figure_cell(runs: list[dict], name: str, own_targets: bool = False) -> str:
    """Return one backend's cell for figure ``name``: its value (the mean, with the range, over
    several seeds), with the runs' own targets if ``own_targets``, marked ✗ where a run missed the
    target, or why there is none."""
    values = [run["figures"][name]["value"] for run in runs if name in run["figures"]]
    if not values:
        failed = [run for run in runs if run["outcome"] == "failed"]
        return f"failed at cell {failed[0]['failure']['cell']}" if failed else "–"
    missed = any(run["figures"].get(name, {}).get("met") is False for run in runs)
    text = format_value(statistics.mean(values))
    if len(values) > 1:
        text += f" ({len(values)} seeds, {format_value(min(values))}–{format_value(max(values))})"
    if own_targets:
        targets = dict.fromkeys(run["figures"][name]["target"] for run in runs if name in run["figures"])
        text += f" (target {', '.join(targets)})"
    return text + (" ✗" if missed else "")


def run_facts(by_backend: dict[str, list[dict]]) -> tuple[str, str, str]:
    """Return the machine(s), the time per backend (mean over seeds) and when and at which commits
    the runs of one notebook were recorded."""
    runs = [run for backend in BACKENDS for run in by_backend.get(backend, [])]
    machines = ", ".join(dict.fromkeys(run["machine"] for run in runs))
    times = " / ".join(
        duration(statistics.mean(run["wall_seconds"] for run in by_backend[backend]))
        if by_backend.get(backend)
        else "–"
        for backend in BACKENDS
    )
    dates = sorted(run["finished"][:10] for run in runs)
    commits = ", ".join(dict.fromkeys(str(run["commit"]) for run in runs))
    when = dates[0] if dates[0] == dates[-1] else f"{dates[0]} to {dates[-1]}"
    return machines, times, f"{when} ({commits})"


def results_table(records: list[dict]) -> str:
    """Return the markdown table of full-mode results: one row per checked figure with a target."""
    lines = [
        f"| notebook | figure | target | {BACKEND_COLUMNS} | machine | time ({BACKEND_TIMES}) | recorded |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for notebook, by_backend in sorted(grouped(records, "full").items()):
        runs = [run for backend_runs in by_backend.values() for run in backend_runs]
        targets: dict[str, set[str]] = defaultdict(set)
        for run in runs:
            for name, figure in run["figures"].items():
                if "target" in figure:
                    targets[name].add(figure["target"])
        machines, times, recorded = run_facts(by_backend)
        for row, name in enumerate(targets or ["(no figure handed in)"]):
            run_targets = targets.get(name, {"–"})
            own_targets = len(run_targets) > 1  # a target the run derived from its own data
            target = "each run's, beside its value" if own_targets else next(iter(run_targets))
            values = " | ".join(
                figure_cell(by_backend.get(backend, []), name, own_targets) for backend in BACKENDS
            )
            facts = f"{machines} | {times} | {recorded}" if row == 0 else " | | "
            lines.append(
                f"| {f'`{notebook}`' if row == 0 else ''} | {name} | {target} | {values} | {facts} |"
            )
    return "\n".join(lines)


def course_table(records: list[dict]) -> str:
    """Return the markdown table of the whole course's full-mode time: per machine and backend, the
    sum over notebooks of each one's mean time over its passed runs, with how many of the notebooks
    in the records (in any mode) it covers and which it lacks."""
    notebooks = sorted({record["notebook"] for record in records})
    passed: dict[str, dict[str, dict[str, list[float]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list))
    )
    for record in records:
        if record["mode"] == "full" and record["outcome"] == "passed":
            passed[record["machine"]][record["backend"]][record["notebook"]].append(record["wall_seconds"])
    lines = [f"| machine | {BACKEND_COLUMNS} |", "|---|---|---|---|"]
    for machine, by_backend in sorted(passed.items()):
        cells = []
        for backend in BACKENDS:
            times = by_backend.get(backend, {})
            if not times:
                cells.append("–")
                continue
            total = sum(statistics.mean(seconds) for seconds in times.values())
            lacking = [f"`{notebook}`" for notebook in notebooks if notebook not in times]
            cells.append(
                f"{duration(total)}, {len(times)} of {len(notebooks)} notebooks"
                + (f" (not {', '.join(lacking)})" if lacking else "")
            )
        lines.append(f"| {machine} | {' | '.join(cells)} |")
    return "\n".join(lines)


def quick_table(records: list[dict]) -> str:
    """Return the markdown table of quick-mode runs: outcome and time per backend, peak memory."""
    lines = [
        f"| notebook | {BACKEND_COLUMNS} | peak memory | machine | recorded |",
        "|---|---|---|---|---|---|---|",
    ]
    for notebook, by_backend in sorted(grouped(records, "quick").items()):
        cells = []
        for backend in BACKENDS:
            runs = by_backend.get(backend, [])
            failed = [run for run in runs if run["outcome"] == "failed"]
            if not runs:
                cells.append("–")
            elif failed:
                cells.append(
                    f"**failed** at cell {failed[0]['failure']['cell']} ({failed[0]['failure']['error']})"
                )
            else:
                cells.append(duration(statistics.mean(run["wall_seconds"] for run in runs)))
        memory = [
            run["peak_memory_mb"] for runs in by_backend.values() for run in runs if run["peak_memory_mb"]
        ]
        memory_text = f"{max(memory) / 1024:.1f} GiB" if memory else "–"
        machines, _, recorded = run_facts(by_backend)
        lines.append(f"| `{notebook}` | {' | '.join(cells)} | {memory_text} | {machines} | {recorded} |")
    return "\n".join(lines)


def replace_between_markers(text: str, name: str, table: str) -> str:
    """Return ``text`` with what sits between the ``name`` marker and the end marker replaced by
    ``table``; raise ValueError if the markers are missing."""
    pattern = re.compile(
        re.escape(MARKER.format(name)) + r"\n.*?" + re.escape(MARKER.format("end")), re.DOTALL
    )
    if not pattern.search(text):
        raise ValueError(
            f"no {MARKER.format(name)} ... {MARKER.format('end')} markers to write the table between"
        )
    return pattern.sub(lambda _: f"{MARKER.format(name)}\n{table}\n{MARKER.format('end')}", text, count=1)


def with_tables(text: str, records: list[dict]) -> str:
    """Return ``text`` (``docs/results.md``) with the three tables, made from ``records``, between their
    markers."""
    tables = {"full": results_table(records), "course": course_table(records), "quick": quick_table(records)}
    for name, table in tables.items():
        text = replace_between_markers(text, name, table)
    return text


def main(arguments: list[str]) -> None:
    """Print the tables made from the records, or write them into a file between its markers."""
    parser = argparse.ArgumentParser(
        prog="python -m chapters.tools.report", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--records", type=Path, default=Path("records"), help="folder of run records (default: records)"
    )
    parser.add_argument(
        "--write", type=Path, metavar="FILE", help="write the tables into FILE between its markers"
    )
    options = parser.parse_args(arguments)
    records = read_records(options.records)
    if not records:
        raise SystemExit(f"no run records in {options.records}/: make some with python -m chapters.tools.run")
    if options.write is None:
        print(f"{results_table(records)}\n\n{course_table(records)}\n\n{quick_table(records)}")
        return
    options.write.write_text(with_tables(options.write.read_text(), records))
    print(f"wrote the full-mode, whole-course and quick-mode tables into {options.write}")


if __name__ == "__main__":
    main(sys.argv[1:])
