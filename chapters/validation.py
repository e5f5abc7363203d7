"""K-fold splits: chapter 03 teaches them, with the loop over folds written out; chapter 04 reuses them."""

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
