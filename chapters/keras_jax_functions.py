"""Replacing one of Keras's private JAX-backend functions, as ``jax_pooling`` and ``jax_depthwise``
do, only on the Keras releases their tests checked."""

from collections.abc import Callable

import keras


def keras_release() -> tuple[int, int]:
    """Return the installed Keras's (major, minor) release numbers."""
    major, minor = keras.__version__.split(".")[:2]
    return int(major), int(minor)


def put_in_place(
    name: str, replacement: Callable, tested_releases: tuple[tuple[int, int], ...]
) -> Callable | None:
    """Make ``replacement`` the function ``name`` of ``keras.src.backend.jax.nn``, where Keras's ops
    find it on JAX; return the function that was there before it (``replacement`` itself when it is
    in place already), or None, changing nothing, on a Keras release not in ``tested_releases`` or
    one that keeps ``name`` elsewhere."""
    if keras_release() not in tested_releases:
        return None
    try:
        from keras.src.backend.jax import nn as keras_jax_nn
    except ImportError:
        return None
    current = getattr(keras_jax_nn, name, None)
    if current is not None:
        setattr(keras_jax_nn, name, replacement)
    return current
