import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import chapters


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


@pytest.mark.parametrize("backend", ["tensorflow", "jax", "torch"])
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
