"""The results tables made from run records (chapters.tools.report)."""

from pathlib import Path

import pytest

from chapters.tools import records, report


def record(notebook="01_tensors", backend="jax", mode="full", seed=42, accuracy=0.98, **changes):
    """Return a run record as chapters.tools.run writes it."""
    made = {
        "notebook": notebook,
        "backend": backend,
        "mode": mode,
        "seed": seed,
        "parameters": {},
        "outcome": "passed",
        "failure": None,
        "figures": {
            "test accuracy": {"value": accuracy, "target": ">= 0.978", "met": accuracy >= 0.978},
            "epochs": {"value": 5.0},
        },
        "wall_seconds": 41.3,
        "slowest_cells": [],
        "peak_memory_mb": 2048,
        "accelerator_peak_memory_mb": None,
        "device": "CPU",
        "machine": "CPU, 2-core AMD EPYC",
        "versions": {"python": "3.11.7", "keras": "3.13.0"},
        "commit": "abc1234",
        "finished": "2026-11-23T14:00:00+00:00",
    }
    return {**made, **changes}


def test_the_results_table_gives_each_targeted_figure_per_backend_with_machine_time_and_commit():
    table = report.results_table(
        [
            record(backend="tensorflow", accuracy=0.9795, wall_seconds=300),
            record(backend="jax", seed=1, accuracy=0.981),
            record(backend="jax", seed=2, accuracy=0.975),
            record(mode="quick", backend="torch", accuracy=0.5),
        ]
    )
    lines = table.splitlines()
    assert lines[0].startswith("| notebook | figure | target | TensorFlow | JAX | PyTorch | machine |")
    assert len(lines) == 3, "one row per figure with a target; quick runs are not results"
    row = [cell.strip() for cell in lines[2].strip("|").split("|")]
    assert row[:6] == [
        "`01_tensors`",
        "test accuracy",
        ">= 0.978",
        "0.9795",
        "0.978 (2 seeds, 0.975–0.981) ✗",
        "–",
    ]
    assert row[6:] == ["CPU, 2-core AMD EPYC", "5.0 min / 41 s / –", "2026-11-23 (abc1234)"]


def test_targets_that_differ_between_runs_stand_beside_each_value():
    def with_distance(backend, seed, value, target):
        figures = {"distance": {"value": value, "target": target, "met": value < float(target[2:])}}
        return record(backend=backend, seed=seed, figures=figures)

    table = report.results_table(
        [
            with_distance("tensorflow", 42, 10.2, "< 153.2"),
            with_distance("jax", 42, 10.3, "< 151.9"),
            with_distance("jax", 1, 160.0, "< 151.9"),
            with_distance("torch", 42, 7.9, "< 197.7"),
            with_distance("torch", 1, 8.1, "< 120.4"),
        ]
    )
    row = [cell.strip() for cell in table.splitlines()[2].strip("|").split("|")]
    assert row[1:6] == [
        "distance",
        "each run's, beside its value",
        "10.2 (target < 153.2)",
        "85.15 (2 seeds, 10.3–160) (target < 151.9) ✗",
        "8 (2 seeds, 7.9–8.1) (target < 197.7, < 120.4)",
    ]


def test_a_run_that_failed_before_handing_in_says_where():
    failed = record(
        outcome="failed", figures={}, failure={"cell": 12, "line": "x", "error": "NameError", "message": "m"}
    )
    table = report.results_table([record(backend="tensorflow"), failed])
    assert "| failed at cell 12 |" in table


def test_the_quick_table_gives_outcome_time_and_memory_per_backend():
    table = report.quick_table(
        [
            record(mode="quick", backend="tensorflow", wall_seconds=48.6),
            record(
                mode="quick",
                backend="jax",
                outcome="failed",
                failure={"cell": 45, "line": "a", "error": "AssertionError", "message": "m"},
            ),
            record(mode="quick", backend="torch", peak_memory_mb=3072, finished="2026-11-24T01:00:00+00:00"),
        ]
    )
    assert table.splitlines()[2] == (
        "| `01_tensors` | 49 s | **failed** at cell 45 (AssertionError) | 41 s | 3.0 GiB | CPU, 2-core AMD EPYC "
        "| 2026-11-23 to 2026-11-24 (abc1234) |"
    )


def test_the_course_table_sums_each_machines_full_runs_per_backend_and_names_what_it_lacks():
    table = report.course_table(
        [
            record(backend="tensorflow", wall_seconds=3000),
            record(notebook="02_gradient_descent", backend="tensorflow", wall_seconds=2000),
            record(notebook="02_gradient_descent", backend="tensorflow", seed=1, wall_seconds=3000),
            record(
                notebook="02_gradient_descent",
                backend="jax",
                outcome="failed",
                failure={"cell": 3, "line": "a", "error": "AssertionError", "message": "m"},
            ),
            record(backend="jax", wall_seconds=90),
            record(backend="torch", machine="GPU, NVIDIA H100 80GB HBM3", wall_seconds=30),
            record(notebook="03_first_networks", mode="quick", backend="torch"),
        ]
    )
    cpu, gpu = table.splitlines()[2:]
    assert cpu == (
        "| CPU, 2-core AMD EPYC | 1.5 h, 2 of 3 notebooks (not `03_first_networks`) "
        "| 90 s, 1 of 3 notebooks (not `02_gradient_descent`, `03_first_networks`) | – |"
    ), "seeds averaged, notebooks summed; failed runs and quick runs cover nothing"
    assert gpu == (
        "| GPU, NVIDIA H100 80GB HBM3 | – | – "
        "| 30 s, 1 of 3 notebooks (not `02_gradient_descent`, `03_first_networks`) |"
    )


def test_tables_are_written_between_the_markers_and_nowhere_else(tmp_path):
    for made in (record(), record(mode="quick")):
        records.write_record(made, tmp_path / "records")
    readme = tmp_path / "README.md"
    readme.write_text(
        "# Title\n<!-- chapters.tools.report: full -->\nold\n<!-- chapters.tools.report: end -->\nprose\n"
        "<!-- chapters.tools.report: course -->\n<!-- chapters.tools.report: end -->\n"
        "<!-- chapters.tools.report: quick -->\n<!-- chapters.tools.report: end -->\ntail\n"
    )
    report.main(["--records", str(tmp_path / "records"), "--write", str(readme)])
    text = readme.read_text()
    assert (
        "old" not in text
        and text.startswith("# Title\n")
        and text.endswith("\ntail\n")
        and "\nprose\n" in text
    )
    assert text.count("| `01_tensors` |") == 2
    report.main(["--records", str(tmp_path / "records"), "--write", str(readme)])
    assert readme.read_text() == text, "writing again changes nothing"


def test_missing_markers_and_missing_records_are_refused(tmp_path):
    with pytest.raises(ValueError, match="no <!-- chapters.tools.report: full --> ... "):
        report.replace_between_markers("no markers here", "full", "table")
    with pytest.raises(SystemExit, match="no run records in"):
        report.main(["--records", str(tmp_path)])


def test_the_results_tables_are_those_the_committed_records_make():
    root = Path(__file__).resolve().parent.parent
    page = (root / "docs" / "results.md").read_text()
    assert report.with_tables(page, records.read_records(root / "records")) == page, (
        "the results tables differ from the records: run python -m chapters.tools.report --write docs/results.md"
    )
