"""Maintainer tools, which no notebook imports.

- ``python -m chapters.tools.run``: run notebooks headless and record each run (``records``).
- ``python -m chapters.tools.report``: the README's results and timing tables, from the records.
- ``python -m chapters.tools.notebooks sync | strip | rerun``: keep the notebook files in shape.
"""
