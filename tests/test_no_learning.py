"""The no-learning command (chapters.tools.no_learning): frozen optimizers leave every weight where
it was on each backend, and a tiny chapter in a real kernel is proven to fail without learning, or
with its cause removed, and not proven when its checks pass or an earlier cell breaks."""

import importlib.util
import json
import os
import subprocess
import sys

import nbformat
import pytest

from chapters.tools import no_learning

pytestmark = pytest.mark.slow  # notebooks run in kernels, on every backend


def weights_moved_by_training() -> dict:
    """Train a small model with ``fit`` and ``train_on_batch`` on the backend Keras runs on, first
    with a learning optimizer, then frozen ones; return, for each, which weights moved and how many
    steps its optimizer counted (9 in all)."""
    import keras
    import numpy as np

    inputs = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    targets = (inputs.sum(axis=1) > 0).astype("float32")

    def train(optimizer):
        model = keras.Sequential(
            [keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)]
        )
        model.compile(optimizer=optimizer, loss="mse")
        before = [np.array(weight) for weight in model.get_weights()]
        model.fit(inputs, targets, epochs=2, batch_size=16, verbose=0)
        model.train_on_batch(inputs[:16], targets[:16])
        moved = [
            not np.array_equal(start, np.array(end))
            for start, end in zip(before, model.get_weights(), strict=True)
        ]
        return moved, int(keras.ops.convert_to_numpy(model.optimizer.iterations))

    learning = train(keras.optimizers.Adam(0.01))
    no_learning.freeze_optimizers()
    frozen = {
        "adam": train(keras.optimizers.Adam(0.01)),
        "sgd with momentum": train(keras.optimizers.SGD(0.1, momentum=0.9)),
        "adamw": train(keras.optimizers.AdamW(0.01, weight_decay=0.1)),
        "loss scaled": train(keras.optimizers.LossScaleOptimizer(keras.optimizers.RMSprop(0.01))),
    }
    return {"learning": learning, "frozen": frozen}


ON_ANOTHER_BACKEND = """
import json, sys
import chapters
chapters.setup(sys.argv[1], "quick")
from test_no_learning import weights_moved_by_training
print(json.dumps(weights_moved_by_training()))
"""


@pytest.mark.parametrize("backend", ["tensorflow", "jax", "torch"])
def test_frozen_optimizers_count_their_steps_and_move_no_weight(backend, monkeypatch):
    import keras

    if backend == keras.backend.backend():  # in this process, the optimizers thawed afterwards
        monkeypatch.setattr(
            keras.optimizers.Optimizer,
            "_backend_apply_gradients",
            keras.optimizers.Optimizer._backend_apply_gradients,
        )
        result = json.loads(json.dumps(weights_moved_by_training()))
    else:
        if backend == "torch" and importlib.util.find_spec("torch") is None:
            pytest.skip("PyTorch is an optional install (docs/setup.md)")
        environment = {key: value for key, value in os.environ.items() if key != "KERAS_BACKEND"}
        tests = os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), os.path.dirname(__file__)]))
        completed = subprocess.run(
            [sys.executable, "-c", ON_ANOTHER_BACKEND, backend],
            env={**environment, "PYTHONPATH": tests},
            capture_output=True,
            text=True,
            check=False,
        )
        assert completed.returncode == 0, completed.stderr[-3000:]
        result = json.loads(completed.stdout.splitlines()[-1])
    assert result["learning"] == [[True] * 4, 9], "fit and train_on_batch move every weight, in 9 steps"
    for name, (moved, steps) in result["frozen"].items():
        assert moved == [False] * 4, f"{name}: a frozen optimizer moved a weight"
        assert steps == 9, f"{name}: the step counter still advances"


SETUP = 'import chapters\nsession = chapters.setup("tensorflow", "quick")'
PARAMETERS = "num_epochs = 20"
TRAIN = """\
import keras
import numpy as np

inputs = np.random.default_rng(0).normal(size=(256, 2)).astype("float32")
labels = (inputs[:, 0] > inputs[:, 1]).astype("float32")
model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, activation="sigmoid")])
model.compile(optimizer=keras.optimizers.Adam(0.1), loss="binary_crossentropy", metrics=["accuracy"])
model.fit(inputs, labels, epochs=num_epochs, verbose=0)
accuracy = model.evaluate(inputs, labels, verbose=0)[1]"""
CLOSING = 'assert accuracy > 0.9, f"accuracy {accuracy:.2f} is not above 0.9"'


def chapter(folder, *cells: str, lesson_checks=()):
    """Write a tiny chapter: a title, a setup cell, a parameters cell, then ``cells``, with
    ``lesson_checks`` in its metadata; return its path."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# A tiny chapter"),
        nbformat.v4.new_code_cell(SETUP),
        nbformat.v4.new_code_cell(PARAMETERS, metadata={"tags": ["parameters"]}),
        *(nbformat.v4.new_code_cell(source) for source in cells),
    ]
    notebook.metadata["chapters"] = {"lesson_checks": list(lesson_checks)}
    path = folder / "tiny.ipynb"
    nbformat.write(notebook, path)
    return path


def test_a_chapter_whose_check_needs_learning_is_proven_and_cells_keep_their_numbers(tmp_path, capsys):
    path = chapter(tmp_path, TRAIN, CLOSING)
    assert no_learning.main([str(path)]) == 0
    output = capsys.readouterr().out
    assert f"proven     {path} (no learning): its closing cell 4 ('assert accuracy > 0.9" in output
    assert "is not above 0.9" in output and "1 of 1 closing checks failed as they must" in output


def test_with_weights_moving_the_check_passes_unless_a_lesson_check_takes_the_cause_away(tmp_path, capsys):
    no_training = {"lesson": "training", "parameters": {"num_epochs": 0}, "fails_with": "is not above 0.9"}
    wrong_words = {**no_training, "lesson": "named wrongly", "fails_with": "some other lesson"}
    path = chapter(tmp_path, TRAIN, CLOSING, lesson_checks=[no_training, wrong_words])
    assert no_learning.main([str(path), "--weights-move"]) == 1
    assert f"NOT PROVEN {path} (by hand): every cell ran" in capsys.readouterr().out

    assert no_learning.main([str(path), "--lessons", "--jobs", "2"]) == 1
    output = capsys.readouterr().out
    assert f"proven     {path} (training, num_epochs = 0): its closing cell 4" in output
    assert (
        f"NOT PROVEN {path} (named wrongly, num_epochs = 0): its closing cell failed, but not saying"
        in output
    )


def test_a_failure_before_the_closing_cell_proves_nothing():
    variant = no_learning.Variant("tiny.ipynb")
    verdict = no_learning.Verdict(
        variant, {"cell": 3, "line": "x = 1 / 0", "error": "ZeroDivisionError", "message": "division"}, 4
    )
    assert not verdict.proves_it and "stopped at cell 3" in str(verdict)
    error_in_closing = no_learning.Verdict(
        variant, {"cell": 4, "line": "assert", "error": "NameError", "message": "no accuracy"}, 4
    )
    assert not error_in_closing.proves_it, "only an assertion in the closing cell counts"


def test_a_notebook_without_a_setup_cell_is_refused():
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("x = 1")]
    with pytest.raises(ValueError, match="no setup cell"):
        no_learning.insert_freeze_cell(notebook)


def test_every_lesson_check_a_notebook_declares_names_parameters_it_shows(repository_root):
    """A lesson check can only take a cause away through values the parameters cell sets."""
    for path in sorted((repository_root / "notebooks").glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        parameters = next(
            cell.source for cell in notebook.cells if "parameters" in cell.metadata.get("tags", [])
        )
        for variant in no_learning.lesson_checks(path):
            for name in variant.parameters:
                assert f"\n{name} = " in f"\n{parameters}", (
                    f"{path.name}: {variant.lesson} sets {name}, not a parameter"
                )
            assert variant.fails_with, f"{path.name}: {variant.lesson} names no words its failure must say"
