"""The figures a chapter checks, handed to the course runner's record.

Every notebook's closing cell calls ``chapters.hand_in(...)`` with the values its assertions are
about, before asserting on them, so a run's record keeps the figures even when an assertion
fails. The assertions stay plain ``assert``s in the notebook. ``python -m chapters.tools.run``
names a JSON file in ``CHAPTERS_FIGURES_FILE`` for the kernel; elsewhere (JupyterLab, Colab,
nbval) nothing is written.
"""

import json
import math
import operator
from pathlib import Path
from typing import SupportsFloat

from chapters import settings

COMPARISONS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}


def figure(value: SupportsFloat, comparison: str | None = None, target: SupportsFloat | None = None) -> dict:
    """Return one figure as the record keeps it: ``{"value": v}``, plus ``"target"`` (such as
    ``">= 0.978"``) and ``"met"`` when a target is given."""
    number = float(value)
    if comparison is None:
        return {"value": number}
    if comparison not in COMPARISONS:
        raise ValueError(f"{comparison!r} is not a comparison: use one of {', '.join(COMPARISONS)}.")
    if target is None:
        raise ValueError(f"the comparison {comparison!r} needs a target to compare with.")
    threshold = float(target)
    met = not math.isnan(number) and COMPARISONS[comparison](number, threshold)
    return {"value": number, "target": f"{comparison} {threshold:g}", "met": bool(met)}


def hand_in(**figures) -> dict[str, dict]:
    """Hand the chapter's checked figures to the run record; return them as the record keeps them.

    Each keyword is a figure's name (``test_accuracy``); its value is a number, or a tuple
    ``(value, comparison, target)`` such as ``(test_accuracy, ">=", 0.978)`` when the chapter has
    a target for it. Calling again adds to (or replaces) what was handed in before.
    """
    kept = {
        name.replace("_", " "): figure(*given) if isinstance(given, tuple) else figure(given)
        for name, given in figures.items()
    }
    path = settings.value(settings.FIGURES_FILE)
    if path:
        file = Path(path)
        earlier = json.loads(file.read_text()) if file.is_file() else {}
        file.write_text(json.dumps({**earlier, **kept}, indent=1))
    return kept
