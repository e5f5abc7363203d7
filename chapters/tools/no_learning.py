"""Prove that notebooks' closing checks can fail: run each with no weight allowed to move, or
with one lesson's cause taken away, and pass only if its closing cell then fails an assertion.

    python -m chapters.tools.no_learning                         # every notebook, quick mode, TensorFlow
    python -m chapters.tools.no_learning notebooks/04_overfitting.ipynb --backend jax
    python -m chapters.tools.no_learning --lessons               # each notebook's lesson checks
    python -m chapters.tools.no_learning notebooks/05_convnets.ipynb --weights-move \\
        -p augment_training_images False

By default every optimizer step is made a no-op: ``compile``, ``fit``, ``train_on_batch`` and
loops that call an optimizer run as usual, and the step counter advances, but no trainable weight
moves (``freeze_optimizers``, run in the kernel right after the setup cell). A loop that updates
tensors by hand, as chapter 02 teaches, is not an optimizer step and still learns.

A closing cell checks its first lesson (the model learned) and then others (a remedy narrows a
gap, fine-tuning does no harm), each of which must fail too when its own cause is taken away.
A notebook declares these in its metadata, ``chapters.lesson_checks``: for each lesson, the
parameters-cell values that remove its cause, and words of the assertion message that must fail::

    "lesson_checks": [{"lesson": "augmentation and dropout narrow the gap",
                       "parameters": {"augment_training_images": false, "augmented_dropout_rate": 0.0},
                       "fails_with": "should narrow the gap"}]

``--lessons`` runs each of them with the weights free to move. ``--weights-move`` with ``-p``
runs one such variant by hand.

A run passes when the closing cell (the last code cell) fails with an ``AssertionError`` (naming
the expected words, for a lesson check); it fails when every cell runs, or when an earlier cell
or another error stops it. No record is written and no executed notebook kept. Exits with status
1 if any run failed.
"""

import argparse
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from chapters import settings
from chapters.mode import MODES
from chapters.session import BACKENDS, DEFAULT_SEED
from chapters.tools._shared import (
    KERNEL_ARGUMENTS,
    execute_cells,
    inject_parameters,
    package_checkout,
    parse_value,
)

FREEZE_CELL = (
    "# Inserted by chapters.tools.no_learning: every optimizer step is a no-op from here on.\n"
    "from chapters.tools.no_learning import freeze_optimizers\n"
    "freeze_optimizers()\n"
)
INSERTED_TAGS = {"injected-no-learning", "injected-parameters"}


def freeze_optimizers() -> None:
    """Make every Keras optimizer's step a no-op, on any backend: no trainable weight moves.

    Every optimizer's ``apply`` (which ``apply_gradients``, ``fit``, ``train_on_batch`` and, on JAX,
    ``stateless_apply`` go through) hands the gradients to ``_backend_apply_gradients``, which clips,
    decays and updates the weights; that part is skipped. ``apply`` still counts the step, so
    learning-rate schedules and callbacks see training advance.
    """
    import keras

    def skip_the_update(optimizer: object, grads: object, trainable_variables: object) -> None:
        return None

    keras.optimizers.Optimizer._backend_apply_gradients = skip_the_update


@dataclass(frozen=True)
class Variant:
    """One run to make of a notebook: with its optimizers frozen (``weights_move`` False), or with
    ``parameters`` taking a lesson's cause away; ``fails_with``, words its failure must name."""

    notebook: Path
    lesson: str = "no learning"
    parameters: dict = field(default_factory=dict)
    weights_move: bool = False
    fails_with: str = ""

    def __str__(self) -> str:
        overrides = "".join(f", {name} = {value!r}" for name, value in self.parameters.items())
        return f"{self.notebook} ({self.lesson}{overrides})"


def lesson_checks(path: Path) -> list[Variant]:
    """Return the lesson checks the notebook at ``path`` declares in its metadata (see module doc)."""
    metadata = json.loads(path.read_text()).get("metadata", {}).get("chapters", {})
    return [
        Variant(path, check["lesson"], check["parameters"], weights_move=True, fails_with=check["fails_with"])
        for check in metadata.get("lesson_checks", [])
    ]


def closing_cell(notebook: nbformat.NotebookNode) -> int:
    """Return the index of the notebook's last code cell, the one that states what it proved."""
    return max(index for index, cell in enumerate(notebook.cells) if cell.cell_type == "code")


def insert_freeze_cell(notebook: nbformat.NotebookNode) -> None:
    """Place ``FREEZE_CELL`` right after the setup cell (the one calling ``chapters.setup``), where
    Keras has just been imported with the chosen backend."""
    setup = [index for index, cell in enumerate(notebook.cells) if "chapters.setup(" in cell.source]
    if not setup:
        raise ValueError(
            "the notebook has no setup cell (one calling chapters.setup) to freeze training after"
        )
    cell = nbformat.v4.new_code_cell(FREEZE_CELL, metadata={"tags": ["injected-no-learning"]})
    notebook.cells.insert(setup[0] + 1, cell)


def original_index(notebook: nbformat.NotebookNode, index: int) -> int:
    """Return the index cell ``index`` has in the notebook as committed, before the cells this
    command and ``-p`` inserted."""
    return index - sum(
        1 for cell in notebook.cells[:index] if INSERTED_TAGS & set(cell.metadata.get("tags", []))
    )


@dataclass(frozen=True)
class Verdict:
    """How a variant's run ended: ``failure`` (None if every cell ran), and whether that proves
    its closing check can fail."""

    variant: Variant
    failure: dict | None
    closing_cell: int

    @property
    def message(self) -> str:
        return self.failure["message"].strip() if self.failure else ""

    @property
    def proves_it(self) -> bool:
        return (
            self.failure is not None
            and self.failure["cell"] == self.closing_cell
            and self.failure["error"] == "AssertionError"
            and self.variant.fails_with in self.message
        )

    def __str__(self) -> str:
        first_line = self.message.splitlines()[0] if self.message else ""
        if self.failure is None:
            return f"NOT PROVEN {self.variant}: every cell ran, so its closing checks passed"
        where = f"cell {self.failure['cell']} ({self.failure['line']!r})"
        if self.proves_it:
            return f"proven     {self.variant}: its closing {where} failed: {first_line}"
        if self.failure["cell"] == self.closing_cell and self.failure["error"] == "AssertionError":
            return (
                f"NOT PROVEN {self.variant}: its closing cell failed, but not saying "
                f"{self.variant.fails_with!r}: {first_line}"
            )
        return (
            f"NOT PROVEN {self.variant}: stopped at {where}, not in its closing cell's assertions: "
            f"{self.failure['error']}: {first_line}"
        )


def run_variant(variant: Variant, backend: str, mode: str, seed: int) -> Verdict:
    """Execute ``variant``'s notebook in a fresh kernel until a cell fails; return how it ended."""
    notebook = nbformat.read(variant.notebook, as_version=4)
    if variant.parameters:
        inject_parameters(notebook, variant.parameters)
    if not variant.weights_move:
        insert_freeze_cell(notebook)
    import_paths = [str(package_checkout(variant.notebook) or ""), os.environ.get("PYTHONPATH", "")]
    environment = {
        **os.environ,
        settings.BACKEND: backend,
        settings.MODE: mode,
        settings.SEED: str(seed),
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        "PYTHONPATH": os.pathsep.join(filter(None, import_paths)),
        "MPLBACKEND": "Agg",
    }
    client = NotebookClient(
        notebook,
        resources={"metadata": {"path": str(variant.notebook.resolve().parent)}},
        extra_arguments=KERNEL_ARGUMENTS,
    )
    with client.setup_kernel(env=environment):
        _, failure = execute_cells(client, notebook, quiet=True)
    if failure is not None:
        failure = {**failure, "cell": original_index(notebook, failure["cell"])}
    return Verdict(variant, failure, original_index(notebook, closing_cell(notebook)))


def parse_arguments(arguments: list[str]) -> argparse.Namespace:
    """Return the command line's choices (see the module's docstring)."""
    parser = argparse.ArgumentParser(
        prog="python -m chapters.tools.no_learning", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "notebooks", nargs="*", type=Path, help="notebooks to run (default: notebooks/*.ipynb)"
    )
    parser.add_argument("--backend", choices=BACKENDS, default="tensorflow", help="default: tensorflow")
    parser.add_argument("--mode", choices=MODES, default="quick", help="run mode (default: quick)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"default: {DEFAULT_SEED}")
    how = parser.add_mutually_exclusive_group()
    how.add_argument(
        "--lessons", action="store_true", help="run each notebook's lesson checks (its metadata's)"
    )
    how.add_argument(
        "--weights-move",
        action="store_true",
        help="leave the optimizers alone: only the -p values take a lesson's cause away",
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
    parser.add_argument("--jobs", type=int, default=1, help="runs at a time (default: 1)")
    return parser.parse_args(arguments)


def variants(options: argparse.Namespace) -> list[Variant]:
    """Return the runs the command line asks for."""
    notebooks = options.notebooks or sorted(Path("notebooks").glob("*.ipynb"))
    if options.lessons:
        return [variant for path in notebooks for variant in lesson_checks(path)]
    parameters = {name: parse_value(value) for name, value in options.parameter}
    lesson = "by hand" if options.weights_move else "no learning"
    return [Variant(path, lesson, parameters, options.weights_move) for path in notebooks]


def main(arguments: list[str]) -> int:
    """Make every run the command line asks for; return 1 if any closing check was not shown to fail."""
    options = parse_arguments(arguments)
    runs = variants(options)
    print(f"{len(runs)} runs on {options.backend}, {options.mode} mode, seed {options.seed}", flush=True)

    def verdict(variant: Variant) -> Verdict:
        result = run_variant(variant, options.backend, options.mode, options.seed)
        print(result, flush=True)
        return result

    with ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
        verdicts = list(pool.map(verdict, runs))
    unproven = [result for result in verdicts if not result.proves_it]
    print(f"{len(verdicts) - len(unproven)} of {len(verdicts)} closing checks failed as they must")
    return 1 if unproven else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
