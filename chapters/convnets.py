"""Chapter 05's convnet for the cats vs dogs photos, kept for chapter 12.

Chapter 05 writes ``build_cats_vs_dogs_convnet`` out, as its lesson; chapter 12 trains it again as
the baseline of its modern architectures. A test keeps the two identical.
Import this module after ``chapters.setup``: it imports Keras.
"""

import keras
from keras import layers


def build_cats_vs_dogs_convnet(image_size, dropout_rate=0.0):
    """Return a compiled convnet for ``image_size`` x ``image_size`` RGB photos, with values 0-255."""
    inputs = keras.Input(shape=(image_size, image_size, 3))
    features = layers.Rescaling(1 / 255)(inputs)
    for filters in (32, 64, 128, 128):
        features = layers.Conv2D(filters, 3, padding="same", activation="relu")(features)
        features = layers.MaxPooling2D(2)(features)
    features = layers.Flatten()(features)
    features = layers.Dropout(dropout_rate)(features)
    outputs = layers.Dense(1, activation="sigmoid")(features)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    return model
