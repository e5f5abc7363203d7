"""Chapter 13's token and position embedding, kept for its encoder-decoder.

The decoder notebook writes this layer out, as its lesson; the encoder-decoder notebook reuses it
for both its encoder and its decoder. A test keeps the two copies identical. Import this module
after ``chapters.setup``: it imports Keras.
"""

from keras import layers, ops


class TokenAndPositionEmbedding(layers.Layer):
    """Each token's learned vector plus its position's learned vector."""

    def __init__(self, vocabulary_size, max_length, dimension, **kwargs):
        super().__init__(**kwargs)
        self.tokens = layers.Embedding(vocabulary_size, dimension)
        self.positions = layers.Embedding(max_length, dimension)

    def call(self, token_codes):
        return self.tokens(token_codes) + self.positions(ops.arange(ops.shape(token_codes)[-1]))
