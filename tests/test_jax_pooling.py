"""The max pooling ``setup`` installs for Keras on JAX on a CPU: Keras's values, its gradient, and
Keras's own pooling wherever the fast one does not apply."""

import jax
import numpy as np
import pytest
from jax_program import lines_printed_after_jax_setup
from keras.src.backend.jax.nn import max_pool as keras_max_pool  # Keras's own, before any install

from chapters import jax_pooling
from chapters.session import FAST_POOLING_NOTE


@pytest.fixture(autouse=True)
def installed():
    """Install the fast pooling (harmless here: Keras runs these tests on another backend or on
    this one's CPU), so the fallback has Keras's own pooling to call."""
    assert jax_pooling.install()
    assert jax_pooling._keras_max_pool is keras_max_pool


def random_inputs(shape, seed=0):
    """Return float32 values drawn from a normal distribution: no two in a window are equal."""
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


@pytest.mark.parametrize(
    ("shape", "pool_size", "data_format"),
    [
        ((2, 8, 8, 3), 2, "channels_last"),  # the chapters' case
        ((2, 11, 11, 4), 2, "channels_last"),  # odd sides: a last row and column left over
        ((2, 26, 26, 5), (2, 2), "channels_last"),
        ((2, 7, 10, 3), (3, 2), "channels_last"),  # rectangular windows
        ((2, 3, 9, 9), 2, "channels_first"),
        ((2, 13, 3), 4, "channels_last"),  # 1D
        ((1, 5, 6, 7, 2), 2, "channels_last"),  # 3D
    ],
)
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_values_and_gradient_are_keras_own(shape, pool_size, data_format, padding):
    inputs = random_inputs(shape)
    strides = pool_size  # as the pooling layers pass them (Keras's JAX max_pool fails on None)
    weights = random_inputs(keras_max_pool(inputs, pool_size, strides, padding, data_format).shape, seed=1)

    def loss(pool):
        return lambda x: (pool(x, pool_size, strides, padding, data_format) * weights).sum()

    np.testing.assert_array_equal(
        jax_pooling.max_pool(inputs, pool_size, strides, padding, data_format),
        keras_max_pool(inputs, pool_size, strides, padding, data_format),
    )
    np.testing.assert_array_equal(
        jax.jit(jax.grad(loss(jax_pooling.max_pool)))(inputs), jax.jit(jax.grad(loss(keras_max_pool)))(inputs)
    )


def test_an_untested_keras_release_keeps_its_own_pooling(monkeypatch):
    from keras.src.backend.jax import nn as keras_jax_nn

    monkeypatch.setattr(keras_jax_nn, "max_pool", keras_max_pool)
    monkeypatch.setattr(jax_pooling.keras, "__version__", "3.99.0")
    assert not jax_pooling.install()
    assert keras_jax_nn.max_pool is keras_max_pool


def test_strides_equal_to_the_pool_size_take_the_fast_path(monkeypatch):
    monkeypatch.setattr(jax_pooling, "_keras_max_pool", None)  # any call to Keras's pooling would fail
    inputs = random_inputs((1, 6, 6, 2))
    assert jax_pooling.max_pool(inputs, 2, (2, 2), "valid", "channels_last").shape == (1, 3, 3, 2)


@pytest.mark.parametrize(
    ("inputs", "pool_size", "strides", "padding"),
    [
        (random_inputs((1, 9, 9, 2)), 3, 2, "valid"),  # overlapping windows
        (random_inputs((1, 9, 9, 2)), 2, 1, "same"),
        (np.arange(2 * 6 * 6 * 2).reshape(2, 6, 6, 2), 2, 2, "valid"),  # integers
    ],
)
def test_anything_else_is_pooled_by_keras(inputs, pool_size, strides, padding):
    np.testing.assert_array_equal(
        jax_pooling.max_pool(inputs, pool_size, strides, padding, "channels_last"),
        keras_max_pool(inputs, pool_size, strides, padding, "channels_last"),
    )


def test_installing_twice_keeps_keras_own_pooling_for_the_fallback():
    assert jax_pooling.install() and jax_pooling._keras_max_pool is keras_max_pool


@pytest.mark.slow  # a Python process on JAX
def test_setup_installs_it_on_jax_on_a_cpu():
    printed = lines_printed_after_jax_setup(
        "import keras, numpy as np; "
        "from keras.src.backend.jax import nn; from chapters import jax_pooling; "
        "assert nn.max_pool is jax_pooling.max_pool and jax_pooling.install(); "
        "layer = keras.layers.MaxPooling2D(2); x = np.arange(16.0).reshape(1, 4, 4, 1); "
        "print(keras.ops.convert_to_numpy(layer(x)).ravel().tolist())"
    )
    assert FAST_POOLING_NOTE in printed, "the setup line says where pooling goes"
    assert printed[-1] == "[5.0, 7.0, 13.0, 15.0]"
