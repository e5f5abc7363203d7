"""Depthwise convolutions for Keras on JAX on a CPU, computed as sums XLA runs fast; ``setup``
installs it.

Keras convolves depthwise on JAX with ``jax.lax.conv_general_dilated`` and one feature group per
channel, which XLA's CPU backend computes slowly, its gradients slower still: a training step of
chapter 12's quick mini-Xception (six ``SeparableConv2D`` layers, a batch of 32 photos of 32 x 32)
takes 83 ms on JAX, 19 ms on TensorFlow. A depthwise convolution is also a sum over the window's
offsets: for each of its k x k positions, the input shifted by that offset times one weight per
channel. Those are elementwise products, which XLA fuses, and so are their gradients.

The values are Keras's up to float rounding (the sum runs in another order). Two-dimensional
``channels_last`` convolutions of floats with a dilation of 1 and ``"valid"`` or ``"same"``
padding take this path, every chapter's; anything else keeps Keras's own convolution.
``SeparableConv2D`` goes through it too: Keras's ``separable_conv`` calls ``depthwise_conv``.
"""

from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import keras

from chapters import keras_jax_functions

_keras_depthwise_conv: Callable[..., jax.Array] | None = None  # Keras's own, kept by install()
# The Keras releases (major, minor) whose private JAX depthwise_conv this was checked against,
# values and gradients, by tests/test_jax_depthwise.py. Another release keeps its own until those
# tests pass on it and it is added here.
TESTED_KERAS_RELEASES = ((3, 15),)


def install() -> bool:
    """Make Keras's JAX backend convolve depthwise with ``depthwise_conv`` below (``DepthwiseConv2D``,
    ``SeparableConv2D`` and their ``keras.ops``); return False, changing nothing, on a Keras release
    not in ``TESTED_KERAS_RELEASES`` or one that keeps the function elsewhere. Calling it again
    changes nothing."""
    global _keras_depthwise_conv
    found = keras_jax_functions.put_in_place("depthwise_conv", depthwise_conv, TESTED_KERAS_RELEASES)
    if found is None:
        return False
    if found is not depthwise_conv:
        _keras_depthwise_conv = found
    return True


def depthwise_conv(
    inputs: jax.Array,
    kernel: jax.Array,
    strides: int | Sequence[int] = 1,
    padding: str = "valid",
    data_format: str | None = None,
    dilation_rate: int | Sequence[int] = 1,
) -> jax.Array:
    """Return what Keras's ``depthwise_conv`` returns on JAX: 2D ``channels_last`` convolutions of
    floats without dilation as a sum of shifted products, anything else by Keras itself."""
    inputs, kernel = jnp.asarray(inputs), jnp.asarray(kernel)
    data_format = data_format or keras.config.image_data_format()
    if (
        inputs.ndim != 4
        or data_format != "channels_last"
        or _pair(dilation_rate) != (1, 1)
        or padding not in ("valid", "same")
        or not jnp.issubdtype(inputs.dtype, jnp.floating)
    ):
        assert _keras_depthwise_conv is not None  # install() keeps Keras's own before replacing it
        return _keras_depthwise_conv(inputs, kernel, strides, padding, data_format, dilation_rate)
    return sum_of_shifted_products(inputs, kernel, _pair(strides), padding)


def sum_of_shifted_products(
    inputs: jax.Array, kernel: jax.Array, strides: tuple[int, int], padding: str
) -> jax.Array:
    """Return the depthwise convolution of ``inputs`` (batch, height, width, channels) by ``kernel``
    (height, width, channels, multiplier): output channel ``c * multiplier + m`` is input channel
    ``c`` filtered by ``kernel[:, :, c, m]``, as Keras orders them. ``"same"`` pads as XLA does
    (the smaller half before)."""
    window_height, window_width, channels, multiplier = kernel.shape
    margins, output_size = zip(
        *(
            _margins_and_output(size, window, stride, padding)
            for size, window, stride in zip(
                inputs.shape[1:3], (window_height, window_width), strides, strict=True
            )
        ),
        strict=True,
    )
    padded = jnp.pad(inputs, ((0, 0), *margins, (0, 0)))
    if multiplier > 1:
        padded = jnp.repeat(padded, multiplier, axis=-1)
    weights = kernel.reshape(window_height, window_width, channels * multiplier)
    total = None
    for row in range(window_height):
        for column in range(window_width):
            shifted = jax.lax.slice(
                padded,
                (0, row, column, 0),
                (
                    padded.shape[0],
                    row + (output_size[0] - 1) * strides[0] + 1,
                    column + (output_size[1] - 1) * strides[1] + 1,
                    padded.shape[3],
                ),
                (1, *strides, 1),
            )
            product = shifted * weights[row, column]
            total = product if total is None else total + product
    assert total is not None  # a window has at least one position
    return total


def _margins_and_output(size: int, window: int, stride: int, padding: str) -> tuple[tuple[int, int], int]:
    """Return the padding before and after an axis of ``size`` and the output's length along it."""
    if padding == "valid":
        return (0, 0), (size - window) // stride + 1
    output = -(-size // stride)  # ceil(size / stride)
    missing = max((output - 1) * stride + window - size, 0)
    return (missing // 2, missing - missing // 2), output


def _pair(value: int | Sequence[int]) -> tuple[int, int]:
    """Return ``value`` (an int or one per spatial axis) as a pair."""
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))
