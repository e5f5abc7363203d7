import numpy as np
import pytest

from chapters import validation


def test_k_fold_splits_validate_every_sample_exactly_once():
    splits = validation.k_fold_splits(10, 3)
    held_out = np.concatenate([held for _, held in splits])
    assert sorted(held_out.tolist()) == list(range(10))
    assert [len(held) for _, held in splits] == [3, 3, 4]
    for training, held in splits:
        assert not set(training) & set(held) and len(training) + len(held) == 10


def test_k_fold_splits_refuse_impossible_fold_counts():
    with pytest.raises(ValueError, match="num_folds"):
        validation.k_fold_splits(5, 1)
    with pytest.raises(ValueError, match="num_folds"):
        validation.k_fold_splits(3, 4)
