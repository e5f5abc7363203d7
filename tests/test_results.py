"""Saved runs: kept per chapter and per run mode, and summarized by their last epochs."""

import pytest

from chapters import results


def test_runs_are_saved_per_chapter_and_mode(keras_cache, monkeypatch):
    monkeypatch.setenv("CHAPTERS_MODE", "quick")
    results.save_run("05", "from scratch", {"val_accuracy": [0.5, 0.6], "loss": [0.7, 0.6]})
    results.save_run("05", "augmented", {"val_accuracy": [0.55, 0.65]})
    assert results.load_runs("05") == {
        "from scratch": {"val_accuracy": [0.5, 0.6], "loss": [0.7, 0.6]},
        "augmented": {"val_accuracy": [0.55, 0.65]},
    }
    assert results.results_path("05").is_relative_to(keras_cache)
    monkeypatch.setenv("CHAPTERS_MODE", "full")
    assert results.load_runs("05") == {}, "a quick run is never compared with a full one"
    assert results.load_runs("06") == {}


def test_settled_accuracy_is_the_mean_of_the_last_epochs():
    history = {"val_accuracy": [0.5, 0.9, 0.6, 0.7, 0.8]}
    assert results.settled_accuracy(history) == pytest.approx(0.7)
    assert results.settled_accuracy({"val_accuracy": [0.6, 0.8]}) == pytest.approx(0.7)


def test_settled_accuracy_of_another_metric_such_as_training_accuracy():
    history = {"accuracy": [0.5, 0.9, 0.9, 1.0], "val_accuracy": [0.5, 0.6, 0.7, 0.8]}
    assert results.settled_accuracy(history, metric="accuracy") == pytest.approx(0.9333, abs=1e-4)
    assert results.settled_accuracy(history, last_epochs=2) == pytest.approx(0.75)
