"""The per-notebook times table CI prints at its end (chapters.tools.ci_times)."""

import json

from chapters.tools import ci_times


def test_the_table_has_a_row_per_notebook_and_flags_what_is_past_90_seconds(tmp_path, capsys):
    times = tmp_path / "times.jsonl"
    entries = [
        ("01_tensors", "tensorflow", 14.2),
        ("01_tensors", "jax", 21.0),
        ("01_tensors", "torch", 9.4),
        ("05_convnets", "tensorflow", 58.0),
        ("05_convnets", "jax", 116.3),
    ]
    times.write_text(
        "".join(
            json.dumps(dict(zip(("notebook", "backend", "seconds"), entry, strict=True))) + "\n"
            for entry in entries
        )
    )

    ci_times.main([str(times)])
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split() == ["notebook", "tensorflow", "jax", "torch"]
    assert lines[2].split() == ["01_tensors", "14", "s", "21", "s", "9", "s"]
    assert lines[3].split() == ["05_convnets", "58", "s", "116", "s", "!", "–"]
    assert (
        lines[4] == "SLOW (over 90 s, not a failure; look for what made it slower): 05_convnets on jax: 116 s"
    )


def test_nothing_is_flagged_when_every_notebook_is_within_90_seconds():
    table, flagged = ci_times.times_table(
        {"02_gradient_descent": {"tensorflow": 90.0, "jax": 12.0, "torch": 6.0}}
    )
    assert flagged == [] and "!" not in table
