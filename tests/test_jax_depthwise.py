"""The depthwise convolution ``setup`` installs for Keras on JAX on a CPU: Keras's values and
gradients (up to float rounding), and Keras's own convolution wherever the fast one does not apply."""

import jax
import numpy as np
import pytest
from jax_program import lines_printed_after_jax_setup
from keras.src.backend.jax.nn import depthwise_conv as keras_depthwise_conv  # Keras's own, before any install

from chapters import jax_depthwise
from chapters.session import FAST_DEPTHWISE_NOTE


@pytest.fixture(autouse=True)
def installed():
    """Install the fast convolution (harmless here: Keras runs these tests on another backend or on
    this one's CPU), so the fallback has Keras's own to call."""
    assert jax_depthwise.install()
    assert jax_depthwise._keras_depthwise_conv is keras_depthwise_conv


def random_values(shape, seed=0):
    """Return float32 values drawn from a normal distribution."""
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


@pytest.mark.parametrize(
    ("input_shape", "kernel_shape", "strides"),
    [
        ((2, 8, 8, 3), (3, 3, 3, 1), 1),  # SeparableConv2D's case
        ((2, 11, 9, 4), (3, 3, 4, 1), 2),  # odd sides, a stride: MobileNet's downsampling
        ((2, 12, 12, 4), (3, 3, 4, 1), (2, 1)),
        ((1, 7, 10, 2), (5, 3, 2, 1), 1),  # a rectangular window
        ((2, 6, 6, 3), (3, 3, 3, 2), 1),  # a depth multiplier
        ((1, 9, 9, 2), (1, 1, 2, 3), 2),
    ],
)
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_values_and_gradients_are_keras_own(input_shape, kernel_shape, strides, padding):
    inputs, kernel = random_values(input_shape), random_values(kernel_shape, seed=1)
    expected = keras_depthwise_conv(inputs, kernel, strides, padding, "channels_last")
    weights = random_values(expected.shape, seed=2)

    def loss(convolve):
        return lambda x, k: (convolve(x, k, strides, padding, "channels_last") * weights).sum()

    np.testing.assert_allclose(
        jax_depthwise.depthwise_conv(inputs, kernel, strides, padding, "channels_last"),
        expected,
        rtol=1e-5,
        atol=1e-5,
    )
    ours = jax.jit(jax.grad(loss(jax_depthwise.depthwise_conv), argnums=(0, 1)))(inputs, kernel)
    theirs = jax.jit(jax.grad(loss(keras_depthwise_conv), argnums=(0, 1)))(inputs, kernel)
    for our_gradient, their_gradient in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(our_gradient, their_gradient, rtol=1e-4, atol=1e-4)


def test_an_untested_keras_release_keeps_its_own_convolution(monkeypatch):
    from keras.src.backend.jax import nn as keras_jax_nn

    monkeypatch.setattr(keras_jax_nn, "depthwise_conv", keras_depthwise_conv)
    monkeypatch.setattr(jax_depthwise.keras, "__version__", "3.99.0")
    assert not jax_depthwise.install()
    assert keras_jax_nn.depthwise_conv is keras_depthwise_conv


def test_the_chapters_convolutions_take_the_fast_path(monkeypatch):
    monkeypatch.setattr(jax_depthwise, "_keras_depthwise_conv", None)  # any call to Keras's would fail
    inputs, kernel = random_values((1, 6, 6, 2)), random_values((3, 3, 2, 1))
    assert jax_depthwise.depthwise_conv(inputs, kernel, 1, "same", "channels_last").shape == (1, 6, 6, 2)


@pytest.mark.parametrize(
    ("input_shape", "kernel_shape", "padding", "data_format", "dilation_rate"),
    [
        ((1, 2, 9, 9), (3, 3, 2, 1), "valid", "channels_first", 1),
        ((1, 9, 9, 2), (3, 3, 2, 1), "same", "channels_last", 2),  # dilated
        ((1, 9, 2), (3, 2, 1), "valid", "channels_last", 1),  # 1D
    ],
)
def test_anything_else_is_convolved_by_keras(input_shape, kernel_shape, padding, data_format, dilation_rate):
    inputs, kernel = random_values(input_shape), random_values(kernel_shape, seed=1)
    np.testing.assert_array_equal(
        jax_depthwise.depthwise_conv(inputs, kernel, 1, padding, data_format, dilation_rate),
        keras_depthwise_conv(inputs, kernel, 1, padding, data_format, dilation_rate),
    )


def test_installing_twice_keeps_keras_own_convolution_for_the_fallback():
    assert jax_depthwise.install() and jax_depthwise._keras_depthwise_conv is keras_depthwise_conv


@pytest.mark.slow  # a Python process on JAX
def test_setup_installs_it_on_jax_on_a_cpu():
    printed = lines_printed_after_jax_setup(
        "import keras, numpy as np; "
        "from keras.src.backend.jax import nn; from chapters import jax_depthwise; "
        "assert nn.depthwise_conv is jax_depthwise.depthwise_conv and jax_depthwise.install(); "
        "layer = keras.layers.DepthwiseConv2D(2, use_bias=False, depthwise_initializer='ones'); "
        "x = np.arange(9.0).reshape(1, 3, 3, 1); "
        "print(keras.ops.convert_to_numpy(layer(x)).ravel().tolist())"
    )
    assert FAST_DEPTHWISE_NOTE in printed, "the setup line says where it goes"
    assert printed[-1] == "[8.0, 12.0, 20.0, 24.0]"
