"""Maintainer tools, which no notebook imports.

- ``python -m chapters.tools.run``: run notebooks headless and record each run (``records``).
- ``python -m chapters.tools.report``: the results and timing tables of docs/results.md, from the records.
- ``python -m chapters.tools.notebooks sync | strip | rerun``: keep the notebook files in shape.
- ``python -m chapters.tools.site refresh | build``: the course as a website, each chapter a recorded run.
- ``python -m chapters.tools.colab``: run notebooks in Colab's package versions, installing the
  package as their setup cell does on Colab, and check the install changed none of them.
"""
