import keras
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


def test_cross_validate_trains_a_fresh_model_per_fold_and_averages_curves():
    inputs = np.random.default_rng(0).normal(size=(40, 3)).astype("float32")
    targets = inputs @ np.array([1.0, -2.0, 0.5], dtype="float32")
    built = []

    def build_model():
        model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
        built.append(model)
        return model

    histories = validation.cross_validate(build_model, inputs, targets, 4, epochs=5, batch_size=8, verbose=0)
    assert len(histories) == 4 and len({id(model) for model in built}) == 4
    mean = validation.mean_curves(histories)
    assert set(mean) == {"loss", "mae", "val_loss", "val_mae"} and len(mean["val_mae"]) == 5
    assert mean["val_mae"][-1] < mean["val_mae"][0], "a linear model should learn a linear target"
    np.testing.assert_allclose(mean["val_mae"][0], np.mean([history["val_mae"][0] for history in histories]))
