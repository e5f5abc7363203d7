"""K-fold cross-validation: the loop chapters 03, 04 and 10 share."""

from collections.abc import Callable

import numpy as np


def k_fold_splits(num_samples: int, num_folds: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return ``num_folds`` pairs (training indices, validation indices) over contiguous folds.

    Every sample is validated on exactly once; the last fold takes any remainder.
    """
    if not 2 <= num_folds <= num_samples:
        raise ValueError(f"num_folds must be between 2 and the number of samples, got {num_folds}")
    fold_size = num_samples // num_folds
    indices = np.arange(num_samples)
    splits = []
    for fold in range(num_folds):
        end = (fold + 1) * fold_size if fold < num_folds - 1 else num_samples
        validation = indices[fold * fold_size : end]
        training = np.concatenate([indices[: fold * fold_size], indices[end:]])
        splits.append((training, validation))
    return splits


def cross_validate(
    build_model: Callable, inputs: np.ndarray, targets: np.ndarray, num_folds: int, **fit_arguments
) -> list[dict[str, list[float]]]:
    """Train a fresh ``build_model()`` on each K-fold split; return each fold's history dict.

    Each fold's model validates on its held-out fold, so every history has ``val_*`` curves.
    ``fit_arguments`` go to ``model.fit`` (epochs, batch_size, verbose, ...).
    """
    histories = []
    for fold, (training, validation) in enumerate(k_fold_splits(len(inputs), num_folds), start=1):
        model = build_model()
        history = model.fit(
            inputs[training],
            targets[training],
            validation_data=(inputs[validation], targets[validation]),
            **fit_arguments,
        )
        print(
            f"fold {fold}/{num_folds}: " + ", ".join(f"{k} {v[-1]:.3f}" for k, v in history.history.items())
        )
        histories.append(history.history)
    return histories


def mean_curves(histories: list[dict[str, list[float]]]) -> dict[str, list[float]]:
    """Return the per-epoch mean of each curve over the folds' histories."""
    return {name: np.mean([history[name] for history in histories], axis=0).tolist() for name in histories[0]}
