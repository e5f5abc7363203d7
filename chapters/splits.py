"""The three splits a chapter trains on, chooses on and reports on, as one named tuple."""

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import tensorflow as tf


class Splits(NamedTuple):
    """Training, validation and test ``tf.data`` datasets of (inputs, labels) batches: train on
    ``train``, choose on ``validation``, evaluate a final model once on ``test``."""

    train: "tf.data.Dataset"
    validation: "tf.data.Dataset"
    test: "tf.data.Dataset"
