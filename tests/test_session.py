import importlib.util
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import chapters
from chapters import mode, session


def test_setup_seeds_everything_from_chapters_seed(monkeypatch, capsys):
    monkeypatch.setenv("CHAPTERS_SEED", "7")
    monkeypatch.setenv("CHAPTERS_MODE", "quick")
    session = chapters.setup()
    first = (np.random.rand(3), keras.ops.convert_to_numpy(keras.random.uniform((3,))))
    chapters.setup()
    second = (np.random.rand(3), keras.ops.convert_to_numpy(keras.random.uniform((3,))))
    assert session.seed == 7 and session.mode == "quick"
    assert session.backend == keras.backend.backend()
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    printed = capsys.readouterr().out
    assert f"backend: {session.backend}" in printed and "seed: 7" in printed and "device: " in printed


def test_default_seed_is_42(monkeypatch):
    monkeypatch.delenv("CHAPTERS_SEED", raising=False)
    assert chapters.setup().seed == 42


def test_a_seed_that_is_not_a_number_is_refused(monkeypatch):
    monkeypatch.setenv("CHAPTERS_SEED", "forty-two")
    with pytest.raises(ValueError, match="CHAPTERS_SEED='forty-two'"):
        chapters.setup()


def test_switching_backend_after_import_asks_for_a_restart(monkeypatch):
    other = next(name for name in ("tensorflow", "jax", "torch") if name != keras.backend.backend())
    monkeypatch.setenv("KERAS_BACKEND", other)
    with pytest.raises(RuntimeError, match="Restart the kernel"):
        chapters.setup()


TORCH_INSTALLED = importlib.util.find_spec("torch") is not None


@pytest.mark.slow  # a Python process per backend
@pytest.mark.parametrize(
    "backend",
    [
        "tensorflow",
        "jax",
        pytest.param(
            "torch",
            marks=pytest.mark.skipif(
                not TORCH_INSTALLED, reason="PyTorch is an optional install (docs/setup.md)"
            ),
        ),
    ],
)
def test_notebook_choice_applies_when_the_environment_names_no_backend(backend):
    environment = {key: value for key, value in os.environ.items() if key != "KERAS_BACKEND"}
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import chapters; chapters.setup({backend!r}); import keras; print(keras.backend.backend())",
        ],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert completed.stdout.splitlines()[-1] == backend
    assert f"backend: {backend}" in completed.stdout
    assert "oneDNN" not in completed.stderr, "TensorFlow's start-up log lines should be silenced"


def test_choosing_torch_without_pytorch_installed_says_what_to_install():
    """PyTorch is an optional install: without it, the setup cell stops before importing Keras, with
    the two install lines (CPU build, CUDA build) and the other backends."""
    environment = {key: value for key, value in os.environ.items() if key != "KERAS_BACKEND"}
    script = (
        "import sys; sys.modules['torch'] = None  # as if PyTorch were not installed\n"
        "import chapters\n"
        "try:\n"
        "    chapters.setup('torch')\n"
        "except ModuleNotFoundError as error:\n"
        "    print(error.name, 'keras' in sys.modules); print(error)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=True
    )
    first_line, message = completed.stdout.split("\n", 1)
    assert first_line == "torch False", "stop before Keras picks a backend it cannot load"
    assert "%pip install torch --index-url https://download.pytorch.org/whl/cpu" in message
    assert "%pip install torch\n" in message and "'tensorflow' or 'jax'" in message


@pytest.fixture
def no_notebook_choice(monkeypatch):
    monkeypatch.setattr(mode, "_notebook_choice", None)


def test_setup_takes_the_notebooks_mode_unless_the_environment_names_one(monkeypatch, no_notebook_choice):
    monkeypatch.delenv("CHAPTERS_MODE", raising=False)
    assert chapters.setup(keras.backend.backend(), "quick").mode == "quick"
    assert chapters.scale(full=5, quick=1) == 1
    monkeypatch.setenv("CHAPTERS_MODE", "full")
    assert chapters.setup(keras.backend.backend(), "quick").mode == "full"


def test_full_mode_on_a_cpu_says_how_long_and_how_to_switch(monkeypatch, capsys, no_notebook_choice):
    monkeypatch.delenv("CHAPTERS_MODE", raising=False)
    monkeypatch.setattr(session, "device_name", lambda backend: "CPU")
    minutes = {"tensorflow": 2, "jax": 2, "torch": 2, keras.backend.backend(): 90}
    chapters.setup(keras.backend.backend(), "full", full_mode_cpu_minutes=minutes)
    printed = capsys.readouterr().out
    assert "about 90 minutes on a 2-core CPU with this backend" in printed
    assert 'set CHAPTERS_MODE = "quick" in this cell' in printed and "GPU" in printed


@pytest.mark.parametrize(
    "mode_choice, minutes, device",
    [("quick", 90, "CPU"), ("full", 2, "CPU"), ("full", 90, "GPU (NVIDIA T4)")],
)
def test_no_warning_for_quick_mode_a_short_chapter_or_a_gpu(
    monkeypatch, capsys, no_notebook_choice, mode_choice, minutes, device
):
    monkeypatch.delenv("CHAPTERS_MODE", raising=False)
    monkeypatch.setattr(session, "device_name", lambda backend: device)
    backend = keras.backend.backend()
    others = {other: 90 for other in session.BACKENDS if other != backend}  # long elsewhere only
    chapters.setup(backend, mode_choice, full_mode_cpu_minutes={**others, backend: minutes})
    assert "Full mode on a CPU" not in capsys.readouterr().out


def test_the_warning_names_the_environment_variable_when_it_chose_full_mode(monkeypatch):
    monkeypatch.setenv("CHAPTERS_MODE", "full")
    warning = session.long_run_warning(240)
    assert "about 4 hours" in warning and "unset the environment variable CHAPTERS_MODE" in warning
