"""Max pooling for Keras on JAX on a CPU with a gradient XLA computes fast; ``setup`` installs it.

Keras pools on JAX with ``jax.lax.reduce_window``, whose gradient is XLA's ``select_and_scatter``,
and on a CPU both are slow: a training step of chapter 05's cats-vs-dogs convnet (four 2 x 2
poolings, a batch of 32 photos of 32 x 32) takes 34 ms on JAX, 7 ms on TensorFlow. Where the
windows do not overlap (pool size equal to the strides, Keras's default and the only kind the
chapters use), each window's maximum is also a ``max`` over an axis of the input reshaped into
tiles, whose gradient is a comparison and a multiply: the same step then takes 15 ms.

The values are the same. The gradient differs only where a window holds its maximum twice: JAX's
``max`` shares it out between the tied elements, where ``select_and_scatter`` gives it all to one.
After a ReLU, ties are mostly zeros, whose gradient the ReLU drops either way. Overlapping
windows, integer inputs and an unknown padding keep Keras's own pooling.
"""

from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import keras

from chapters import keras_jax_functions

_keras_max_pool: Callable[..., jax.Array] | None = (
    None  # Keras's own, kept by install() for what the fast path leaves to it
)
# The Keras releases (major, minor) whose private JAX max_pool this was checked against, values and
# gradients, by tests/test_jax_pooling.py. Another release keeps its own pooling until those tests
# pass on it and it is added here.
TESTED_KERAS_RELEASES = ((3, 15),)


def install() -> bool:
    """Make Keras's JAX backend pool with ``max_pool`` below (every ``MaxPooling*D`` layer and
    ``keras.ops.max_pool``); return False, changing nothing, on a Keras release not in
    ``TESTED_KERAS_RELEASES`` or one that keeps its JAX pooling elsewhere. Calling it again
    changes nothing."""
    global _keras_max_pool
    found = keras_jax_functions.put_in_place("max_pool", max_pool, TESTED_KERAS_RELEASES)
    if found is None:
        return False
    if found is not max_pool:
        _keras_max_pool = found
    return True


def max_pool(
    inputs: jax.Array,
    pool_size: int | Sequence[int],
    strides: int | Sequence[int] | None = None,
    padding: str = "valid",
    data_format: str | None = None,
) -> jax.Array:
    """Return what Keras's ``max_pool`` returns on JAX; non-overlapping windows of a float tensor
    are pooled as a ``max`` over tiles, anything else by Keras itself."""
    inputs = jnp.asarray(inputs)
    windows = _per_axis(pool_size, inputs.ndim, data_format)
    overlapping = strides is not None and _per_axis(strides, inputs.ndim, data_format) != windows
    if overlapping or padding not in ("valid", "same") or not jnp.issubdtype(inputs.dtype, jnp.floating):
        assert _keras_max_pool is not None  # install() keeps Keras's own before putting this in its place
        return _keras_max_pool(inputs, pool_size, strides, padding, data_format)
    return max_over_tiles(inputs, windows, padding)


def max_over_tiles(inputs: jax.Array, windows: tuple[int, ...], padding: str) -> jax.Array:
    """Return the maximum of each tile of ``windows[axis]`` elements along every axis of ``inputs``.

    ``"valid"`` drops the elements that do not fill a tile at the end of an axis; ``"same"`` pads
    with ``-inf`` to fill it, as XLA pads for ``"SAME"`` (the smaller half before).
    """
    margins = []
    for size, window in zip(inputs.shape, windows, strict=True):
        if padding == "same":
            missing = -size % window
            margins.append((missing // 2, missing - missing // 2, 0))
        else:
            margins.append((0, -(size % window), 0))  # a negative margin cuts the axis short
    tiled = jax.lax.pad(inputs, jnp.array(-jnp.inf, inputs.dtype), margins)
    tiles_and_windows = [
        length
        for size, window in zip(tiled.shape, windows, strict=True)
        for length in (size // window, window)
    ]
    return tiled.reshape(tiles_and_windows).max(axis=tuple(range(1, 2 * inputs.ndim, 2)))


def _per_axis(size: int | Sequence[int], rank: int, data_format: str | None) -> tuple[int, ...]:
    """Return ``size`` (an int or one per spatial axis) as one per axis, 1 for batch and channels."""
    data_format = data_format or keras.config.image_data_format()
    spatial = (size,) * (rank - 2) if isinstance(size, int) else tuple(size)
    return (1, *spatial, 1) if data_format == "channels_last" else (1, 1, *spatial)
